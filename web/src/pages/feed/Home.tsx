import { Title } from "../../components/Title";

export default function Home() {
  return <Title text="Home" />;
}
