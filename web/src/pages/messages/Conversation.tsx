/**
 * One conversation: the messages (oldest at the top, older pages on demand), new ones live over the
 * WebSocket, and the composer. A message is sent over the socket; the server's `message` push confirms it
 * and its `error` push (e.g. not_a_follower) is shown beside the composer.
 */
import { useInfiniteQuery, useQueryClient, type InfiniteData } from "@tanstack/react-query";
import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent } from "react";
import { Link } from "react-router-dom";
import { api, ApiError } from "../../api/client";
import { describe } from "../../api/errors";
import { keys } from "../../api/keys";
import type { DirectMessage, Page } from "../../api/types";
import { Avatar } from "../../components/Avatar";
import { RelativeTime } from "../../components/RelativeTime";
import { ErrorNotice, Loading } from "../../components/States";
import { Title } from "../../components/Title";
import { realtime } from "../../realtime/socket";
import { useConnected } from "./useConnected";

type Pages = InfiniteData<Page<DirectMessage>, string | null>;
const MAX_TEXT = 2000;

/** The id the server gives the conversation of two people (usernames sorted, joined by "-"). */
export function conversationId(a: string, b: string): string {
  return [a, b].sort().join("-");
}

function isMessage(data: unknown): data is DirectMessage {
  const m = data as Partial<DirectMessage> | undefined;
  return typeof m?.id === "string" && typeof m.conversation_id === "string" && typeof m.text === "string";
}

function useMessages(id: string) {
  return useInfiniteQuery({
    queryKey: keys.messages(id),
    queryFn: async ({ pageParam, signal }) => {
      try {
        return await api.get<Page<DirectMessage>>(
          `/conversations/${encodeURIComponent(id)}/messages`,
          { limit: 30, cursor: pageParam ?? undefined },
          signal,
        );
      } catch (error) {
        // A conversation exists from its first message on: before that it is simply empty.
        if (error instanceof ApiError && error.code === "conversation_not_found") return { items: [], next_cursor: null };
        throw error;
      }
    },
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor,
  });
}

function Bubble({ message, me }: { message: DirectMessage; me: string }) {
  const mine = message.sender === me;
  return (
    <div className={mine ? "bubble mine" : "bubble"}>
      <span className="visually-hidden">{mine ? "You" : `@${message.sender}`}: </span>
      <p className="bubble-text">{message.text}</p>
      <span className="bubble-time">
        <RelativeTime iso={message.created_at} />
      </span>
    </div>
  );
}

function Composer({ peer, me, connected }: { peer: string; me: string; connected: boolean }) {
  const [text, setText] = useState("");
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const inputId = useId();
  const pending = useRef<string | null>(null);

  useEffect(() => {
    const offMessage = realtime.on("message", (push) => {
      const data = push.data;
      if (!isMessage(data) || data.sender !== me || data.recipient !== peer) return;
      if (pending.current !== null && data.text === pending.current) {
        pending.current = null;
        setSending(false);
        setText("");
      }
    });
    const offError = realtime.on("error", (push) => {
      if (pending.current === null) return;
      pending.current = null;
      setSending(false);
      const code = push.error?.code ?? "error";
      setError(describe(new ApiError(0, code, push.error?.message ?? "The message wasn't sent.")));
    });
    return () => {
      offMessage();
      offError();
    };
  }, [me, peer]);

  // If no answer comes (the connection dropped mid-way), let the person try again.
  useEffect(() => {
    if (!sending) return;
    const timer = setTimeout(() => {
      if (pending.current === null) return;
      pending.current = null;
      setSending(false);
      setError("No answer from the server: the message may not have been sent. Try again.");
    }, 10_000);
    return () => clearTimeout(timer);
  }, [sending]);

  function submit(event?: FormEvent) {
    event?.preventDefault();
    const body = text.trim();
    if (!body || sending) return;
    setError(null);
    if (!realtime.send({ action: "sendMessage", to: peer, text: body })) {
      setError("You're not connected right now, so the message wasn't sent. Try again in a moment.");
      return;
    }
    pending.current = body;
    setSending(true);
  }

  function onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>) {
    // Enter sends, Shift+Enter starts a new line (as in every chat app).
    if (event.key === "Enter" && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      submit();
    }
  }

  return (
    <form className="dm-composer" onSubmit={submit}>
      <div className="field">
        <label htmlFor={inputId}>Message</label>
        <textarea
          id={inputId}
          rows={2}
          value={text}
          maxLength={MAX_TEXT}
          aria-describedby={error ? `${inputId}-error` : undefined}
          aria-invalid={error ? true : undefined}
          onChange={(event) => setText(event.target.value)}
          onKeyDown={onKeyDown}
        />
      </div>
      <button type="submit" disabled={!connected || sending || !text.trim()}>
        {sending ? "Sending…" : "Send"}
      </button>
      <div className="dm-status" aria-live="polite">
        {!connected && <p className="notice">Not connected: reconnecting… You can send once the connection is back.</p>}
        {error && (
          <p id={`${inputId}-error`} className="notice error">
            {error}
          </p>
        )}
      </div>
    </form>
  );
}

