import { Title } from "../../components/Title";

export default function Settings() {
  return <Title text="Settings" />;
}
