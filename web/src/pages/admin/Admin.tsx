import { Title } from "../../components/Title";

export default function Admin() {
  return <Title text="Admin" />;
}