export function ConversationView({ peer, me }: { peer: string; me: string }) {
  const id = conversationId(me, peer);
  const client = useQueryClient();
  const connected = useConnected();
  const messages = useMessages(id);
  const [announcement, setAnnouncement] = useState("");
  const end = useRef<HTMLDivElement>(null);

  useEffect(
    () =>
      realtime.on("message", (push) => {
        const data = push.data;
        if (!isMessage(data) || data.conversation_id !== id) return;
        client.setQueryData<Pages>(keys.messages(id), (old) => {
          if (!old) return old;
          if (old.pages.some((page) => page.items.some((m) => m.id === data.id))) return old;
          const [first, ...rest] = old.pages;
          return { ...old, pages: [{ ...first!, items: [data, ...first!.items] }, ...rest] };
        });
        if (data.sender !== me) setAnnouncement(`New message from @${data.sender}: ${data.text}`);
      }),
    [client, id, me],
  );

  const items = (messages.data?.pages.flatMap((page) => page.items) ?? []).slice().reverse();
  const newest = items.at(-1)?.id;
  useEffect(() => {
    end.current?.scrollIntoView?.({ block: "nearest" });
  }, [newest]);

  return (
    <div className="stack conversation-view">
      <Link to="/messages" className="people-back">
        <span aria-hidden="true">← </span>Back to conversations
      </Link>
      <Title text={`Conversation with @${peer}`}>
        <Link to={`/u/${peer}`} className="conversation-peer">
          <Avatar username={peer} size={36} />
          <span>@{peer}</span>
        </Link>
      </Title>
      <p className="visually-hidden" aria-live="polite">
        {announcement}
      </p>
      {messages.isPending && <Loading />}
      {messages.isError && <ErrorNotice error={messages.error} retry={() => void messages.refetch()} />}
      {messages.hasNextPage && (
        <button
          type="button"
          className="secondary load-more"
          disabled={messages.isFetchingNextPage}
          onClick={() => void messages.fetchNextPage()}
        >
          {messages.isFetchingNextPage ? "Loading…" : "Load older messages"}
        </button>
      )}
      {messages.isSuccess && items.length === 0 && (
        <p className="state empty">No messages yet. Say hello to @{peer}!</p>
      )}
      {items.length > 0 && (
        <ol className="dm-list" aria-label={`Messages with @${peer}`}>
          {items.map((message) => (
            <li key={message.id} className={message.sender === me ? "mine" : undefined}>
              <Bubble message={message} me={me} />
            </li>
          ))}
        </ol>
      )}
      <div ref={end} />
      <Composer peer={peer} me={me} connected={connected} />
    </div>
  );
}
