/**
 * Notifications (/notifications): newest first, unread ones marked. Opening the page marks everything read
 * (the nav badge clears), new ones arrive live (the Layout refetches the list on each push) and are announced.
 */
import { useInfiniteQuery, useMutation, useQueryClient, type InfiniteData } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { Link } from "react-router-dom";
import { api } from "../../api/client";
import { keys } from "../../api/keys";
import { cursorPages } from "../../api/paging";
import type { Notification, Page } from "../../api/types";
import { useSession } from "../../auth/useSession";
import { Avatar } from "../../components/Avatar";
import { RelativeTime } from "../../components/RelativeTime";
import { Empty, ErrorNotice, Loading } from "../../components/States";
import { Title } from "../../components/Title";
import { realtime } from "../../realtime/socket";
import { ICONS, sentence, target } from "./sentence";

/** Kinds someone's action causes: their picture; the others (coins, orders) get an icon. */
const PEOPLE = new Set(["like", "comment", "follow", "mention", "message"]);
type Pages = InfiniteData<Page<Notification>, string | null>;

function Item({ notification, me }: { notification: Notification; me: string }) {
  const unread = !notification.read;
  return (
    <div className={unread ? "notification card unread" : "notification card"}>
      {notification.actor && PEOPLE.has(notification.type) ? (
        <Avatar username={notification.actor} size={40} />
      ) : (
        <span className="notification-icon" aria-hidden="true">
          {ICONS[notification.type] ?? "🔔"}
        </span>
      )}
      <div className="notification-body">
        <Link to={target(notification, me)} className="notification-link">
          {unread && <span className="visually-hidden">Unread: </span>}
          {sentence(notification)}
        </Link>
        {notification.preview && <p className="notification-preview muted">{notification.preview}</p>}
        <span className="muted notification-time">
          <RelativeTime iso={notification.updated_at || notification.created_at} />
        </span>
      </div>
      {unread && <span className="unread-dot" aria-hidden="true" />}
    </div>
  );
}

/** Mark everything read on the server; the nav badge follows. `visible` also clears the marks on screen. */
function useMarkRead() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (_visible: boolean) => api.post<unknown>("/notifications/read", {}),
    onSuccess: (_answer, visible) => {
      if (visible) {
        client.setQueryData<Pages>(keys.notifications, (data) =>
          data && {
            ...data,
            pages: data.pages.map((page) => ({ ...page, items: page.items.map((n) => ({ ...n, read: true })) })),
          },
        );
      }
      void client.invalidateQueries({ queryKey: keys.unread, exact: true });
    },
  });
}

export default function Notifications() {
  const me = useSession()?.username ?? "";
  const [announcement, setAnnouncement] = useState("");
  const list = useInfiniteQuery(cursorPages<Notification>(keys.notifications, "/notifications"));
  const markRead = useMarkRead();
  const { mutate } = markRead;

  // Whenever a fresh list shows something unread (on opening, or after a live push), the person has seen
  // it: mark it read on the server but keep the marks on screen for this visit.
  const updatedAt = list.dataUpdatedAt;
  const hasUnread = list.data?.pages.some((page) => page.items.some((n) => !n.read)) ?? false;
  const marked = useRef(0);
  useEffect(() => {
    if (!updatedAt || !hasUnread || marked.current === updatedAt) return;
    marked.current = updatedAt;
    mutate(false);
  }, [updatedAt, hasUnread, mutate]);

  useEffect(
    () =>
      realtime.on("notification", (push) => {
        const data = push.data as Notification | undefined;
        const text = data?.type && Array.isArray(data.actors) ? sentence(data) : "a new notification";
        setAnnouncement(`New: ${text}.`);
      }),
    [],
  );

  const items = list.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <div className="stack">
      <Title
        text="Notifications"
        actions={
          <button
            type="button"
            className="secondary"
            disabled={markRead.isPending}
            onClick={() => markRead.mutate(true)}
          >
            Mark all as read
          </button>
        }
      />
      <p className="visually-hidden" aria-live="polite">
        {announcement}
      </p>
      {markRead.isError && <ErrorNotice error={markRead.error} />}
      {list.isPending && <Loading />}
      {list.isError && <ErrorNotice error={list.error} retry={() => void list.refetch()} />}
      {list.isSuccess && items.length === 0 && <Empty>No notifications yet. Likes, comments and follows show up here.</Empty>}
      {items.length > 0 && (
        <ul className="list" aria-label="Notifications" aria-busy={list.isFetchingNextPage}>
          {items.map((notification) => (
            <li key={notification.id}>
              <Item notification={notification} me={me} />
            </li>
          ))}
        </ul>
      )}
      {list.isFetchNextPageError && <ErrorNotice error={list.error} retry={() => void list.fetchNextPage()} />}
      {list.hasNextPage && (
        <button
          type="button"
          className="secondary load-more"
          disabled={list.isFetchingNextPage}
          onClick={() => void list.fetchNextPage()}
        >
          {list.isFetchingNextPage ? "Loading…" : "Load more"}
        </button>
      )}
      <p className="muted">
        <Link to="/settings/notifications">Choose what notifies you</Link>
      </p>
    </div>
  );
}
