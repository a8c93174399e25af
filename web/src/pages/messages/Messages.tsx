/** Direct messages: /messages lists the conversations, /messages/:username is one of them. */
import { useParams } from "react-router-dom";
import { useSession } from "../../auth/useSession";
import { Empty } from "../../components/States";
import { Title } from "../../components/Title";
import { ConversationList } from "./ConversationList";
import { ConversationView } from "./Conversation";

export default function Messages() {
  const peer = useParams().username?.toLowerCase();
  const me = useSession()?.username ?? "";
  if (!peer) {
    return (
      <div className="stack">
        <Title text="Messages" />
        <ConversationList />
      </div>
    );
  }
  if (peer === me) {
    return (
      <>
        <Title text="Messages" />
        <Empty>You can't message yourself.</Empty>
      </>
    );
  }
  return <ConversationView key={peer} peer={peer} me={me} />;
}
