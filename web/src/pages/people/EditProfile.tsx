import { Title } from "../../components/Title";

export default function EditProfile() {
  return <Title text="Edit profile" />;
}
