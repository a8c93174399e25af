"""Search as the routes use it: ask the backend for ids, hydrate them from the tables, page with positions.

The index only ranks: what a result shows is read from the posts and users tables, so a post deleted
(or a profile gone) before the index caught up is dropped, never shown. A page may then hold fewer
items than ``limit``; its position still moves past what the index returned.

Usage::

    posts, after = search_posts("hello", limit=20, after=None)   # after: the next page's position or None
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal, TypeVar, cast, get_args

from chalicelib.core import metric_names as m
from chalicelib.core.errors import Unavailable, Unprocessable
from chalicelib.core.lazy import lazy_module
from chalicelib.core.logs import get_logger
from chalicelib.core.metrics import count

# The query limits and kinds are read where the routes are declared; the tables and backend when searched.
if TYPE_CHECKING:
    from chalicelib.core import batches
    from chalicelib.posts import models as post_models
    from chalicelib.posts.models import PostModel
    from chalicelib.search import backends, port
    from chalicelib.search.port import SearchBackend, Trend
    from chalicelib.users import models as user_models
    from chalicelib.users.models import UserModel
else:
    batches = lazy_module("chalicelib.core.batches")
    post_models = lazy_module("chalicelib.posts.models")
    backends = lazy_module("chalicelib.search.backends")
    port = lazy_module("chalicelib.search.port")
    user_models = lazy_module("chalicelib.users.models")

log = get_logger(__name__)
T = TypeVar("T")
Position = list[str | float] | None  # a backend's ``after``

Kind = Literal["posts", "users", "hashtags"]
KINDS: tuple[str, ...] = get_args(Kind)
MAX_QUERY = 1000  # characters: a query is a few words, not a document
MAX_TAG_OFFSET = 1000  # hashtag results page by offset; nobody pages a type-ahead this far


def kind_of(raw: str | None) -> Kind:
    """``type``: posts (the default), users or hashtags; anything else is a 422."""
    value = raw or "posts"
    if value in KINDS:
        return cast(Kind, value)
    raise Unprocessable("invalid_type", f"type must be one of {', '.join(KINDS)}",
                        details=[{"field": "type", "problem": "unknown type"}])


def checked_query(raw: str | None) -> str:
    query = raw or ""
    if len(query) > MAX_QUERY:
        raise Unprocessable("query_too_long", f"q must be at most {MAX_QUERY} characters",
                            details=[{"field": "q", "problem": "too long"}])
    return query


def checked_tag(raw: str) -> str:
    """A tag as stored (``#`` and case ignored); 422 when nothing of it could be a tag."""
    tag = port.tag_of(raw)
    if not tag or len(tag) > 50 or not tag.replace("_", "a").isalnum():
        raise Unprocessable("invalid_tag", "a tag is 1-50 letters, digits or underscores",
                            details=[{"field": "tag", "problem": "not a tag"}])
    return tag


def _guarded(ask: Callable[[SearchBackend], T]) -> T:
    """``ask`` the process's backend; an engine that is not configured or fails is a 503 (retry later)."""
    try:
        return ask(backends.backend())
    except Exception as error:
        log.exception("search backend failed")
        raise Unavailable("search_unavailable", "search is unavailable; try again later") from error


def search_posts(query: str, limit: int, after: Position) -> tuple[list[PostModel], Position]:
    """Posts best first, and the next page's position (None: no more)."""
    count(m.SEARCH_QUERIES)  # what a user typed, answered or not
    page = _guarded(lambda engine: engine.search_posts(query, limit=limit, after=after, now=datetime.now(UTC)))
    found = batches.get_many(post_models.PostModel, [hit.doc_id for hit in page.hits])
    return [found[hit.doc_id] for hit in page.hits if hit.doc_id in found], page.after


def search_users(query: str, limit: int, after: Position) -> tuple[list[UserModel], Position]:
    """Profiles: exact username, then username prefix, then display-name word; the next position."""
    count(m.SEARCH_QUERIES)  # what a user typed, answered or not
    page = _guarded(lambda engine: engine.search_users(query, limit=limit, after=after))
    found = batches.get_many(user_models.UserModel, [hit.doc_id for hit in page.hits])
    return [found[hit.doc_id] for hit in page.hits if hit.doc_id in found], page.after


def search_hashtags(query: str, limit: int, offset: int) -> tuple[list[tuple[str, int]], int | None]:
    """``(tag, uses in the last 24 hours)`` by prefix, most used first; the next offset (None: no more)."""
    count(m.SEARCH_QUERIES)  # what a user typed, answered or not
    if offset >= MAX_TAG_OFFSET:
        return [], None
    hits = _guarded(lambda engine: engine.search_hashtags(query, limit=offset + limit + 1, now=datetime.now(UTC)))
    page = [(hit.doc_id, int(hit.score)) for hit in hits[offset:offset + limit]]
    return page, (offset + limit if len(hits) > offset + limit else None)


def tag_posts(tag: str, limit: int, before: str | None) -> tuple[list[PostModel], str | None]:
    """A tag's posts newest first, older than ``before``; the last id the index returned if more follow."""
    ids = _guarded(lambda engine: engine.tag_timeline(tag, limit=limit + 1, before=before))
    more = len(ids) > limit
    ids = ids[:limit]
    found = batches.get_many(post_models.PostModel, ids)
    return [found[i] for i in ids if i in found], (ids[-1] if more else None)


def trends(limit: int) -> list[Trend]:
    return _guarded(lambda engine: engine.trending_tags(now=datetime.now(UTC), limit=limit))


def position_of(value: object) -> Position:
    """A backend position from a cursor (signed by us, so only ever what a backend gave out)."""
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return [v if isinstance(v, str) else float(v) for v in value]
    return None

