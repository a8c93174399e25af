/**
 * The caller's wallet and the rewards catalog as shared queries: the wallet, rewards, orders and admin pages
 * read the same cache entries (keys.ts), so a redemption on one page updates the others.
 */
import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { useEffect } from "react";
import { api } from "../../api/client";
import { keys } from "../../api/keys";
import { cursorPages } from "../../api/paging";
import type { Reward, Wallet } from "../../api/types";

export function useWallet() {
  return useQuery({
    queryKey: keys.wallet,
    queryFn: ({ signal }) => api.get<Wallet>("/wallet", undefined, signal),
    // Coins arrive asynchronously (a post pays a second later): always ask again when a page opens.
    staleTime: 0,
  });
}

/** One page size for every reader of keys.rewards, so PagedList and useRewardNames share the cached pages. */
export const CATALOG_PAGE = 50;

/** Reward names by id from the cached catalog, loading every page (a catalog is a few dozen rewards). */
export function useRewardNames(): { names: Map<string, string>; complete: boolean } {
  const catalog = useInfiniteQuery(cursorPages<Reward>(keys.rewards, "/rewards", {}, CATALOG_PAGE));
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = catalog;
  const failed = catalog.isError;
  useEffect(() => {
    if (hasNextPage && !isFetchingNextPage && !failed) void fetchNextPage();
  }, [hasNextPage, isFetchingNextPage, failed, fetchNextPage]);
  const names = new Map<string, string>();
  for (const page of catalog.data?.pages ?? []) for (const reward of page.items) names.set(reward.id, reward.name);
  return { names, complete: catalog.isSuccess && !hasNextPage };
}
