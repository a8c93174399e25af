"""Reading notifications and marking them read: what the routes and the digest call.

Usage::

    items, last = page("ada", limit=20, before=None, types={"like"}, unread_only=False)
    unread_count("ada")                                   # 3
    find("ada", position) / dismiss("ada", position) / dismiss("ada")
    unread_since("ada", since, limit=10)                  # [notification dicts], newest first
    mark_read("ada", ids=[...]) / mark_read("ada", up_to=id) / mark_read("ada")
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from pynamodb.exceptions import UpdateError

from chalicelib.core.errors import Forbidden, NotFound
from chalicelib.core.ids import new_id
from chalicelib.core.pagination import inside, key_window
from chalicelib.notifications.models import NotificationModel
from chalicelib.notifications.store import entries, entry_key, get_row
from chalicelib.notifications.views import Notification, parse_id

# A page with a ``types`` filter reads at most this many entries (then hands out a cursor where it stopped).
MAX_SCANNED = 1000
_BATCH = 100


def _floor(at: datetime) -> str:
    """The smallest position at or after ``at`` (a ULID's time part, then its lowest random part)."""
    return new_id(at)[:10] + "0" * 16


def page(recipient: str, limit: int, before: str | None, types: frozenset[str] | None,
         unread_only: bool, *, after: str | None = None,
         oldest_first: bool = False) -> tuple[list[NotificationModel], str | None]:
    """Entries newest first (``oldest_first``: the other way), strictly between the positions ``after`` and
    ``before`` when given; and the position to continue from in that order, or None."""
    index = NotificationModel.unread if unread_only else NotificationModel.newest
    key = NotificationModel.unread_position if unread_only else NotificationModel.position
    found: list[NotificationModel] = []
    # A filter expression would read (and bill) the same rows: filtering here lets the scan stop in budget.
    rows = index.query(recipient, key_window(key, before, after), scan_index_forward=oldest_first,
                       page_size=max(limit + 1, 25))
    for scanned, row in enumerate(rows, start=1):
        last = row.position
        if not inside(str(row.unread_position if unread_only else row.position), before, after):
            continue  # a bound itself (BETWEEN includes them)
        if types is None or row.kind in types:
            found.append(row)
            if len(found) > limit:
                return found[:limit], found[limit - 1].position
        if scanned >= MAX_SCANNED:
            return found, last
    return found, None


def unread_count(username: str, types: frozenset[str] | None = None) -> int:
    """Unread entries shown in the app (a group counts once), of ``types`` if given; reads only unread keys."""
    condition = NotificationModel.kind.is_in(*sorted(types)) if types else None
    return int(NotificationModel.unread.count(username, filter_condition=condition))


def last_read(username: str, within: int = 100) -> NotificationModel | None:
    """The newest shown entry that is read, among the newest ``within`` (None: all of those are unread)."""
    rows = NotificationModel.newest.query(username, scan_index_forward=False, limit=within, page_size=within)
    return next((row for row in rows if row.unread_position is None), None)


def find(username: str, position: str) -> NotificationModel | None:
    """The shown entry at ``position`` (the newest index's key), or None."""
    if not position or len(position) > 64:
        return None
    return next(iter(NotificationModel.newest.query(username, NotificationModel.position == position, limit=1)),
                None)


def dismiss(username: str, position: str | None = None) -> int:
    """Take the entry at ``position`` (or every entry) out of the list: like an entry hidden from the app, it
    still groups, and news in its group shows it again. Returns how many were dismissed."""
    if position is not None:
        entry = find(username, position)
        rows: Iterable[NotificationModel] = [entry] if entry is not None else []
    else:
        rows = NotificationModel.newest.query(username, page_size=_BATCH)
    dismissed = 0
    for row in rows:
        try:
            row.update(actions=[NotificationModel.position.remove(), NotificationModel.unread_position.remove()],
                       condition=NotificationModel.position == row.position)
            dismissed += 1
        except UpdateError as error:  # news moved it meanwhile: it stays, as new
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise
    return dismissed


def unread_since(username: str, since: datetime, limit: int) -> list[dict[str, object]]:
    """The unread notifications with activity at or after ``since``, newest first, as the API shows them."""
    floor = _floor(since.astimezone(UTC) if since.tzinfo else since.replace(tzinfo=UTC))
    rows = NotificationModel.unread.query(username, NotificationModel.unread_position >= floor,
                                          scan_index_forward=False, limit=limit)
    return [Notification.of(row).model_dump(mode="json") for row in rows][:limit]


def _owned_groups(username: str, ids: Iterable[str]) -> list[str]:
    """The groups ``ids`` name: 403 if any is someone else's, 404 if any is not an id at all."""
    groups = []
    for identifier in ids:
        parsed = parse_id(identifier)
        if parsed is None:
            raise NotFound("notification_not_found", "no such notification")
        if parsed[0] != username:
            raise Forbidden("not_your_notification", "that notification is someone else's")
        groups.append(parsed[1])
    return groups


def _read(rows: Iterable[NotificationModel], now: datetime) -> int:
    marked = 0
    for row in rows:
        if row.unread_position is None:
            continue
        seen = row.unread_position
        try:
            # Only as it was seen: news that moved the group since stays unread.
            row.update(actions=[NotificationModel.unread_position.remove(), NotificationModel.read_at.set(now)],
                       condition=NotificationModel.unread_position == seen)
            marked += 1
        except UpdateError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise
    return marked


def mark_read(username: str, ids: Sequence[str] | None = None, up_to: str | None = None,
              now: datetime | None = None, *, up_to_position: str | None = None) -> int:
    """Mark entries read: ``ids``; or ``up_to`` and everything older; or everything at or before the position
    ``up_to_position`` (a Mastodon marker); or all. Returns how many were unread.

    Unknown ids are a 404 and foreign ones a 403, and then nothing is marked.
    """
    now = now or datetime.now(UTC)
    if ids:
        groups = _owned_groups(username, ids)
        rows = entries(username, groups)
        if len(rows) < len(set(groups)):
            raise NotFound("notification_not_found", "no such notification")
        return _read(rows, now)
    condition = None
    if up_to is not None:
        [group] = _owned_groups(username, [up_to])
        anchor = get_row(username, entry_key(group))
        if anchor is None or anchor.position is None:
            raise NotFound("notification_not_found", "no such notification")
        condition = NotificationModel.unread_position <= anchor.position
    elif up_to_position is not None:
        condition = NotificationModel.unread_position <= up_to_position
    # One pass over the unread index (pages of _BATCH); what turns unread meanwhile is news, left unread.
    return _read(NotificationModel.unread.query(username, condition, scan_index_forward=False, page_size=_BATCH), now)
