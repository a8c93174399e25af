"""The ledger's outbox: domain events committed with the change they report, then published by a relay.

The DynamoDB tables publish their events from their streams, which carry exactly what committed.
The ledger has no stream, so it keeps its own: ``record`` writes the event into the ``outbox``
table in the caller's transaction, and a relay publishes pending rows to the ``domain-events``
topic and marks them published. So a transaction that rolled back publishes nothing (its row is
gone with it) and one that committed is published at least once: right after the handler that
wrote it returns (``publishing``), or by the schedule that relays whatever is left every minute
(a crash between commit and publish, SNS refusing, a timeout).

A relay takes its rows with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so concurrent relays (the
schedule, every handler's own) never take the same row; SQLite has one writer at a time (the
engine begins with ``BEGIN IMMEDIATE``), which serialises them. The lock is held while SNS
answers, and a row is marked in the same transaction: a relay that dies after publishing but
before commit leaves its rows pending, and the next publishes them again with the same ids
(at least once; subscribers deduplicate on the id). Published rows are kept ``RETENTION`` (a
``replay`` marks them pending again), then pruned by the scheduled relay.

Usage::

    with transaction() as session:
        transfer(session, ...)
        record(session, coins_awarded(...))
    with publishing():            # a handler: what it committed inside is published when it leaves
        apply_event(...)
    relay()                       # the schedule: everything pending, then prune
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from chalicelib.core.logs import get_logger
from chalicelib.events.catalog import DomainEvent
from chalicelib.ledger.accounts import insert_ignoring_duplicates
from chalicelib.ledger.db import transaction
from chalicelib.ledger.models import OutboxEvent

log = get_logger(__name__)

Publish = Callable[[Sequence[DomainEvent]], None]  # publishes every event or raises

BATCH = 100  # rows one relay transaction locks and publishes
SNS_BATCH = 10  # PublishBatch takes at most ten entries
RETENTION = timedelta(days=7)  # published rows kept for replays, then pruned
PRUNE_BATCH = 1000
BUDGET_SECONDS = 50.0  # the schedule's relay stops taking new batches after this: the next run is a minute later

_written: ContextVar[list[str] | None] = ContextVar("ledger_outbox_written", default=None)


def record(session: Session, event: DomainEvent) -> None:
    """Write ``event`` into the outbox in ``session``'s transaction; an event recorded before stays as it was."""
    insert_ignoring_duplicates(session, OutboxEvent, {"id": event.id, "type": event.type, "body": event.to_json(),
                                                      "created_at": datetime.now(UTC), "published_at": None})
    remember([event.id])


def remember(ids: Sequence[str]) -> None:
    """Note outbox rows written in this context (also by SQL, e.g. ``ledger_award``): ``publishing`` sends them."""
    written = _written.get()
    if written is not None:
        written.extend(ids)


def _sns_publish(events: Sequence[DomainEvent]) -> None:
    from chalicelib.events.publisher import publish  # boto3 only once something is published

    publish(events)


@dataclass
class RelayReport:
    """What a relay run did: events published, events it failed to publish (left pending), rows pruned."""

    published: int = 0
    failed: int = 0
    pruned: int = 0


def _publish_batch(url: str | None, publish: Publish, ids: Sequence[str] | None, limit: int) -> RelayReport:
    """Lock up to ``limit`` pending rows (of ``ids`` when given) nobody else holds, publish them, mark them."""
    report = RelayReport()
    with transaction(url) as session:
        query = (select(OutboxEvent).where(OutboxEvent.published_at.is_(None))
                 .order_by(OutboxEvent.created_at, OutboxEvent.id).limit(limit)
                 .with_for_update(skip_locked=True))  # SQLite renders no FOR UPDATE: its writers take turns anyway
        if ids is not None:
            query = query.where(OutboxEvent.id.in_(ids))
        rows = list(session.scalars(query))
        for start in range(0, len(rows), SNS_BATCH):
            chunk = rows[start:start + SNS_BATCH]
            try:
                publish([DomainEvent(**json.loads(row.body)) for row in chunk])
            except Exception:
                # Left pending, with whatever else this batch held: the next relay tries them again.
                log.warning("publishing outbox events failed; they stay pending",
                            extra={"events": [row.id for row in rows[start:]]}, exc_info=True)
                report.failed = len(rows) - start
                break
            now = datetime.now(UTC)
            for row in chunk:
                row.published_at = now
            report.published += len(chunk)
    return report


