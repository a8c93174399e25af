import { Title } from "../../components/Title";

export default function Wallet() {
  return <Title text="Wallet" />;
}
