"""The OpenSearch request bodies for each search, built from the port's ``terms`` only.

Query text is data: only ``" ".join(terms(query))`` reaches OpenSearch, and only as the text of
``match``/``match_bool_prefix``/``term`` queries, which never parse syntax (no ``query_string`` or
``simple_query_string`` anywhere). Hashtag prefixes reach a ``terms`` aggregation's ``include``
regular expression with every character that is not a letter or digit escaped.

Each function returns a plain dict (the ``_search`` body), so tests compare them with recorded
expectations without a server.

Usage::

    body = posts_query("hello wor", limit=20, after=None, now=now)
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from chalicelib.search.port import RECENCY_HALF_LIFE, TREND_HISTORY_DAYS, TREND_WINDOW, tag_of, terms

# Tiers of the users' ranking (port: exact username, then username prefix, then display-name word
# prefix): constant scores far enough apart that the sum of lower tiers never reaches a higher one.
EXACT_USERNAME = 100.0
USERNAME_PREFIX = 10.0
DISPLAY_NAME_PREFIX = 1.0
_TAG = re.compile(r"\w{1,50}")  # chalicelib.posts.text's hashtags
_HISTORY_BUCKETS_MIN = 200  # tags a trends request weighs before keeping ``limit`` (one shard: exact anyway)


def iso(moment: datetime) -> str:
    """A UTC timestamp as the index stores it (``strict_date_optional_time``, milliseconds)."""
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def phrase(query: str) -> str:
    """The only form of the query text that reaches OpenSearch: its words, space-separated."""
    return " ".join(terms(query))


def posts_query(query: str, *, limit: int, after: list[str | float] | None, now: datetime) -> dict[str, Any] | None:
    """Posts with every word (the last also as a prefix), scored ``bm25 * recency * popularity``.

    ``None`` when the query has no words (nothing to search for). The recency origin travels in
    ``after`` (third element) so every page of one search ranks with the same clock.
    """
    text = phrase(query)
    if not text:
        return None
    origin = str(after[2]) if after and len(after) > 2 else iso(now)
    body: dict[str, Any] = {
        "size": limit,
        "_source": False,
        "track_total_hits": False,
        "query": {
            "function_score": {
                "query": {"bool": {
                    # every word must match, the last one as a word or a word's prefix
                    "must": [{"match_bool_prefix": {"text": {"query": text, "operator": "and"}}}],
                    # whole words score BM25 (a prefix alone matches with a constant score)
                    "should": [{"match": {"text": {"query": text, "operator": "and"}}}],
                }},
                "functions": [
                    # exp decay: 0.5 ** (age / scale) with decay 0.5 at one scale, the port's recency
                    {"exp": {"created_at": {"origin": origin, "scale": _duration(RECENCY_HALF_LIFE),
                                            "decay": 0.5}}},
                    # log2p: log10(2 + engagement) = log10(2 + likes + 2 * comments), the port's popularity
                    {"field_value_factor": {"field": "engagement", "modifier": "log2p", "missing": 0}},
                ],
                "score_mode": "multiply",
                "boost_mode": "multiply",
            }
        },
        "sort": [{"_score": "desc"}, {"post_id": "desc"}],
    }
    if after:
        body["search_after"] = [float(after[0]), str(after[1])]
    return body


def posts_after(hit: dict[str, Any], origin: str) -> list[str | float]:
    """The position after a posts hit: its sort values and the recency origin of the search."""
    score, post_id = hit["sort"]
    return [float(score), str(post_id), origin]


def users_query(query: str, *, limit: int, after: list[str | float] | None) -> dict[str, Any] | None:
    """Users in tiers (exact username, username prefix, display-name word prefix), then followers."""
    words = terms(query)
    if not words:
        return None
    text = " ".join(words)
    # A username is one word ([a-z0-9_]); a query of several words can only match display names.
    handle = words[0] if len(words) == 1 else None
    should: list[dict[str, Any]] = [
        # display_name.prefix holds every word's leading slices (edge n-grams at index time), so a plain
        # match with every word is "a word starting with each": no prefix expansion at search time
        {"constant_score": {"filter": {"match": {"display_name.prefix": {
            "query": text, "operator": "and"}}}, "boost": DISPLAY_NAME_PREFIX}},
    ]
    if handle is not None:
        should[:0] = [
            {"constant_score": {"filter": {"term": {"username": handle}}, "boost": EXACT_USERNAME}},
            {"constant_score": {"filter": {"term": {"username.prefix": handle}}, "boost": USERNAME_PREFIX}},
        ]
    body: dict[str, Any] = {
        "size": limit,
        "_source": False,
        "track_total_hits": False,
        "query": {"bool": {"should": should, "minimum_should_match": 1}},
        "sort": [{"_score": "desc"}, {"followers": "desc"}, {"username": "asc"}],
    }
    if after:
        body["search_after"] = [float(after[0]), int(float(after[1])), str(after[2])]
    return body


def users_after(hit: dict[str, Any]) -> list[str | float]:
    """The position after a users hit: tier score, followers, username."""
    score, followers, username = hit["sort"]
    return [float(score), float(followers), str(username)]


def hashtags_query(query: str, *, limit: int, now: datetime) -> dict[str, Any] | None:
    """Tags starting with the query's first word, by posts in the last 24 hours."""
    words = terms(query)
    if not words:
        return None
    return {
        "size": 0,
        "track_total_hits": False,
        "query": {"bool": {"filter": [_window(now - TREND_WINDOW, now)]}},
        "aggs": {"tags": {"terms": {
            "field": "hashtags", "size": limit,
            "include": f"{regex_literal(words[0])}.*",
            "order": [{"_count": "desc"}, {"_key": "asc"}],
        }}},
    }


