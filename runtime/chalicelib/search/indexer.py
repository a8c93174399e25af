"""The indexer: stream records of the posts and users tables become one versioned ``bulk`` per batch.

Each record becomes a ``Put`` (INSERT, MODIFY: the new image) or a ``Remove`` (REMOVE) whose
``version`` is the record's sequence number, so a redelivered or late record is ``stale`` and a
delete is never undone by an older write (see ``chalicelib.search.port``). Counters (likes,
comments, followers) are indexed too: they rank results.

A record that cannot become an operation (a malformed image) and an operation the engine failed
are reported in ``batchItemFailures`` by the record's sequence number: Lambda retries the batch
from the first of them (the ones after it are replayed as ``stale``) and, after the event source
mapping's retries, sends the records to the function's failure queue (``stacks/triggers.py``).

Usage::

    return index_records(event, post_operation, backend())
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol

from chalicelib.core.logs import get_logger
from chalicelib.posts.models import PostModel
from chalicelib.search.port import BulkOutcome, Operation, PostDocument, Put, Remove, UserDocument, tag_of
from chalicelib.users.models import UserModel

log = get_logger(__name__)


class StreamRecord(Protocol):
    """What the indexer reads of a DynamoDB stream record (Chalice's ``DynamoDBRecord``)."""

    event_name: str
    sequence_number: str
    new_image: Any
    old_image: Any
    keys: Any


class Writer(Protocol):
    """What the indexer needs of a backend (``SearchBackend.bulk``)."""

    def bulk(self, operations: Sequence[Operation]) -> BulkOutcome: ...


def _image(record: StreamRecord) -> Any:
    return record.old_image if record.event_name == "REMOVE" else record.new_image


def _key(record: StreamRecord, name: str) -> str:
    """The item's key attribute, from the record's keys (always there, whatever the view type)."""
    value = (record.keys or {}).get(name) or (_image(record) or {}).get(name) or {}
    key = value.get("S") if isinstance(value, dict) else None
    if not isinstance(key, str) or not key:
        raise ValueError(f"the record has no {name}")
    return key


def post_document(post: PostModel) -> PostDocument:
    """What is indexed of a post row."""
    if not isinstance(post.content, str) or post.created_at is None:
        raise ValueError("the post has no content or created_at")
    return PostDocument(post_id=post.post_id, author=post.author, text=post.content,
                        hashtags=tuple(tag_of(tag) for tag in post.hashtags or []), created_at=post.created_at,
                        likes=int(post.likes_count), comments=int(post.comments_count))


def user_document(user: UserModel) -> UserDocument:
    """What is indexed of a profile row."""
    if not isinstance(user.display_name, str):
        raise ValueError("the user has no display_name")
    return UserDocument(username=user.username, display_name=user.display_name, followers=int(user.followers_count))


def post_operation(record: StreamRecord) -> Operation:
    """A posts table record as an operation on the posts index."""
    version = int(record.sequence_number)
    if record.event_name == "REMOVE":
        return Remove("posts", _key(record, "post_id"), version)
    post = PostModel.from_raw_data(record.new_image)
    return Put("posts", post.post_id, version, post_document(post))


def user_operation(record: StreamRecord) -> Operation:
    """A users table record as an operation on the users index."""
    version = int(record.sequence_number)
    if record.event_name == "REMOVE":
        return Remove("users", _key(record, "username"), version)
    user = UserModel.from_raw_data(record.new_image)
    return Put("users", user.username, version, user_document(user))


def _identity(operation: Operation) -> tuple[str, str, int]:
    return operation.index, operation.doc_id, operation.version


def index_records(records: Iterable[StreamRecord], to_operation: Callable[[StreamRecord], Operation],
                  backend: Writer) -> dict[str, Any]:
    """One ``bulk`` for the batch; the Lambda answer naming the records to retry."""
    failed: list[str] = []
    operations: list[Operation] = []
    sources: dict[tuple[str, str, int], str] = {}  # an operation -> the sequence number of its record
    for record in records:
        try:
            operation = to_operation(record)
        except Exception:
            log.exception("stream record cannot be indexed", extra={"sequence_number": record.sequence_number})
            failed.append(record.sequence_number)
            continue
        operations.append(operation)
        sources[_identity(operation)] = record.sequence_number
    if operations:
        try:
            outcome = backend.bulk(operations)
        except Exception:
            log.exception("bulk request failed", extra={"operations": len(operations)})
            failed += [sources[_identity(operation)] for operation in operations]
        else:
            for operation, reason in outcome.failed:
                log.warning("index operation failed", extra={"index": operation.index, "doc_id": operation.doc_id,
                                                             "reason": reason[:500]})
                failed.append(sources[_identity(operation)])
    ordered = sorted(set(failed), key=int)
    return {"batchItemFailures": [{"itemIdentifier": sequence} for sequence in ordered]}
