/**
 * One post appears in many caches at once (the feed, a profile's posts, a hashtag, search results, its own
 * page): these helpers change it everywhere so a like or an edit on one page shows on every other.
 *
 *   patchPost(client, post.id, { liked: true, likes_count: 3 });
 *   removePost(client, post.id);
 *   prependToFeed(client, [created]);
 */
import type { InfiniteData, QueryClient } from "@tanstack/react-query";
import { keys } from "../../api/keys";
import type { Page, Post } from "../../api/types";

type Paged = InfiniteData<Page<unknown>, unknown>;

/** Caches that may hold posts: the feed, ["posts", ...] lists, search results, single posts. */
const ROOTS = new Set<unknown>([keys.feed[0], "posts", "search", "post"]);

function isPost(item: unknown): item is Post {
  return typeof item === "object" && item !== null && "likes_count" in item && "content" in item && "id" in item;
}

function isPaged(data: unknown): data is Paged {
  return typeof data === "object" && data !== null && Array.isArray((data as Paged).pages);
}

/** Apply `change` to every cached copy of post `id`; `null` from `change` removes it from lists. */
function eachCopy(client: QueryClient, id: string, change: (post: Post) => Post | null): void {
  for (const query of client.getQueryCache().findAll({ predicate: (q) => ROOTS.has(q.queryKey[0]) })) {
    const data = query.state.data;
    if (isPaged(data)) {
      let touched = false;
      const pages = data.pages.map((page) => {
        if (!page.items.some((item) => isPost(item) && item.id === id)) return page;
        touched = true;
        const items = page.items.flatMap((item) => {
          if (!isPost(item) || item.id !== id) return [item];
          const next = change(item);
          return next ? [next] : [];
        });
        return { ...page, items };
      });
      if (touched) client.setQueryData<Paged>(query.queryKey, { ...data, pages });
    } else if (isPost(data) && data.id === id) {
      const next = change(data);
      if (next) client.setQueryData<Post>(query.queryKey, next);
      else client.removeQueries({ queryKey: query.queryKey, exact: true });
    }
  }
}

export function patchPost(client: QueryClient, id: string, patch: Partial<Post>): void {
  eachCopy(client, id, (post) => ({ ...post, ...patch }));
}

export function removePost(client: QueryClient, id: string): void {
  eachCopy(client, id, () => null);
  void client.invalidateQueries({ queryKey: keys.comments(id) });
}

/** The first cached copy of a post (to show it at once while its page loads). */
export function findPost(client: QueryClient, id: string): Post | undefined {
  const single = client.getQueryData<Post>(keys.post(id));
  if (single) return single;
  for (const query of client.getQueryCache().findAll({ predicate: (q) => ROOTS.has(q.queryKey[0]) })) {
    const data = query.state.data;
    if (!isPaged(data)) continue;
    for (const page of data.pages) {
      const found = page.items.find((item): item is Post => isPost(item) && item.id === id);
      if (found) return found;
    }
  }
  return undefined;
}

/** Put posts at the top of the feed's first page (newest first), skipping any it shows already. */
export function prependToFeed(client: QueryClient, posts: Post[]): void {
  client.setQueryData<InfiniteData<Page<Post>, unknown>>(keys.feed, (data) => {
    if (!data || data.pages.length === 0) return data;
    const shown = new Set(data.pages.flatMap((page) => page.items.map((post) => post.id)));
    const fresh = posts.filter((post) => !shown.has(post.id));
    if (fresh.length === 0) return data;
    const [first, ...rest] = data.pages;
    return { ...data, pages: [{ ...first!, items: [...fresh, ...first!.items] }, ...rest] };
  });
}
