/**
 * Search (/search?q=&type=): the type-ahead field, and once submitted the full results in three tabs
 * (Posts, People, Hashtags). The query and the tab live in the URL, so back, reload and sharing work.
 */
import { useId, useRef, type KeyboardEvent } from "react";
import { Link, useSearchParams } from "react-router-dom";
import { keys } from "../../api/keys";
import type { Hashtag, Post, Profile, SearchResult } from "../../api/types";
import { PagedList } from "../../components/PagedList";
import { PostCard } from "../../components/PostCard";
import { Title } from "../../components/Title";
import { PersonRow } from "../../components/people/PersonRow";
import { SearchBox } from "./SearchBox";

const TABS = [
  { type: "posts", label: "Posts" },
  { type: "users", label: "People" },
  { type: "hashtags", label: "Hashtags" },
] as const;
type Kind = (typeof TABS)[number]["type"];

function kindOf(raw: string | null): Kind {
  return TABS.find((tab) => tab.type === raw)?.type ?? "posts";
}

function TagRow({ tag }: { tag: Hashtag }) {
  return (
    <Link to={`/tags/${encodeURIComponent(tag.tag)}`} className="card tag-row">
      <strong>#{tag.tag}</strong>
      <span className="muted">
        {tag.uses_24h} {tag.uses_24h === 1 ? "post" : "posts"} today
      </span>
    </Link>
  );
}

function Result({ kind, item }: { kind: Kind; item: SearchResult }) {
  if (kind === "users") return <PersonRow person={item as Profile} />;
  if (kind === "hashtags") return <TagRow tag={item as Hashtag} />;
  return <PostCard post={item as Post} />;
}

function itemKey(kind: Kind, item: SearchResult): string {
  if (kind === "users") return (item as Profile).username;
  if (kind === "hashtags") return (item as Hashtag).tag;
  return (item as Post).id;
}

function Tabs({ kind, onChoose, id }: { kind: Kind; onChoose: (kind: Kind) => void; id: string }) {
  const refs = useRef<(HTMLButtonElement | null)[]>([]);
  function onKeyDown(event: KeyboardEvent, index: number) {
    const moves: Record<string, number> = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: TABS.length - 1 };
    const target = moves[event.key];
    if (target === undefined) return;
    event.preventDefault();
    const next = (target + TABS.length) % TABS.length;
    onChoose(TABS[next]!.type);
    refs.current[next]?.focus();
  }
  return (
    <div role="tablist" aria-label="Results" className="search-tabs">
      {TABS.map((tab, index) => (
        <button
          key={tab.type}
          ref={(element) => {
            refs.current[index] = element;
          }}
          type="button"
          role="tab"
          id={`${id}-tab-${tab.type}`}
          aria-selected={tab.type === kind}
          aria-controls={`${id}-panel`}
          tabIndex={tab.type === kind ? 0 : -1}
          className="search-tab"
          onClick={() => onChoose(tab.type)}
          onKeyDown={(event) => onKeyDown(event, index)}
        >
          {tab.label}
        </button>
      ))}
    </div>
  );
}

export default function Search() {
  const [params, setParams] = useSearchParams();
  const query = (params.get("q") ?? "").trim();
  const kind = kindOf(params.get("type"));
  const id = useId();

  const show = (q: string, type: Kind) => setParams({ q, type });
  const tabLabel = TABS.find((tab) => tab.type === kind)!.label;

  return (
    <div className="stack">
      <Title text={query ? `Search: ${query}` : "Search"}>Search</Title>
      <SearchBox initial={query} onSearch={(q) => show(q, kind)} />
      {query ? (
        <section className="stack" aria-label={`Results for ${query}`}>
          <Tabs id={id} kind={kind} onChoose={(type) => show(query, type)} />
          <div role="tabpanel" id={`${id}-panel`} aria-labelledby={`${id}-tab-${kind}`} className="search-panel">
            <PagedList<SearchResult>
              key={`${kind}:${query}`}
              queryKey={keys.search(query, kind)}
              path="/search"
              query={{ q: query, type: kind }}
              itemKey={(item) => itemKey(kind, item)}
              render={(item) => <Result kind={kind} item={item} />}
              empty={`No ${tabLabel.toLowerCase()} match “${query}”.`}
              label={`${tabLabel} matching ${query}`}
            />
          </div>
        </section>
      ) : (
        <p className="muted">Find people by name or @username, hashtags, and posts by their words.</p>
      )}
    </div>
  );
}
