import { Title } from "../../components/Title";

export default function Orders() {
  return <Title text="Orders" />;
}
