import { Title } from "../../components/Title";

export default function TagPage() {
  return <Title text="Hashtag" />;
}
