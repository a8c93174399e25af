import { Title } from "../../components/Title";

export default function Search() {
  return <Title text="Search" />;
}
