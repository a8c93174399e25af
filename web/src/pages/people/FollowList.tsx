import { Title } from "../../components/Title";

export default function FollowList({ which }: { which: "followers" | "following" }) {
  return <Title text={which === "followers" ? "Followers" : "Following"} />;
}
