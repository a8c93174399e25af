import { Title } from "../../components/Title";

export default function Messages() {
  return <Title text="Messages" />;
}
