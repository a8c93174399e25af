"""The embedded search backend of the local platform: SQLite FTS5, from the standard library.

Same interface and ranking rules as OpenSearch (see ``chalicelib.search.port``), so ``make dev``
searches with no server. One file (``SEARCH_SQLITE_FILE``), WAL journal; one connection shared by
the process's threads behind a lock (SQLite serialises writers anyway, and a query takes
milliseconds).

Tables: ``versions`` (every document's last version, a tombstone after a delete), ``posts`` with
``posts_fts`` (FTS5 over the text, rowid = the post's rowid), ``users`` with ``users_fts`` (display
names, for word-prefix type-ahead), and ``hashtags`` (tag, post, author, created_at) for tag
timelines, tag search and trends.

Query text is data: MATCH expressions are built only from ``terms()`` output, each term a quoted
FTS5 string (the last one followed by ``*`` for prefix matching); nothing else of the input reaches
SQL except as bound parameters.

Usage::

    backend = LocalSearchBackend(".local/search.db")
    backend.bulk([Put("posts", post_id, 17, PostDocument(...))])
    backend.search_posts("hello wor", limit=20, after=None, now=datetime.now(UTC))
"""

from __future__ import annotations

import math
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.search.port import (
    RECENCY_HALF_LIFE,
    TREND_HISTORY_DAYS,
    TREND_WINDOW,
    BulkOutcome,
    Hit,
    Operation,
    PostDocument,
    Put,
    SearchPage,
    Trend,
    UserDocument,
    tag_of,
    terms,
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS versions (
    idx TEXT NOT NULL, doc_id TEXT NOT NULL, version TEXT NOT NULL, alive INTEGER NOT NULL,
    PRIMARY KEY (idx, doc_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS posts (
    rowid INTEGER PRIMARY KEY, post_id TEXT NOT NULL UNIQUE, author TEXT NOT NULL, created_at REAL NOT NULL,
    likes INTEGER NOT NULL, comments INTEGER NOT NULL);
CREATE VIRTUAL TABLE IF NOT EXISTS posts_fts USING fts5(text, tokenize = 'unicode61 remove_diacritics 2');
CREATE TABLE IF NOT EXISTS users (
    rowid INTEGER PRIMARY KEY, username TEXT NOT NULL UNIQUE, display_name TEXT NOT NULL,
    followers INTEGER NOT NULL);
CREATE VIRTUAL TABLE IF NOT EXISTS users_fts USING fts5(display_name, tokenize = 'unicode61 remove_diacritics 2');
CREATE TABLE IF NOT EXISTS hashtags (
    tag TEXT NOT NULL, post_id TEXT NOT NULL, author TEXT NOT NULL, created_at REAL NOT NULL,
    PRIMARY KEY (tag, post_id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS hashtags_by_time ON hashtags (created_at);
CREATE INDEX IF NOT EXISTS hashtags_by_post ON hashtags (post_id);
CREATE INDEX IF NOT EXISTS posts_by_popularity ON posts (likes + 2 * comments);
"""

_HALF_LIFE_SECONDS = RECENCY_HALF_LIFE.total_seconds()
_ROWS_PER_MS = 1024
_BM25_K1 = 1.2  # FTS5's bm25() constants (ext/fts5/fts5_aux.c): k1 = 1.2, b = 0.75
_WINDOW = 1000  # below this many (a quarter of the matches), every match is scored at once

# A match's score: bm25 (negated by FTS5: lower is better there) x recency x popularity.
_SCORE = """(-bm25(posts_fts)) * pow(0.5, max(0.0, :now - p.created_at) / :half_life)
            * log10(2 + p.likes + 2 * p.comments)"""
_AFTER = ":first OR score < :score OR (score = :score AND post_id < :post_id)"
_ALL_POSTS = f"""
    SELECT post_id, score FROM (
        SELECT p.post_id AS post_id, {_SCORE} AS score
        FROM posts_fts JOIN posts p ON p.rowid = posts_fts.rowid WHERE posts_fts MATCH :match)
    WHERE {_AFTER} ORDER BY score DESC, post_id DESC LIMIT :limit"""
# The newest :window matches: first a summary row (how many were scored, the oldest rowid), then the best.
_WINDOWED_POSTS = f"""
    WITH scored AS MATERIALIZED (
        SELECT p.post_id AS post_id, {_SCORE} AS score, posts_fts.rowid AS row
        FROM posts_fts JOIN posts p ON p.rowid = posts_fts.rowid WHERE posts_fts MATCH :match
        ORDER BY posts_fts.rowid DESC LIMIT :window)
    SELECT NULL, NULL, count(*), min(row) FROM scored
    UNION ALL
    SELECT * FROM (SELECT post_id, score, NULL, NULL FROM scored WHERE {_AFTER}
                   ORDER BY score DESC, post_id DESC LIMIT :limit)"""
_VERSION_DIGITS = 48


def match_expression(words: Sequence[str]) -> str:
    """An FTS5 query where every word must match, the last also as a prefix: ``"hello" "wor"*``.

    Each word is an FTS5 string (double quotes, inner ones doubled), so no operator, column filter
    or syntax of the user's text can take effect.
    """
    quoted = ['"' + word.replace('"', '""') + '"' for word in words]
    return " ".join([*quoted[:-1], quoted[-1] + "*"]) if quoted else ""


def _epoch(moment: datetime) -> float:
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def _version_key(version: int) -> str:
    """A version as sortable text: stream sequence numbers (moto's have 22 digits, AWS's more) overflow
    SQLite's 64-bit integers, so versions are compared as zero-padded decimals."""
    if version < 0 or version >= 10**_VERSION_DIGITS:
        raise ValueError(f"version {version} is outside 0..10**{_VERSION_DIGITS}")
    return f"{version:0{_VERSION_DIGITS}d}"


def _username_key(query: str) -> str:
    """What a username is compared with: the query's words joined as a username would be (``@`` ignored)."""
    return "_".join(terms(query))


class LocalSearchBackend:
    """``SearchBackend`` on one SQLite file (``":memory:"`` for a throwaway one)."""

    def __init__(self, path: str, *, window: int = _WINDOW) -> None:
        self.path = path
        self._window = max(1, window)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30.0)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable across crashes of the process
        _ensure_math(self._db)
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # --- writing ------------------------------------------------------------------------------------

    def bulk(self, operations: Sequence[Operation]) -> BulkOutcome:
        """One transaction; each operation in a savepoint, so one failing leaves the others applied."""
        applied = stale = 0
        failed: list[tuple[Operation, str]] = []
        with self._transaction() as db:
            for operation in operations:
                try:
                    version = _version_key(operation.version)
                except (ValueError, TypeError) as error:
                    failed.append((operation, f"{type(error).__name__}: {error}"))
                    continue
                held = db.execute("SELECT version FROM versions WHERE idx = ? AND doc_id = ?",
                                  (operation.index, operation.doc_id)).fetchone()
                if held is not None and held[0] >= version:
                    stale += 1
                    continue
                db.execute("SAVEPOINT operation")
                try:
                    self._apply(db, operation)
                except (sqlite3.Error, ValueError, TypeError, OverflowError) as error:
                    db.execute("ROLLBACK TO operation")
                    db.execute("RELEASE operation")
                    failed.append((operation, f"{type(error).__name__}: {error}"))
                    continue
                db.execute("RELEASE operation")
                applied += 1
        return BulkOutcome(applied=applied, stale=stale, failed=tuple(failed))

    def _apply(self, db: sqlite3.Connection, operation: Operation) -> None:
        alive = isinstance(operation, Put)
        if operation.index == "posts":
            self._remove_post(db, operation.doc_id)
            if isinstance(operation, Put):
                if not isinstance(operation.document, PostDocument):
                    raise TypeError("the posts index takes PostDocument")
                self._put_post(db, operation.doc_id, operation.document)
        elif operation.index == "users":
            db.execute("DELETE FROM users_fts WHERE rowid = (SELECT rowid FROM users WHERE username = ?)",
                       (operation.doc_id,))
            db.execute("DELETE FROM users WHERE username = ?", (operation.doc_id,))
            if isinstance(operation, Put):
                if not isinstance(operation.document, UserDocument):
                    raise TypeError("the users index takes UserDocument")
                user = operation.document
                row = db.execute("INSERT INTO users (username, display_name, followers) VALUES (?, ?, ?)",
                                 (operation.doc_id, user.display_name, int(user.followers))).lastrowid
                db.execute("INSERT INTO users_fts (rowid, display_name) VALUES (?, ?)", (row, user.display_name))
        else:
            raise ValueError(f"no index {operation.index!r}")
        db.execute("INSERT INTO versions (idx, doc_id, version, alive) VALUES (?, ?, ?, ?) "
                   "ON CONFLICT (idx, doc_id) DO UPDATE SET version = excluded.version, alive = excluded.alive",
                   (operation.index, operation.doc_id, _version_key(operation.version), int(alive)))

    @staticmethod
    def _remove_post(db: sqlite3.Connection, post_id: str) -> None:
        db.execute("DELETE FROM posts_fts WHERE rowid = (SELECT rowid FROM posts WHERE post_id = ?)", (post_id,))
        db.execute("DELETE FROM posts WHERE post_id = ?", (post_id,))
        db.execute("DELETE FROM hashtags WHERE post_id = ?", (post_id,))

    @staticmethod
    def _put_post(db: sqlite3.Connection, post_id: str, post: PostDocument) -> None:
        created = _epoch(post.created_at)
        # rowids grow with created_at (1,024 per millisecond), so "the newest matches" is FTS5's rowid order.
        base = math.floor(created * 1000) * _ROWS_PER_MS
        (taken,) = db.execute("SELECT max(rowid) FROM posts WHERE rowid BETWEEN ? AND ?",
                              (base, base + _ROWS_PER_MS - 1)).fetchone()
        row = base if taken is None else taken + 1
        if row >= base + _ROWS_PER_MS:
            raise ValueError(f"more than {_ROWS_PER_MS} posts created in one millisecond")
        db.execute("INSERT INTO posts (rowid, post_id, author, created_at, likes, comments) VALUES (?, ?, ?, ?, ?, ?)",
                   (row, post_id, post.author, created, int(post.likes), int(post.comments)))
        db.execute("INSERT INTO posts_fts (rowid, text) VALUES (?, ?)", (row, post.text))
        tags = dict.fromkeys(tag_of(tag) for tag in post.hashtags)
        db.executemany("INSERT INTO hashtags (tag, post_id, author, created_at) VALUES (?, ?, ?, ?)",
                       [(tag, post_id, post.author, created) for tag in tags if tag])

    # --- searching ----------------------------------------------------------------------------------

    def search_posts(self, query: str, *, limit: int, after: list[str | float] | None,
                     now: datetime) -> SearchPage:
        """Every term matches (the last as a prefix); ``bm25 * recency * popularity``, newer id on ties.

        ``after`` is ``[score, post_id, now]``: the next pages score with the first page's ``now``,
        so a page boundary does not move while time passes.
        """
        words = terms(query)
        if not words or limit < 1:
            return SearchPage(hits=[])
        reference = _epoch(now)
        position = _post_position(after)
        if position is not None:
            reference = position[2]
        params: dict[str, Any] = {
            "now": reference, "half_life": _HALF_LIFE_SECONDS, "match": match_expression(words),
            "first": position is None, "score": position[0] if position else 0.0,
            "post_id": position[1] if position else "", "limit": limit + 1}
        with self._lock:  # one snapshot for the counts, the window and the bound
            rows = self._ranked_posts(words, params)
        hits = [Hit(str(post_id), float(score)) for post_id, score in rows[:limit]]
        more = len(rows) > limit
        return SearchPage(hits=hits, after=[hits[-1].score, hits[-1].doc_id, reference] if more else None)

    def _ranked_posts(self, words: list[str], params: dict[str, Any]) -> list[tuple[Any, ...]]:
        """The best ``limit`` matches after the position; for common words, only the newest quarter scored.

        ``bm25()`` costs over a microsecond a row, so a word in most of 100,000 posts costs 100 ms to
        rank in full. When the query's rarest term has many posts, the newest quarter of them is scored
        first (FTS5 reads its index in rowid order, and rowids follow created_at). No older match can
        score more than ``bound``: the highest bm25 the terms can give (``(k1 + 1) * idf`` each, FTS5's
        own formula), times the recency of the oldest scored match, times the highest popularity held.
        When the page's last row beats it, the page is exact; otherwise every match is scored.
        """
        phrases = [match_expression([word])[:-1] for word in words[:-1]] + [match_expression(words[-1:])]
        counts = [self._db.execute("SELECT count(*) FROM posts_fts WHERE posts_fts MATCH ?", (phrase,)).fetchone()[0]
                  for phrase in phrases]
        window = min(counts) // 4
        if window >= self._window:
            summary, *found = self._db.execute(_WINDOWED_POSTS, {**params, "window": window}).fetchall()
            rows = [(post_id, score) for post_id, score, _, _ in found]
            if summary[2] < window or (len(rows) == params["limit"]
                                       and rows[-1][1] > self._older_bound(counts, params, summary[3])):
                return rows
        return self._db.execute(_ALL_POSTS, params).fetchall()

    def _older_bound(self, counts: list[int], params: dict[str, Any], oldest_row: int) -> float:
        """The highest score a match created no later than rowid ``oldest_row`` could have."""
        documents = self._db.execute("SELECT count(*) FROM posts").fetchone()[0]
        relevance = sum((_BM25_K1 + 1) * max(1e-6, math.log((documents - hits + 0.5) / (hits + 0.5)))
                        for hits in counts)
        (busiest,) = self._db.execute("SELECT max(likes + 2 * comments) FROM posts").fetchone()
        created = (oldest_row // _ROWS_PER_MS + 1) / 1000  # the latest any older match can be
        recency = 0.5 ** (max(0.0, params["now"] - created) / params["half_life"])
        # 1% over: float rounding stays on the safe side.
        return float(1.01 * relevance * recency * math.log10(2 + (busiest or 0)))

    def search_users(self, query: str, *, limit: int, after: list[str | float] | None) -> SearchPage:
        """Tier 0 exact username, 1 username prefix, 2 a display-name word starting with the query;
        within a tier more followers first, then username. ``after`` is ``[tier, followers, username]``."""
        words = terms(query)
        if not words or limit < 1:
            return SearchPage(hits=[])
        position = _user_position(after)
        sql = """
            SELECT username, tier, followers FROM (
                SELECT username, followers,
                       CASE WHEN username = :name THEN 0
                            WHEN substr(username, 1, length(:name)) = :name THEN 1 ELSE 2 END AS tier
                FROM users
                WHERE substr(username, 1, length(:name)) = :name
                   OR rowid IN (SELECT rowid FROM users_fts WHERE users_fts MATCH :match))
            WHERE :first OR tier > :tier OR (tier = :tier AND (followers < :followers
                  OR (followers = :followers AND username > :username)))
            ORDER BY tier, followers DESC, username LIMIT :limit"""
        params = {"name": _username_key(query), "match": match_expression(words), "first": position is None,
                  "tier": position[0] if position else 0, "followers": position[1] if position else 0,
                  "username": position[2] if position else "", "limit": limit + 1}
        rows = self._read(sql, params)
        # Scores only order: 3 for an exact name, 2 a prefix, 1 a display name (higher is better).
        hits = [Hit(str(name), float(3 - tier)) for name, tier, _ in rows[:limit]]
        more = len(rows) > limit
        last = rows[limit - 1] if more else None
        return SearchPage(hits=hits, after=[float(last[1]), float(last[2]), str(last[0])] if last else None)

    def search_hashtags(self, query: str, *, limit: int, now: datetime) -> list[Hit]:
        """Tags starting with the query's first word (``#`` ignored), most used in the last 24 hours first."""
        words = terms(query)
        if not words or limit < 1:
            return []
        prefix = tag_of(words[0])
        end = _epoch(now)
        rows = self._read("""
            SELECT tag, sum(created_at > :start AND created_at <= :end) AS recent FROM hashtags
            WHERE substr(tag, 1, length(:prefix)) = :prefix
            GROUP BY tag ORDER BY recent DESC, count(*) DESC, tag LIMIT :limit""",
                          {"prefix": prefix, "start": end - TREND_WINDOW.total_seconds(), "end": end,
                           "limit": limit})
        return [Hit(str(tag), float(recent)) for tag, recent in rows]

    def tag_timeline(self, tag: str, *, limit: int, before: str | None) -> list[str]:
        if limit < 1:
            return []
        rows = self._read("SELECT post_id FROM hashtags WHERE tag = :tag AND (:before IS NULL OR post_id < :before) "
                          "ORDER BY post_id DESC LIMIT :limit", {"tag": tag_of(tag), "before": before, "limit": limit})
        return [str(post_id) for (post_id,) in rows]

    def trending_tags(self, *, now: datetime, limit: int) -> list[Trend]:
        """Tags by distinct authors in the 24 hours before ``now``, with distinct authors per UTC day."""
        if limit < 1:
            return []
        end = _epoch(now)
        top = self._read("""
            SELECT tag, count(DISTINCT author) AS people FROM hashtags
            WHERE created_at > :start AND created_at <= :end
            GROUP BY tag ORDER BY people DESC, max(created_at) DESC, tag LIMIT :limit""",
                         {"start": end - TREND_WINDOW.total_seconds(), "end": end, "limit": limit})
        if not top:
            return []
        today = datetime.fromtimestamp(end, UTC).date()
        days = [today - timedelta(days=back) for back in range(TREND_HISTORY_DAYS - 1, -1, -1)]
        first_day = datetime(days[0].year, days[0].month, days[0].day, tzinfo=UTC).timestamp()
        tags = [str(tag) for tag, _ in top]
        marks = ", ".join("?" for _ in tags)
        daily = self._read(f"""
            SELECT tag, date(created_at, 'unixepoch') AS day, count(DISTINCT author) FROM hashtags
            WHERE tag IN ({marks}) AND created_at >= ? AND created_at <= ?
            GROUP BY tag, day""", [*tags, first_day, end])
        per_day: dict[tuple[str, str], int] = {(str(tag), str(day)): int(n) for tag, day, n in daily}
        return [Trend(tag=tag, people=int(people),
                      history=[(day.isoformat(), per_day.get((tag, day.isoformat()), 0)) for day in days])
                for tag, people in ((str(t), p) for t, p in top)]

    def _read(self, sql: str, params: Mapping[str, Any] | Sequence[Any]) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    # --- what the benchmark and the reindex read ----------------------------------------------------

    def count(self, index: str) -> int:
        """Live documents in ``index`` (``posts`` or ``users``)."""
        table = {"posts": "posts", "users": "users"}[index]
        return int(self._read(f"SELECT count(*) FROM {table}", ())[0][0])


def _post_position(after: list[str | float] | None) -> tuple[float, str, float] | None:
    """``[score, post_id, now]`` as this backend gave it out; anything else is the first page."""
    if not after or len(after) != 3:
        return None
    score, post_id, now = after
    if isinstance(score, str) or not isinstance(post_id, str) or isinstance(now, str):
        return None
    if not (math.isfinite(score) and math.isfinite(now)):
        return None
    return float(score), post_id, float(now)


def _user_position(after: list[str | float] | None) -> tuple[int, float, str] | None:
    if not after or len(after) != 3:
        return None
    tier, followers, username = after
    if isinstance(tier, str) or isinstance(followers, str) or not isinstance(username, str):
        return None
    return int(tier), float(followers), username


def _ensure_math(db: sqlite3.Connection) -> None:
    """``pow``/``log10`` are built into SQLite 3.35+ when compiled with math functions; else Python's."""
    try:
        db.execute("SELECT pow(2, 2), log10(100)").fetchone()
    except sqlite3.OperationalError:
        db.create_function("pow", 2, math.pow, deterministic=True)
        db.create_function("log10", 1, math.log10, deterministic=True)

