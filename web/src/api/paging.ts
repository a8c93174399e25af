/**
 * The contract's cursor paging (`limit`, `cursor` → `{items, next_cursor}`) as react-query options, one
 * definition for every list: readers of one key (the catalog's page and its names) share the cached pages.
 *
 *   useInfiniteQuery(cursorPages<Post>(keys.feed, "/feed"))
 */
import { infiniteQueryOptions } from "@tanstack/react-query";
import { api, type Query } from "./client";
import type { Page } from "./types";

export function cursorPages<T>(queryKey: readonly unknown[], path: string, query: Query = {}, pageSize = 20) {
  return infiniteQueryOptions({
    queryKey,
    queryFn: ({ pageParam, signal }) =>
      api.get<Page<T>>(path, { ...query, limit: pageSize, cursor: pageParam ?? undefined }, signal),
    initialPageParam: null as string | null,
    getNextPageParam: (last: Page<T>) => last.next_cursor,
  });
}
