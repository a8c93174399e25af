/**
 * Type-ahead suggestions: 200 ms after the last keystroke, the top people and hashtags for the text.
 * A newer keystroke aborts the older requests, so a slow answer never replaces a fresher one.
 */
import { useEffect, useState } from "react";
import { api } from "../../api/client";
import type { Hashtag, Page, Profile } from "../../api/types";

export const DEBOUNCE_MS = 200;
const LIMIT = 5;

export type Suggestion =
  | { kind: "person"; id: string; to: string; person: Profile }
  | { kind: "tag"; id: string; to: string; tag: Hashtag };

export interface Suggestions {
  items: Suggestion[];
  loading: boolean;
  error: unknown;
  /** The text these suggestions answer (so "no matches" is said only for what was searched). */
  query: string;
}

const NONE: Suggestions = { items: [], loading: false, error: null, query: "" };

export function useSuggestions(text: string): Suggestions {
  const [state, setState] = useState<Suggestions>(NONE);
  const query = text.trim();

  useEffect(() => {
    if (!query) {
      setState(NONE);
      return;
    }
    const controller = new AbortController();
    const timer = setTimeout(() => {
      setState((previous) => ({ ...previous, loading: true }));
      const ask = <T,>(type: string) =>
        api.get<Page<T>>("/search", { q: query, type, limit: LIMIT }, controller.signal);
      Promise.all([ask<Profile>("users"), ask<Hashtag>("hashtags")])
        .then(([people, tags]) => {
          const items: Suggestion[] = [
            ...people.items.map((person): Suggestion => ({
              kind: "person", id: `person-${person.username}`, to: `/u/${person.username}`, person,
            })),
            ...tags.items.map((tag): Suggestion => ({
              kind: "tag", id: `tag-${tag.tag}`, to: `/tags/${encodeURIComponent(tag.tag)}`, tag,
            })),
          ];
          setState({ items, loading: false, error: null, query });
        })
        .catch((error: unknown) => {
          if ((error as Error).name === "AbortError") return;
          setState({ items: [], loading: false, error, query });
        });
    }, DEBOUNCE_MS);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [query]);

  return state;
}
