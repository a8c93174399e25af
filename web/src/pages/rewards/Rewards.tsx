import { Title } from "../../components/Title";

export default function Rewards() {
  return <Title text="Rewards" />;
}
