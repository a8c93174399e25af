import { Title } from "../../components/Title";

export default function NotificationSettings() {
  return <Title text="Notification settings" />;
}
