import { Title } from "../../components/Title";

export default function Security() {
  return <Title text="Two-factor sign-in" />;
}