def relay_ids(ids: Sequence[str], url: str | None = None, publish: Publish | None = None) -> RelayReport:
    """Publish those of ``ids`` that are committed and still pending (rows another relay holds are its own)."""
    report = RelayReport()
    for start in range(0, len(ids), BATCH):
        done = _publish_batch(url, publish or _sns_publish, ids[start:start + BATCH], BATCH)
        report.published += done.published
        report.failed += done.failed
    return report


def relay(url: str | None = None, publish: Publish | None = None, *, budget_seconds: float = BUDGET_SECONDS,
          batch: int = BATCH, prune_before: datetime | None = None) -> RelayReport:
    """Publish every pending event, batch by batch, until none is left, one fails, or the budget is spent.

    Then delete rows published before ``prune_before`` (default: ``RETENTION`` ago).
    """
    report = RelayReport()
    deadline = time.monotonic() + budget_seconds
    while True:
        done = _publish_batch(url, publish or _sns_publish, None, batch)
        report.published += done.published
        report.failed += done.failed
        if done.failed or done.published < batch or time.monotonic() >= deadline:
            break
    report.pruned = prune(prune_before or datetime.now(UTC) - RETENTION, url, deadline=deadline)
    return report


def prune(before: datetime, url: str | None = None, *, deadline: float | None = None) -> int:
    """Delete rows published before ``before``, a thousand per transaction; returns how many."""
    pruned = 0
    while True:
        with transaction(url) as session:
            doomed = list(session.scalars(
                select(OutboxEvent.id).where(OutboxEvent.published_at < before)
                .order_by(OutboxEvent.published_at).limit(PRUNE_BATCH).with_for_update(skip_locked=True)))
            if doomed:
                session.execute(delete(OutboxEvent).where(OutboxEvent.id.in_(doomed)))
        pruned += len(doomed)
        if len(doomed) < PRUNE_BATCH or (deadline is not None and time.monotonic() >= deadline):
            return pruned


def replay(since: datetime, url: str | None = None) -> int:
    """Mark every kept event recorded since ``since`` pending again: the relay publishes each again, same id."""
    with transaction(url) as session:
        result = session.execute(update(OutboxEvent).where(OutboxEvent.created_at >= since,
                                                           OutboxEvent.published_at.is_not(None))
                                 .values(published_at=None))
        return int(result.rowcount)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Backlog:
    """Events waiting: how many, and the age of the oldest in seconds (0 when none)."""

    pending: int
    oldest_seconds: float


def backlog(url: str | None = None) -> Backlog:
    with transaction(url) as session:
        count, oldest = session.execute(select(func.count(), func.min(OutboxEvent.created_at))
                                        .where(OutboxEvent.published_at.is_(None))).one()
    if not count or oldest is None:
        return Backlog(0, 0.0)
    if oldest.tzinfo is None:  # SQLite's aggregate comes back as a naive string-parsed time
        oldest = oldest.replace(tzinfo=UTC)
    return Backlog(int(count), max(0.0, (datetime.now(UTC) - oldest).total_seconds()))


@contextmanager
def publishing(url: str | None = None, publish: Publish | None = None) -> Iterator[list[str]]:
    """Publish, on the way out, what was recorded inside and committed; best effort, the schedule catches up.

    Yields the ids recorded so far (for tests and logs). A failure to publish is logged, never
    raised: the change itself is done, and the scheduled relay publishes what was left.
    """
    written: list[str] = []
    token = _written.set(written)
    try:
        yield written
    finally:
        _written.reset(token)
        if written:
            try:
                relay_ids(list(dict.fromkeys(written)), url, publish)
            except Exception:
                log.warning("publishing after commit failed; the scheduled relay will", exc_info=True)
