import { Title } from "../../components/Title";

export default function Explore() {
  return <Title text="Explore" />;
}
