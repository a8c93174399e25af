"""Every post and profile read from the tables, as operations to (re)build an index.

Each is a ``Put`` with version 0, below any stream sequence number: in an index the stream already
writes, only documents it never saw are added (whatever a stream record wrote, or deleted, stays);
into a fresh index (``OpenSearchBackend.reindex(index, batches)``) every row goes, and the stream's
later records apply on top. A row that cannot be indexed is logged and skipped.

Usage::

    outcome = rebuild(backend(), "posts")            # the embedded backend: fills what is missing
    backend().reindex("posts", batches("posts"))     # OpenSearch: a new index, then the alias swap
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from chalicelib.core.logs import get_logger
from chalicelib.posts.models import PostModel
from chalicelib.search.indexer import Writer, post_document, user_document
from chalicelib.search.port import BulkOutcome, Index, Operation, PostDocument, Put, UserDocument
from chalicelib.users.models import UserModel

log = get_logger(__name__)
BATCH = 500
REINDEX_VERSION = 0  # below every stream sequence number: the stream's records always win


def _rows(index: Index) -> tuple[Iterator[Any], Callable[[Any], tuple[str, PostDocument | UserDocument]]]:
    if index == "posts":
        return PostModel.scan(), lambda post: (post.post_id, post_document(post))
    return UserModel.scan(), lambda user: (user.username, user_document(user))


def batches(index: Index, size: int = BATCH) -> Iterator[list[Operation]]:
    """The table behind ``index`` as ``Put`` operations, ``size`` at a time (one table scan)."""
    rows, document = _rows(index)
    batch: list[Operation] = []
    for row in rows:
        try:
            doc_id, made = document(row)
        except ValueError:
            log.warning("row not indexed", extra={"index": index})
            continue
        batch.append(Put(index, doc_id, REINDEX_VERSION, made))
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def rebuild(backend: Writer, index: Index, size: int = BATCH) -> BulkOutcome:
    """Write every row of ``index``'s table through ``backend.bulk``; the summed outcome."""
    applied = stale = 0
    failed: tuple[tuple[Operation, str], ...] = ()
    for batch in batches(index, size):
        outcome = backend.bulk(batch)
        applied, stale, failed = applied + outcome.applied, stale + outcome.stale, failed + outcome.failed
    return BulkOutcome(applied=applied, stale=stale, failed=failed)
