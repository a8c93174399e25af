"""Writing notification groups: a contribution and its entry change together, in one transaction.

The contribution row's key is the dedupe (a replayed event finds it and changes nothing); the entry
carries a ``version`` so that two contributions to one group at once cannot lose each other's
count: the later transaction fails its condition, reads again and retries.

Usage::

    outcome = contribute(contribution, shown=True)    # None: already there (and the channels told)
    if outcome: publish(outcome.entry); mark_published(contribution)
    withdraw(withdrawal)                              # True when a contributor left its group
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pynamodb.exceptions import UpdateError
from pynamodb.expressions.condition import Condition

from chalicelib.core.errors import Unavailable
from chalicelib.core.ids import new_id
from chalicelib.core.transactions import Cancelled, Delete, Operation, Put, transact
from chalicelib.notifications.models import CONTRIBUTION, ENTRY, RETENTION, NotificationModel
from chalicelib.notifications.rules import Contribution, Withdrawal

MAX_ACTORS = 5  # the latest few actors an entry shows
ATTEMPTS = 10


def entry_key(group: str) -> str:
    return f"{ENTRY}{group}"


def contribution_key(group: str, contributor: str) -> str:
    return f"{CONTRIBUTION}{group}#{contributor}"


@dataclass(frozen=True)
class Outcome:
    """An entry that changed (or whose change the channels have not heard of yet)."""

    entry: NotificationModel
    event_id: str


def get_row(recipient: str, sk: str) -> NotificationModel | None:
    try:
        return NotificationModel.get(recipient, sk, consistent_read=True)
    except NotificationModel.DoesNotExist:
        return None


def _entry_condition(entry: NotificationModel | None, version: int) -> Condition:
    return NotificationModel.sk.does_not_exist() if entry is None else NotificationModel.version == version


def _joined(entry: NotificationModel | None, c: Contribution, shown: bool) -> NotificationModel:
    """The entry with ``c`` in it: one more, its actor first, moved to the top when it is the latest."""
    new = NotificationModel(c.recipient, entry_key(c.group)) if entry is None else entry
    latest = entry is None or entry.updated_at is None or c.at >= entry.updated_at
    new.kind = c.type
    new.total = int(new.total or 0) + 1
    new.amount = int(new.amount or 0) + c.amount if c.type == "coins" else None
    earlier = [a for a in new.actors or [] if a != c.actor]
    new.actors = ([c.actor, *earlier] if c.actor and latest else earlier + ([c.actor] if c.actor else []))[:MAX_ACTORS]
    for name, value in c.fields.items():
        setattr(new, name, value)
    new.created_at = new.created_at or c.at
    if latest:
        new.updated_at = c.at
        new.position = new_id(c.at)
    if shown:
        new.position = new.position or new_id(c.at)
        new.unread_position = new.position  # news in a group makes it unread again
        new.read_at = None
    else:  # hidden from the app: in no index, still grouping
        new.position = new.unread_position = None
    new.expires_at = (new.updated_at or c.at) + RETENTION
    new.version = int(new.version or 0) + 1
    return new


def contribute(c: Contribution, shown: bool) -> Outcome | None:
    """Add ``c`` to its group; None when it is there already and the channels were told."""
    key = contribution_key(c.group, c.contributor)
    for _ in range(ATTEMPTS):
        existing = get_row(c.recipient, key)
        entry = get_row(c.recipient, entry_key(c.group))
        if existing is not None:  # a replay, or a retry after the transaction but before the channels heard
            if existing.published or entry is None:
                return None
            return Outcome(entry, existing.event_id or c.event_id)
        version = int(entry.version or 0) if entry is not None else 0
        condition = _entry_condition(entry, version)
        joined = _joined(entry, c, shown)
        row = NotificationModel(c.recipient, key, actor=c.actor, at=c.at, event_id=c.event_id, published=False,
                                amount=c.amount or None, expires_at=c.at + RETENTION)
        try:
            transact([Put(row, condition=NotificationModel.sk.does_not_exist()),
                      Put(joined, condition=condition)])
            return Outcome(joined, c.event_id)
        except Cancelled:
            continue  # another contribution or the same one got there first: read again
    raise Unavailable("busy", f"notification group {c.group} kept changing")


def mark_published(c: Contribution) -> None:
    """The channels have heard of ``c``: a replay from now on changes nothing."""
    try:
        NotificationModel(c.recipient, contribution_key(c.group, c.contributor)).update(
            actions=[NotificationModel.published.set(True)], condition=NotificationModel.sk.exists())
    except UpdateError as error:  # withdrawn meanwhile: nothing left to mark
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise


def _latest_actors(recipient: str, group: str, leaving: str) -> list[str]:
    """The group's latest actors, from its contributions, without the one leaving."""
    rows = NotificationModel.query(recipient, NotificationModel.sk.startswith(contribution_key(group, "")),
                                   consistent_read=True, limit=1000)
    found = sorted((r for r in rows if r.sk != leaving and r.actor and r.at), key=lambda r: r.at, reverse=True)
    return list(dict.fromkeys(str(r.actor) for r in found))[:MAX_ACTORS]


def withdraw(w: Withdrawal) -> bool:
    """Take ``w``'s contributor out of its group; the entry goes when nobody is left. False: not in it."""
    key = contribution_key(w.group, w.contributor)
    for _ in range(ATTEMPTS):
        row = get_row(w.recipient, key)
        if row is None:
            return False
        entry = get_row(w.recipient, entry_key(w.group))
        operations: list[Operation] = [Delete(row, condition=NotificationModel.sk.exists())]
        if entry is not None:
            version = int(entry.version or 0)
            count = int(entry.total or 0) - 1
            if count <= 0:
                operations.append(Delete(entry, condition=NotificationModel.version == version))
            else:
                actors = [a for a in entry.actors or [] if a != row.actor]
                if len(actors) < min(count, MAX_ACTORS):
                    actors = _latest_actors(w.recipient, w.group, key)
                entry.actors, entry.total, entry.version = actors, count, version + 1
                if entry.amount is not None:
                    entry.amount = int(entry.amount) - int(row.amount or 0)
                operations.append(Put(entry, condition=NotificationModel.version == version))
        try:
            transact(operations)
            return True
        except Cancelled:
            continue
    raise Unavailable("busy", f"notification group {w.group} kept changing")


def entries(recipient: str, groups: Iterable[str]) -> list[NotificationModel]:
    """Entries by group, those that exist, in the order asked."""
    keys = [(recipient, entry_key(group)) for group in dict.fromkeys(groups)]
    found = {row.sk: row for row in NotificationModel.batch_get(keys)} if keys else {}
    return [found[sk] for _, sk in keys if sk in found]
