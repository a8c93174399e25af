/**
 * Posts pushed over the WebSocket while the feed is open wait behind a "Show N new posts" button instead of
 * moving what the person is reading; the button puts them on top and scrolls there.
 */
import { useQueryClient, type InfiniteData } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { keys } from "../../api/keys";
import type { Page, Post } from "../../api/types";
import { useSession } from "../../auth/useSession";
import { prependToFeed } from "../../components/compose/postCache";
import { realtime } from "../../realtime/socket";

function isPost(data: unknown): data is Post {
  return typeof data === "object" && data !== null && typeof (data as Post).id === "string" &&
    typeof (data as Post).author === "string" && typeof (data as Post).content === "string";
}

export function NewPostsBanner() {
  const client = useQueryClient();
  const user = useSession();
  const [waiting, setWaiting] = useState<Post[]>([]);

  useEffect(
    () =>
      realtime.on("post", (push) => {
        const post = push.data;
        if (!isPost(post)) return;
        const feed = client.getQueryData<InfiniteData<Page<Post>>>(keys.feed);
        const shown = feed?.pages.some((page) => page.items.some((item) => item.id === post.id)) ?? false;
        // Your own posts are on top already (the composer put them there).
        if (shown || post.author === user?.username) return;
        setWaiting((list) => (list.some((item) => item.id === post.id) ? list : [post, ...list]));
      }),
    [client, user?.username],
  );

  const show = () => {
    const newestFirst = [...waiting].sort((a, b) => (a.created_at < b.created_at ? 1 : -1));
    prependToFeed(client, newestFirst);
    setWaiting([]);
    // Catch up on what the pushes may have missed (a dropped connection), without waiting for it.
    void client.invalidateQueries({ queryKey: keys.feed, refetchType: "none" });
    window.scrollTo({ top: 0, behavior: window.matchMedia("(prefers-reduced-motion: reduce)").matches ? "auto" : "smooth" });
    document.getElementById("feed-top")?.focus({ preventScroll: true });
  };

  const count = waiting.length;
  return (
    <div className="new-posts" aria-live="polite">
      {count > 0 && (
        <button type="button" className="new-posts-button" onClick={show}>
          Show {count} new {count === 1 ? "post" : "posts"}
        </button>
      )}
    </div>
  );
}
