import { Title } from "../../components/Title";

export default function Notifications() {
  return <Title text="Notifications" />;
}