def regex_literal(text: str) -> str:
    """``text`` as a literal in Lucene's regular expressions: every non-alphanumeric character escaped.

    >>> regex_literal('a.b*"c')
    'a\\\\.b\\\\*\\\\"c'
    """
    return "".join(ch if ch.isalnum() else "\\" + ch for ch in text)


def timeline_query(tag: str, *, limit: int, before: str | None) -> dict[str, Any] | None:
    """Post ids with the tag, newest first (post ids sort by time), older than ``before``.

    ``None`` when ``tag`` cannot be a hashtag (``posts.text``: one word of at most 50 characters).
    """
    name = tag_of(tag)
    if not _TAG.fullmatch(name):
        return None
    filters: list[dict[str, Any]] = [{"term": {"hashtags": name}}]
    if before:
        filters.append({"range": {"post_id": {"lt": before}}})
    return {
        "size": limit,
        "_source": False,
        "track_total_hits": False,
        "query": {"bool": {"filter": filters}},
        "sort": [{"post_id": "desc"}],
    }


def history_days(now: datetime) -> list[str]:
    """The ISO dates of the trends' history, oldest first, ending with ``now``'s day."""
    today = now.date()
    return [(today - timedelta(days=back)).isoformat() for back in range(TREND_HISTORY_DAYS - 1, -1, -1)]


def trends_query(*, now: datetime, limit: int) -> dict[str, Any]:
    """Tags by distinct authors in the last 24 hours, each with distinct authors per day of the history."""
    days = history_days(now)
    window_start = now - TREND_WINDOW
    history_start = datetime.fromisoformat(days[0]).replace(tzinfo=now.tzinfo)
    return {
        "size": 0,
        "track_total_hits": False,
        "query": {"bool": {"filter": [_window(min(history_start, window_start), now)]}},
        "aggs": {"tags": {
            "terms": {"field": "hashtags", "size": max(limit, 1), "shard_size": max(limit, _HISTORY_BUCKETS_MIN),
                      "order": [{"recent>people": "desc"}, {"_key": "asc"}]},
            "aggs": {
                "recent": {"filter": _window(window_start, now),
                           "aggs": {"people": {"cardinality": {"field": "author"}}}},
                "days": {
                    "date_histogram": {"field": "created_at", "calendar_interval": "day", "time_zone": "UTC",
                                       "format": "yyyy-MM-dd", "min_doc_count": 0,
                                       "extended_bounds": {"min": days[0], "max": days[-1]}},
                    "aggs": {"people": {"cardinality": {"field": "author"}}},
                },
            },
        }},
    }


def _window(start: datetime, end: datetime) -> dict[str, Any]:
    return {"range": {"created_at": {"gte": iso(start), "lte": iso(end)}}}


def _duration(span: timedelta) -> str:
    """A span in OpenSearch's time units (whole minutes are enough for a half-life)."""
    return f"{int(span.total_seconds() // 60)}m"
