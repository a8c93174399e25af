"""The OpenSearch backend: the port over an Amazon OpenSearch Service domain, signed with SigV4.

Requests are signed (service ``es``) with the function's own credentials (its role), which the
domain's access policy names; nothing else authenticates. opensearch-py and boto3 are imported
when the first backend is built, never at module import (cold start: a function that does not
search pays nothing).

Indexes sit behind aliases (``opensearch_mappings``); ``ensure_indexes`` creates ``-v1`` and its
alias where none exists, and ``reindex`` builds the next version (copied from the current one, or
filled from batches the caller reads from the tables) and moves the alias atomically. Writes are
conditional on the stream's sequence numbers (``CONDITIONAL_WRITE``: why not external versions).

Usage::

    backend = OpenSearchBackend("https://vpc-social-dev-abc.us-east-1.es.amazonaws.com", "social-dev-", "us-east-1")
    backend.ensure_indexes()
    backend.bulk([Put("posts", post_id, sequence, document)])
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from chalicelib.search import opensearch_queries as queries
from chalicelib.search.opensearch_mappings import alias_name, index_body, version_of, versioned_name
from chalicelib.search.port import (
    INDEXES,
    BulkOutcome,
    Hit,
    Index,
    Operation,
    PostDocument,
    Put,
    SearchPage,
    Trend,
    UserDocument,
)

SERVICE = "es"  # SigV4's service name for OpenSearch Service domains (not "aoss", which is Serverless)
TIMEOUT_SECONDS = 10


def document_body(document: PostDocument | UserDocument) -> dict[str, Any]:
    """A document's ``_source`` as the mappings define it."""
    if isinstance(document, PostDocument):
        return {"post_id": document.post_id, "author": document.author, "text": document.text,
                "hashtags": list(document.hashtags), "created_at": queries.iso(document.created_at),
                "likes": document.likes, "comments": document.comments,
                "engagement": document.likes + 2 * document.comments}
    return {"username": document.username, "display_name": document.display_name,
            "followers": document.followers}


# Versions are DynamoDB stream sequence numbers: 21 to 40 decimal digits (DynamoDB Streams API, StreamRecord.
# SequenceNumber), beyond OpenSearch's external versions (a signed 64-bit long, at most 19 digits). So the
# version travels as a zero-padded string (``seq``, compared as text = compared as a number) and each write is
# a scripted upsert that changes nothing ("noop": stale) unless its sequence number is higher than the one the
# document holds. A delete leaves a tombstone: the document reduced to its ``seq``, which no query matches (it
# has no text, tags, date or name) and which outlives any delay, where an external-version delete is forgotten
# after ``index.gc_deletes`` (60 s). The script is the same for every write: compiled once, cached.
SEQ_DIGITS = 40
CONDITIONAL_WRITE = (
    "String held = ctx._source.seq; "
    "if (held != null && held.compareTo(params.seq) >= 0) { ctx.op = 'none'; } "
    "else { ctx._source.clear(); if (params.doc != null) { ctx._source.putAll(params.doc); } "
    "ctx._source.seq = params.seq; }"
)
RETRY_ON_CONFLICT = 5  # two writers of one document at once: the loser re-reads it and runs the script again


def sequence(version: int) -> str:
    """A version as the index holds it: decimal, zero-padded so text order is number order.

    >>> sequence(300000000000000499659)
    '0000000000000000000300000000000000499659'
    """
    if version < 0 or len(str(version)) > SEQ_DIGITS:
        raise ValueError(f"version {version} is not a stream sequence number (0 to {SEQ_DIGITS} digits)")
    return str(version).zfill(SEQ_DIGITS)


def bulk_lines(prefix: str, operations: Sequence[Operation], into: str | None = None) -> list[dict[str, Any]]:
    """The ``_bulk`` body's lines: per operation, an ``update`` action and its conditional-write script.

    Each goes to its index's alias, or to the concrete index ``into`` (a rebuild being filled).
    """
    lines: list[dict[str, Any]] = []
    for op in operations:
        doc = document_body(op.document) if isinstance(op, Put) else None
        lines += [
            {"update": {"_index": into or alias_name(prefix, op.index), "_id": op.doc_id,
                        "retry_on_conflict": RETRY_ON_CONFLICT}},
            {"scripted_upsert": True, "upsert": {},
             "script": {"lang": "painless", "source": CONDITIONAL_WRITE,
                        "params": {"seq": sequence(op.version), "doc": doc}}},
        ]
    return lines


