"""The search port: what the indexer writes and the routes ask, whatever engine answers.

Two backends implement ``SearchBackend``: OpenSearch in AWS (``opensearch_backend``) and an embedded
one on the local platform (``local_backend``, SQLite FTS5). Both follow the ranking rules below and
pass the same behavioural suite (``tests/search/``). The routes read only ids (and scores) from here
and hydrate them from the tables, so a deleted post the index has not caught up with is never shown.

Query text is always data: ``terms`` splits it into words (letters and digits of any script), and
backends search for those words only. No operator, quote, wildcard, query-DSL or SQL syntax of the
input ever reaches an engine as syntax.

Ordering and idempotency: every operation carries a ``version``, the DynamoDB stream record's
sequence number (monotonic per item). A backend applies an operation only if its version is higher
than the one it holds for that document; a lower or equal one is ``stale`` and counts as done. A
delete leaves its version behind (a tombstone) so a late upsert cannot bring the document back.
Sequence numbers have 21 to 40 digits, beyond OpenSearch's 64-bit external versions: both backends
compare them as zero-padded text (OpenSearch through a conditional scripted upsert).

Ranking (both backends):

* posts: every term must match (the last one also as a prefix, for search as you type); relevance is
  BM25 over ``text``; the score is ``bm25 * recency * popularity`` with
  ``recency = 0.5 ** (age / RECENCY_HALF_LIFE)`` and ``popularity = log10(2 + likes + 2 * comments)``;
  ties broken by newer ``post_id``.
* users: an exact username first, then usernames starting with the query, then display names with a
  word starting with it; within each, more followers first, then username.
* hashtags: tags starting with the query (``#`` ignored), the most used in the last 24 hours first.
* trends: tags used by the most distinct authors in the last 24 hours, with the distinct authors of
  each of the last ``TREND_HISTORY_DAYS`` days.

Usage::

    backend.bulk([Put("posts", "01J...", 1234, post_document), Remove("posts", "01K...", 1240)])
    page = backend.search_posts("hello world", limit=20, after=None, now=now)
    page.hits[0].doc_id, page.after           # ``after``: pass back for the next page
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal, Protocol

Index = Literal["posts", "users"]
INDEXES: tuple[Index, ...] = ("posts", "users")
RECENCY_HALF_LIFE = timedelta(days=7)
TREND_WINDOW = timedelta(hours=24)
TREND_HISTORY_DAYS = 7
MAX_QUERY_TERMS = 16  # more words than this are dropped (a query is a few words, not a document)
MAX_TERM_LENGTH = 64

_WORD = re.compile(r"\w+", re.UNICODE)


def terms(query: str) -> list[str]:
    """The words of ``query``, lowercased, in order, at most ``MAX_QUERY_TERMS``; never raises.

    >>> terms('  "Hello" AND wor*ld OR 1=1; -- DROP')
    ['hello', 'and', 'wor', 'ld', 'or', '1', '1', 'drop']
    """
    words = (w.strip("_").lower()[:MAX_TERM_LENGTH] for w in _WORD.findall(query or ""))
    return [w for w in words if w][:MAX_QUERY_TERMS]


def tag_of(text: str) -> str:
    """A hashtag as stored (``posts.text.hashtags``): without ``#``, lowercased."""
    return text.strip().lstrip("#").lower()


@dataclass(frozen=True)
class PostDocument:
    """What is indexed of a post. ``hashtags`` are lowercased without ``#``; ``author`` is a username."""

    post_id: str
    author: str
    text: str
    hashtags: tuple[str, ...]
    created_at: datetime
    likes: int = 0
    comments: int = 0


@dataclass(frozen=True)
class UserDocument:
    """What is indexed of a user."""

    username: str
    display_name: str
    followers: int = 0


@dataclass(frozen=True)
class Put:
    """Create or replace a document, if ``version`` is newer than the one held."""

    index: Index
    doc_id: str
    version: int
    document: PostDocument | UserDocument


@dataclass(frozen=True)
class Remove:
    """Delete a document, if ``version`` is newer than the one held (a tombstone keeps the version)."""

    index: Index
    doc_id: str
    version: int


Operation = Put | Remove


@dataclass(frozen=True)
class BulkOutcome:
    """What ``bulk`` did: applied, stale (a newer version was there: done, nothing to retry), and the
    operations that failed and may be retried, with the engine's reason."""

    applied: int = 0
    stale: int = 0
    failed: tuple[tuple[Operation, str], ...] = ()


@dataclass(frozen=True)
class Hit:
    """One result: the document's id (post id, username or tag) and its score (higher is better)."""

    doc_id: str
    score: float


@dataclass(frozen=True)
class SearchPage:
    """Hits in rank order; ``after`` is an opaque position for the next page (None: no more)."""

    hits: list[Hit]
    after: list[str | float] | None = None


@dataclass(frozen=True)
class Trend:
    """A tag, the distinct authors who used it in the last 24 hours, and per day (oldest first)."""

    tag: str
    people: int
    history: list[tuple[str, int]] = field(default_factory=list)  # (ISO date, distinct authors)


class SearchBackend(Protocol):
    """The engine behind search. Every method is safe for any query text (see ``terms``)."""

    def bulk(self, operations: Sequence[Operation]) -> BulkOutcome:
        """Apply the operations in one request where the engine allows (versions decide, see module)."""
        ...

    def search_posts(self, query: str, *, limit: int, after: list[str | float] | None,
                     now: datetime) -> SearchPage:
        """Posts matching every term of ``query``, best first (module docstring: ranking)."""
        ...

    def search_users(self, query: str, *, limit: int, after: list[str | float] | None) -> SearchPage:
        """Users: exact username, then username prefix, then display-name word prefix."""
        ...

    def search_hashtags(self, query: str, *, limit: int, now: datetime) -> list[Hit]:
        """Tags starting with ``query`` (``#`` ignored), most used in the last 24 hours first."""
        ...

    def tag_timeline(self, tag: str, *, limit: int, before: str | None) -> list[str]:
        """Post ids with ``tag``, newest first, older than post id ``before`` when given."""
        ...

    def trending_tags(self, *, now: datetime, limit: int) -> list[Trend]:
        """Tags used by the most distinct authors in the 24 hours before ``now``."""
        ...
