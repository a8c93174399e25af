"""Every post and profile read from the tables, as operations to (re)build an index.

Each is a ``Put`` with version 0, below any stream sequence number: in an index the stream already
writes, only documents it never saw are added (whatever a stream record wrote, or deleted, stays);
into a fresh index (``OpenSearchBackend.reindex(index, batches)``) every row goes, and the stream's
later records apply on top. A row that cannot be indexed is logged and skipped.

Usage::

    outcome = rebuild(backend(), "posts")            # the embedded backend: fills what is missing
    backend().reindex("posts", batches("posts"))     # OpenSearch: a new index, then the alias swap
    rebuild_index(backend(), "posts")                # whichever the backend does (the reindex_search function)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Protocol, runtime_checkable

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


@runtime_checkable
class Reindexing(Protocol):
    """A backend that builds a new index beside the live one and swaps it in (OpenSearch's aliases)."""

    def reindex(self, index: Index, batches: Iterable[Sequence[Operation]] | None = None) -> str: ...


def rebuild_index(backend: Writer, index: Index) -> dict[str, int | str]:
    """Rebuild ``index`` from its table the backend's way: a new index and an alias swap where it can
    (``Reindexing``: nothing in the live index changes until the swap), else every row written into the
    live one (the embedded backend: rows it never saw are added). What was done, as JSON."""
    if isinstance(backend, Reindexing):
        return {"index": index, "swapped_to": backend.reindex(index, batches(index))}
    outcome = rebuild(backend, index)
    return {"index": index, "applied": outcome.applied, "stale": outcome.stale, "failed": len(outcome.failed)}


def rebuild(backend: Writer, index: Index, size: int = BATCH) -> BulkOutcome:
    """Write every row of ``index``'s table through ``backend.bulk``; the summed outcome."""
    applied = stale = 0
    failed: tuple[tuple[Operation, str], ...] = ()
    for batch in batches(index, size):
        outcome = backend.bulk(batch)
        applied, stale, failed = applied + outcome.applied, stale + outcome.stale, failed + outcome.failed
    return BulkOutcome(applied=applied, stale=stale, failed=failed)
