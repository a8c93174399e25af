"""The indexer: stream batches of the posts and users tables -> one versioned bulk, failures to retry by record."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from chalice.app import DynamoDBEvent

from chalicelib.posts.models import PostModel
from chalicelib.search.indexer import index_records, post_operation, user_operation
from chalicelib.search.local_backend import LocalSearchBackend
from chalicelib.search.port import BulkOutcome, Operation, SearchBackend
from chalicelib.users.models import UserModel
from local.events import dynamodb_event, dynamodb_record

ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/posts/stream/2026-01-01T00:00:00.000"
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
FIRST = 1100000000017454423009  # moto's first sequence number: more digits than 64 bits hold


def post(post_id: str, content: str, **extra: Any) -> PostModel:
    return PostModel(post_id, author=extra.pop("author", "ada"), content=content, hashtags=extra.pop("hashtags", []),
                     mentions=[], likes_count=extra.pop("likes", 0), comments_count=0, created_at=NOW, **extra)


def record(sequence: int, name: str, new: PostModel | UserModel | None = None,
           old: PostModel | UserModel | None = None) -> dict[str, Any]:
    item = new or old
    assert item is not None
    key = "post_id" if isinstance(item, PostModel) else "username"
    dynamodb: dict[str, Any] = {"Keys": {key: {"S": getattr(item, key)}}, "SequenceNumber": str(sequence),
                                "SizeBytes": 100, "StreamViewType": "NEW_AND_OLD_IMAGES",
                                "ApproximateCreationDateTime": NOW}
    if new is not None:
        dynamodb["NewImage"] = dict(new.serialize())
    if old is not None:
        dynamodb["OldImage"] = dict(old.serialize())
    return dynamodb_record({"eventID": f"e{sequence}", "eventName": name, "dynamodb": dynamodb}, ARN, "us-east-1")


def event(*records: dict[str, Any]) -> DynamoDBEvent:
    return DynamoDBEvent(dynamodb_event(list(records)), context=None)


class Counting:
    """A backend that counts bulk requests (and can fail chosen documents, or everything)."""

    def __init__(self, inner: SearchBackend, fail_ids: Sequence[str] = (), down: bool = False) -> None:
        self.inner, self.fail_ids, self.down, self.requests = inner, set(fail_ids), down, 0

    def bulk(self, operations: Sequence[Operation]) -> BulkOutcome:
        self.requests += 1
        if self.down:
            raise ConnectionError("the engine is down")
        kept = [op for op in operations if op.doc_id not in self.fail_ids]
        outcome = self.inner.bulk(kept)
        failed = tuple((op, "es_rejected_execution_exception") for op in operations if op.doc_id in self.fail_ids)
        return BulkOutcome(outcome.applied, outcome.stale, outcome.failed + failed)


@pytest.fixture
def local(tmp_path: Path) -> LocalSearchBackend:
    return LocalSearchBackend(str(tmp_path / "search.db"))


def ids(backend: LocalSearchBackend, query: str) -> list[str]:
    return [hit.doc_id for hit in backend.search_posts(query, limit=10, after=None, now=NOW).hits]


def test_a_batch_is_one_bulk_request_and_its_posts_are_found(local: LocalSearchBackend) -> None:
    counting = Counting(local)
    batch = event(*(record(FIRST + n, "INSERT", new=post(f"p{n}", f"hello number {n}")) for n in range(50)))
    assert index_records(batch, post_operation, counting) == {"batchItemFailures": []}
    assert counting.requests == 1
    assert len(ids(local, "hello")) == 10 and local.count("posts") == 50


def test_edits_and_deletes_propagate_and_a_replayed_batch_changes_nothing(local: LocalSearchBackend) -> None:
    first, edited = post("p1", "original #words", hashtags=["words"]), post("p1", "changed text")
    gone = post("p2", "short lived")
    batch = event(record(FIRST, "INSERT", new=first), record(FIRST + 1, "INSERT", new=gone),
                  record(FIRST + 2, "MODIFY", new=edited, old=first), record(FIRST + 3, "REMOVE", old=gone))
    assert index_records(batch, post_operation, local) == {"batchItemFailures": []}
    assert ids(local, "changed") == ["p1"] and ids(local, "original") == [] and ids(local, "short") == []
    assert local.tag_timeline("words", limit=5, before=None) == []
    # Lambda delivers at least once: the same records again are stale, the index unchanged.
    assert index_records(batch, post_operation, local) == {"batchItemFailures": []}
    assert ids(local, "changed") == ["p1"] and ids(local, "short") == []


def test_failed_operations_are_reported_by_their_records(local: LocalSearchBackend) -> None:
    counting = Counting(local, fail_ids=["p2", "p4"])
    batch = event(*(record(FIRST + n, "INSERT", new=post(f"p{n}", "text")) for n in range(6)))
    answer = index_records(batch, post_operation, counting)
    assert answer == {"batchItemFailures": [{"itemIdentifier": str(FIRST + 2)}, {"itemIdentifier": str(FIRST + 4)}]}
    assert sorted(ids(local, "text")) == ["p0", "p1", "p3", "p5"]


def test_an_engine_that_is_down_fails_the_whole_batch(local: LocalSearchBackend) -> None:
    batch = event(record(FIRST, "INSERT", new=post("p1", "a")), record(FIRST + 1, "INSERT", new=post("p2", "b")))
    answer = index_records(batch, post_operation, Counting(local, down=True))
    assert [item["itemIdentifier"] for item in answer["batchItemFailures"]] == [str(FIRST), str(FIRST + 1)]


def test_a_malformed_record_fails_alone(local: LocalSearchBackend) -> None:
    good = record(FIRST + 1, "INSERT", new=post("p1", "fine"))
    bad = record(FIRST, "INSERT", new=post("p0", "broken"))
    del bad["dynamodb"]["NewImage"]["content"]
    answer = index_records(event(bad, good), post_operation, local)
    assert answer == {"batchItemFailures": [{"itemIdentifier": str(FIRST)}]}
    assert ids(local, "fine") == ["p1"]


def test_users_are_indexed_with_their_followers(local: LocalSearchBackend) -> None:
    ada = UserModel("ada", user_id="u1", email="a@example.com", display_name="Ada Lovelace", followers_count=7)
    renamed = UserModel("ada", user_id="u1", email="a@example.com", display_name="Countess", followers_count=8)
    bob = UserModel("bob", user_id="u2", email="b@example.com", display_name="Bob")
    batch = event(record(FIRST, "INSERT", new=ada), record(FIRST + 1, "INSERT", new=bob),
                  record(FIRST + 2, "MODIFY", new=renamed, old=ada), record(FIRST + 3, "REMOVE", old=bob))
    assert index_records(batch, user_operation, local) == {"batchItemFailures": []}
    assert [h.doc_id for h in local.search_users("count", limit=5, after=None).hits] == ["ada"]
    assert local.search_users("lovelace", limit=5, after=None).hits == []
    assert local.search_users("bob", limit=5, after=None).hits == []


def test_the_embedded_backend_serves_threads_at_once(local: LocalSearchBackend) -> None:
    def write(worker: int) -> None:
        for n in range(20):
            doc = f"w{worker}-{n:02d}"
            batch = event(record(FIRST + worker * 1000 + n, "INSERT", new=post(doc, f"busy thread {worker}")))
            assert index_records(batch, post_operation, local) == {"batchItemFailures": []}
            local.search_posts("busy", limit=5, after=None, now=NOW)

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(write, range(4)))
    assert local.count("posts") == 80
