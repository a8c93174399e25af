"""The OpenSearch indexes' settings and mappings, and the names of the indexes and their aliases.

Writes and reads go through an alias (``<prefix>posts``, ``<prefix>users``) that points at one
versioned index (``<prefix>posts-v1``, ``-v2``...): a rebuild fills the next version and moves the
alias in one atomic ``_aliases`` call, so searches never see a half-built index.

Usage::

    body = index_body("posts")          # settings + mappings for PUT /<prefix>posts-v1
    alias_name("social-dev-", "posts")  # 'social-dev-posts'
"""

from __future__ import annotations

from typing import Any

from chalicelib.search.port import Index

USERNAME_MAX = 30  # chalicelib.auth.rules.USERNAME: the longest prefix the edge n-grams must hold


def alias_name(prefix: str, index: Index) -> str:
    """The alias every read and write uses."""
    return f"{prefix}{index}"


def versioned_name(prefix: str, index: Index, version: int) -> str:
    """A concrete index behind the alias: ``<prefix>posts-v3``."""
    return f"{prefix}{index}-v{version}"


def version_of(name: str) -> int:
    """The version number at the end of a concrete index's name (0 if it has none).

    >>> version_of("social-dev-posts-v12")
    12
    """
    head, _, tail = name.rpartition("-v")
    return int(tail) if head and tail.isdigit() else 0


_ANALYSIS: dict[str, Any] = {
    "filter": {
        # Prefix matching for type-ahead: every leading slice of a word, up to a whole username.
        "prefix_grams": {"type": "edge_ngram", "min_gram": 1, "max_gram": USERNAME_MAX},
    },
    "analyzer": {
        # ICU is a plugin; the standard tokenizer already splits every script into words, and
        # asciifolding lets "cafe" find "café" (the local backend's FTS5 unicode61 does the same).
        "text_words": {"type": "custom", "tokenizer": "standard", "filter": ["lowercase", "asciifolding"]},
        "word_prefixes": {"type": "custom", "tokenizer": "standard",
                          "filter": ["lowercase", "asciifolding", "prefix_grams"]},
        "whole_prefixes": {"type": "custom", "tokenizer": "keyword", "filter": ["lowercase", "prefix_grams"]},
        "whole_lower": {"type": "custom", "tokenizer": "keyword", "filter": ["lowercase"]},
    },
    "normalizer": {"lower": {"type": "custom", "filter": ["lowercase"]}},
}

# The stream sequence number of the write the document (or its tombstone) comes from: only the write
# script reads it (opensearch_backend.CONDITIONAL_WRITE), so it is neither searchable nor sortable.
_SEQ: dict[str, Any] = {"type": "keyword", "index": False, "doc_values": False}

_POSTS: dict[str, Any] = {
    "dynamic": "strict",  # a field the adapter does not know is a bug, not a new mapping
    "properties": {
        "post_id": {"type": "keyword"},  # sortable (ULIDs sort by time): the tie-break and the timeline order
        "author": {"type": "keyword", "normalizer": "lower"},
        "text": {"type": "text", "analyzer": "text_words"},
        "hashtags": {"type": "keyword", "normalizer": "lower"},
        "created_at": {"type": "date", "format": "strict_date_optional_time"},
        "likes": {"type": "integer"},
        "comments": {"type": "integer"},
        # likes + 2 * comments: field_value_factor(log2p) turns it into log10(2 + engagement), the port's popularity
        "engagement": {"type": "float"},
        "seq": _SEQ,
    },
}

_USERS: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "username": {
            "type": "keyword", "normalizer": "lower",
            "fields": {"prefix": {"type": "text", "analyzer": "whole_prefixes", "search_analyzer": "whole_lower"}},
        },
        "display_name": {
            "type": "text", "analyzer": "text_words",
            "fields": {"prefix": {"type": "text", "analyzer": "word_prefixes", "search_analyzer": "text_words"}},
        },
        "followers": {"type": "integer"},
        "seq": _SEQ,
    },
}


def index_body(index: Index) -> dict[str, Any]:
    """The body of ``PUT /<versioned index>``: settings, analysis and the strict mapping.

    One shard: posts fit one shard to tens of millions, and one shard keeps BM25 statistics and
    terms aggregations exact. Replicas expand to the nodes there are (none on dev's single node,
    whose cluster would otherwise stay yellow; one copy per other zone in prod).
    """
    return {
        "settings": {"index": {"number_of_shards": 1, "auto_expand_replicas": "0-2",
                               "refresh_interval": "1s"},
                     "analysis": _ANALYSIS},
        "mappings": _POSTS if index == "posts" else _USERS,
    }
