/** Admin: manage the rewards catalog and see the coin economy. Only members of the `admins` group. */
import { useIsAdmin } from "../../auth/useSession";
import { Title } from "../../components/Title";
import { AddReward } from "./AddReward";
import { Catalog } from "./Catalog";
import { CoinsReport } from "./CoinsReport";

export default function Admin() {
  const admin = useIsAdmin();
  if (!admin) {
    return (
      <>
        <Title text="Admin" />
        <p>Only admins can see this page.</p>
      </>
    );
  }
  return (
    <>
      <Title text="Admin" />
      <div className="stack admin">
        <AddReward />
        <Catalog />
        <CoinsReport />
      </div>
    </>
  );
}
