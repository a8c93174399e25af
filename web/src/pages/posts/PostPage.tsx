import { Title } from "../../components/Title";

export default function PostPage() {
  return <Title text="Post" />;
}
