import { Title } from "../../components/Title";

export default function Profile() {
  return <Title text="Profile" />;
}
