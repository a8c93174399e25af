/** The person's conversations, the most recently active first, and a way to start a new one. */
import { useState, type FormEvent } from "react";
import { Link, useNavigate } from "react-router-dom";
import { keys } from "../../api/keys";
import type { Conversation } from "../../api/types";
import { useSession } from "../../auth/useSession";
import { Avatar } from "../../components/Avatar";
import { Field } from "../../components/Field";
import { PagedList } from "../../components/PagedList";
import { RelativeTime } from "../../components/RelativeTime";

function Row({ conversation, me }: { conversation: Conversation; me: string }) {
  const mine = conversation.last_message.sender === me;
  return (
    <Link to={`/messages/${conversation.peer}`} className="conversation card">
      <Avatar username={conversation.peer} size={44} />
      <span className="conversation-text">
        <span className="conversation-top">
          <strong>@{conversation.peer}</strong>
          <span className="muted">
            <RelativeTime iso={conversation.updated_at} />
          </span>
        </span>
        <span className="muted conversation-preview">
          {mine ? "You: " : ""}
          {conversation.last_message.preview}
        </span>
      </span>
    </Link>
  );
}

function NewConversation() {
  const navigate = useNavigate();
  const [to, setTo] = useState("");
  function submit(event: FormEvent) {
    event.preventDefault();
    const name = to.trim().replace(/^@/, "").toLowerCase();
    if (name) navigate(`/messages/${encodeURIComponent(name)}`);
  }
  return (
    <form className="row new-conversation" onSubmit={submit}>
      <Field
        label="Write to (username)"
        value={to}
        onChange={(event) => setTo(event.target.value)}
        autoComplete="off"
        autoCapitalize="none"
        spellCheck={false}
      />
      <button type="submit" disabled={!to.trim()}>
        Open
      </button>
    </form>
  );
}

export function ConversationList() {
  const me = useSession()?.username ?? "";
  return (
    <div className="stack">
      <NewConversation />
      <PagedList<Conversation>
        queryKey={keys.conversations}
        path="/conversations"
        render={(conversation) => <Row conversation={conversation} me={me} />}
        empty="No conversations yet. Write to someone who follows you."
        label="Conversations"
      />
    </div>
  );
}