def bulk_outcome(operations: Sequence[Operation], response: dict[str, Any]) -> BulkOutcome:
    """Applied (created, updated), stale (``noop``: the index holds this version or a newer one) and failed.

    Everything else fails and may be retried, with the engine's reason: throttling (429), a node or
    shard away (5xx), and a 409, which here means that other writers kept changing the document
    through every ``retry_on_conflict`` (not an older version: that is a noop).
    """
    applied = stale = 0
    failed: list[tuple[Operation, str]] = []
    for op, item in zip(operations, response.get("items", []), strict=False):
        result = next(iter(item.values()))
        status = int(result.get("status", 500))
        if status < 300 and result.get("result") == "noop":
            stale += 1
        elif status < 300:
            applied += 1
        else:
            error = result.get("error") or {}
            reason = error.get("type", "error") + ": " + str(error.get("reason", status)) \
                if isinstance(error, dict) else str(error)
            failed.append((op, f"{status} {reason}"))
    # Items the engine did not answer for (a truncated response) are retried, never assumed done.
    for op in operations[len(response.get("items", [])):]:
        failed.append((op, "no answer"))
    return BulkOutcome(applied=applied, stale=stale, failed=tuple(failed))


class OpenSearchBackend:
    """``SearchBackend`` on OpenSearch (see the port for the contract and ranking rules)."""

    def __init__(self, endpoint: str, index_prefix: str, region: str, *,
                 connection_class: type | None = None, credentials: Any = None) -> None:
        """``endpoint``: the domain's https URL; ``connection_class`` and ``credentials`` are for tests
        (a recording transport, fixed keys); by default requests' connection and boto3's credentials."""
        from opensearchpy import OpenSearch, RequestsHttpConnection
        from opensearchpy.helpers.signer import RequestsAWSV4SignerAuth

        if credentials is None:
            import boto3

            credentials = boto3.Session().get_credentials()
        parts = urlsplit(endpoint if "://" in endpoint else f"https://{endpoint}")
        self.prefix = index_prefix
        self._indexes_checked = False
        self.client: Any = OpenSearch(
            hosts=[{"host": parts.hostname, "port": parts.port or 443}],
            http_auth=RequestsAWSV4SignerAuth(credentials, region, SERVICE),
            use_ssl=parts.scheme == "https", verify_certs=parts.scheme == "https",
            connection_class=connection_class or RequestsHttpConnection,
            timeout=TIMEOUT_SECONDS, max_retries=2, retry_on_timeout=True,
        )

    # -- indexes -------------------------------------------------------------------------------
    def ensure_indexes(self) -> list[str]:
        """Create ``<prefix><index>-v1`` and its alias for each index without one; the names created."""
        created = []
        self._indexes_checked = True
        for index in INDEXES:
            alias = alias_name(self.prefix, index)
            if self.client.indices.exists_alias(name=alias):
                continue
            target = versioned_name(self.prefix, index, 1)
            self.client.indices.create(index=target, body={**index_body(index), "aliases": {alias: {}}})
            created.append(target)
        return created

    def current_index(self, index: Index) -> str:
        """The concrete index the alias points at."""
        answer = self.client.indices.get_alias(name=alias_name(self.prefix, index))
        return str(max(answer, key=version_of))

    def reindex(self, index: Index, batches: Iterable[Sequence[Operation]] | None = None) -> str:
        """Build the next version of ``index`` and move the alias to it; the new index's name.

        With ``batches`` (operations read from the tables), the new index is filled from them, one
        ``_bulk`` per batch; without, OpenSearch copies the current index (``_reindex``: documents and
        tombstones with their ``seq``, so later stream records still apply in order).
        Writes keep going to the old index through the alias until the swap. A change the stream
        brings between the copy and the swap reaches only the old index: rebuild while the indexer is
        paused (its event source mapping disabled: records wait in the stream), or replay afterwards.
        The old index stays, for a rollback, until an operator deletes it.
        """
        alias = alias_name(self.prefix, index)
        old = self.current_index(index)
        new = versioned_name(self.prefix, index, version_of(old) + 1)
        self.client.indices.create(index=new, body=index_body(index))
        if batches is None:
            # Documents and tombstones alike, each with its seq: later stream records still apply in order.
            self.client.reindex(body={"source": {"index": old}, "dest": {"index": new}, "conflicts": "proceed"},
                                wait_for_completion=True, refresh=True)
        else:
            for batch in batches:
                outcome = self._bulk(batch, into=new)
                if outcome.failed:  # a partial copy must never become the live index
                    raise RuntimeError(f"reindex of {new} failed: {outcome.failed[0][1]}")
            self.client.indices.refresh(index=new)
        # One _aliases call: both actions apply atomically, so no search sees no index or two.
        self.client.indices.update_aliases(body={"actions": [
            {"remove": {"index": old, "alias": alias}},
            {"add": {"index": new, "alias": alias, "is_write_index": True}},
        ]})
        return new

    # -- writes --------------------------------------------------------------------------------
    def bulk(self, operations: Sequence[Operation]) -> BulkOutcome:
        """One ``_bulk`` request for all the operations; per-item outcomes (see ``bulk_outcome``).

        A process's first bulk makes sure the indexes and aliases exist: a write to a missing alias
        would make OpenSearch create a plain index of that name with guessed mappings.
        """
        if operations and not self._indexes_checked:
            self.ensure_indexes()
        return self._bulk(operations, into=None)

    def _bulk(self, operations: Sequence[Operation], *, into: str | None) -> BulkOutcome:
        if not operations:
            return BulkOutcome()
        bad = [op for op in operations if not 0 <= op.version < 10 ** SEQ_DIGITS]
        if bad:  # not a stream record's: refused here rather than compared wrongly
            good = [op for op in operations if op not in bad]
            outcome = self._bulk(good, into=into)
            return BulkOutcome(outcome.applied, outcome.stale,
                               (*outcome.failed, *((op, "version is not a sequence number") for op in bad)))
        body = "".join(json.dumps(line, separators=(",", ":"), ensure_ascii=False) + "\n"
                       for line in bulk_lines(self.prefix, operations, into))
        from opensearchpy.exceptions import TransportError

        try:
            response = self.client.bulk(body=body)
        except TransportError as error:  # the whole request failed (throttled, unreachable): retry all
            return BulkOutcome(failed=tuple((op, f"{error.status_code} {error.error}") for op in operations))
        return bulk_outcome(operations, response)

    # -- reads ---------------------------------------------------------------------------------
    def search_posts(self, query: str, *, limit: int, after: list[str | float] | None,
                     now: datetime) -> SearchPage:
        body = queries.posts_query(query, limit=limit, after=after, now=now)
        if body is None:
            return SearchPage(hits=[])
        origin = body["query"]["function_score"]["functions"][0]["exp"]["created_at"]["origin"]
        hits = self._search("posts", body)
        page = [Hit(str(h["_id"]), float(h["_score"] if h.get("_score") is not None else h["sort"][0]))
                for h in hits]
        return SearchPage(hits=page, after=queries.posts_after(hits[-1], origin) if len(hits) == limit else None)

    def search_users(self, query: str, *, limit: int, after: list[str | float] | None) -> SearchPage:
        body = queries.users_query(query, limit=limit, after=after)
        if body is None:
            return SearchPage(hits=[])
        hits = self._search("users", body)
        page = [Hit(str(h["_id"]), float(h["sort"][0])) for h in hits]
        return SearchPage(hits=page, after=queries.users_after(hits[-1]) if len(hits) == limit else None)

    def search_hashtags(self, query: str, *, limit: int, now: datetime) -> list[Hit]:
        body = queries.hashtags_query(query, limit=limit, now=now)
        if body is None:
            return []
        answer = self._query("posts", body)
        buckets = answer["aggregations"]["tags"]["buckets"] if answer else []
        return [Hit(str(b["key"]), float(b["doc_count"])) for b in buckets]

    def tag_timeline(self, tag: str, *, limit: int, before: str | None) -> list[str]:
        body = queries.timeline_query(tag, limit=limit, before=before)
        if body is None:
            return []
        hits = self._search("posts", body)
        return [str(h["_id"]) for h in hits]

    def trending_tags(self, *, now: datetime, limit: int) -> list[Trend]:
        answer = self._query("posts", queries.trends_query(now=now, limit=limit))
        days = queries.history_days(now)
        trends = []
        for bucket in answer["aggregations"]["tags"]["buckets"] if answer else []:
            people = int(bucket["recent"]["people"]["value"])
            if people == 0:  # used in the history's days only: not trending now
                continue
            per_day = {b["key_as_string"]: int(b["people"]["value"]) for b in bucket["days"]["buckets"]}
            trends.append(Trend(tag=str(bucket["key"]), people=people,
                                history=[(day, per_day.get(day, 0)) for day in days]))
        return trends[:limit]

    def _search(self, index: Index, body: dict[str, Any]) -> list[dict[str, Any]]:
        answer = self._query(index, body)
        return list(answer["hits"]["hits"]) if answer else []

    def _query(self, index: Index, body: dict[str, Any]) -> dict[str, Any] | None:
        """The ``_search`` answer, or None before the first document created the index (nothing to find)."""
        from opensearchpy.exceptions import NotFoundError

        try:
            answer: dict[str, Any] = self.client.search(index=alias_name(self.prefix, index), body=body)
        except NotFoundError:
            return None
        return answer
