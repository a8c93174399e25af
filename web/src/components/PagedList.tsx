/**
 * Any `{items, next_cursor}` list of the API with infinite scroll: the next page loads when the end of the
 * list comes into view, and a "Load more" button does the same for keyboards and screen readers.
 *
 *   <PagedList<Post> queryKey={keys.userPosts(name)} path={`/users/${name}/posts`}
 *                    render={(post) => <PostCard post={post} />} empty="No posts yet." />
 *
 * `onFirstRender` runs once, after the first page is on screen (the feed marks it for the benchmark);
 * `renderError` replaces the generic error notice for errors a page explains better (search turned off).
 */
import { useInfiniteQuery } from "@tanstack/react-query";
import { useEffect, useRef, type ReactNode } from "react";
import { type Query } from "../api/client";
import { cursorPages } from "../api/paging";
import { Empty, ErrorNotice, Loading } from "./States";

interface Props<T> {
  queryKey: readonly unknown[];
  path: string;
  query?: Query;
  render: (item: T) => ReactNode;
  itemKey?: (item: T) => string;
  empty: ReactNode;
  label?: string;
  pageSize?: number;
  onFirstRender?: () => void;
  renderError?: (error: unknown, retry: () => void) => ReactNode;
  /** Poll this often while the list is empty: what fills it may be on its way (a follow's backfill). */
  pollWhileEmptyMs?: number;
}

export function PagedList<T>({
  queryKey, path, query, render, itemKey, empty, label, pageSize = 20, onFirstRender, renderError, pollWhileEmptyMs,
}: Props<T>) {
  const list = useInfiniteQuery({
    ...cursorPages<T>(queryKey, path, query, pageSize),
    refetchInterval: (current) =>
      pollWhileEmptyMs && current.state.data?.pages.every((page) => page.items.length === 0) ? pollWhileEmptyMs : false,
  });
  const sentinel = useRef<HTMLDivElement>(null);
  const { hasNextPage, isFetchingNextPage, fetchNextPage, isFetchNextPageError, error } = list;
  const rendered = useRef(false);
  const loaded = list.isSuccess;

  useEffect(() => {
    // An effect runs after the commit: the first page is in the DOM by now.
    if (!loaded || rendered.current) return;
    rendered.current = true;
    onFirstRender?.();
  }, [loaded, onFirstRender]);

  useEffect(() => {
    const element = sentinel.current;
    if (!element || !hasNextPage) return;
    const observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((entry) => entry.isIntersecting) && !isFetchingNextPage) void fetchNextPage();
      },
      { rootMargin: "600px" },
    );
    observer.observe(element);
    return () => observer.disconnect();
  }, [hasNextPage, isFetchingNextPage, fetchNextPage]);

  if (list.isPending) return <Loading />;
  if (list.isError) {
    const retry = () => void list.refetch();
    return renderError ? renderError(list.error, retry) : <ErrorNotice error={list.error} retry={retry} />;
  }
  const items = list.data.pages.flatMap((page) => page.items);
  if (items.length === 0) return <Empty>{empty}</Empty>;
  return (
    <>
      <ul className="list" aria-label={label} aria-busy={isFetchingNextPage}>
        {items.map((item, index) => (
          <li key={itemKey ? itemKey(item) : ((item as { id?: string }).id ?? index)}>{render(item)}</li>
        ))}
      </ul>
      <div ref={sentinel} />
      {isFetchingNextPage && <Loading label="Loading more…" />}
      {isFetchNextPageError && <ErrorNotice error={error} retry={() => void fetchNextPage()} />}
      {hasNextPage && !isFetchingNextPage && (
        <button type="button" className="secondary load-more" onClick={() => void fetchNextPage()}>
          Load more
        </button>
      )}
    </>
  );
}
