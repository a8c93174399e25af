"""``/api/v1/notifications`` and ``/api/v2/notifications``: the platform's notifications as Mastodon shows them
(the mapping, ids and groups: ``chalicelib.mastodon.notifications``).

Dismissing takes an entry out of the list (``notifications.service.dismiss``); news in its group brings it back.
``/api/v1/markers`` reads and moves the notifications' read position on the platform's own read state (what
``/v1/notifications/read`` marks), so ``unread_count`` goes down as a Mastodon client reads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import Field

from chalicelib.core.declarations import uses
from chalicelib.core.lazy import lazy_module
from chalicelib.core.routes import Reply
from chalicelib.mastodon.errors import MastodonError
from chalicelib.mastodon.paging import MAX_ID_LENGTH, PageParams, Window, window_links
from chalicelib.mastodon.params import Params
from chalicelib.mastodon.routing import MastodonCall, MastodonRouter
from chalicelib.resources import INTERACTIONS, MEDIA, NOTIFICATIONS, POSTS, USERS

if TYPE_CHECKING:
    from chalicelib.core import batches
    from chalicelib.mastodon import entities
    from chalicelib.mastodon import notifications as views
    from chalicelib.mastodon.entities import Account
    from chalicelib.notifications import service, store
    from chalicelib.notifications.models import NotificationModel
    from chalicelib.users import models as user_models
else:
    entities = lazy_module("chalicelib.mastodon.entities")
    views = lazy_module("chalicelib.mastodon.notifications")
    service = lazy_module("chalicelib.notifications.service")
    store = lazy_module("chalicelib.notifications.store")
    batches = lazy_module("chalicelib.core.batches")
    user_models = lazy_module("chalicelib.users.models")

router = MastodonRouter(__name__)

READ, WRITE = ("read:notifications",), ("write:notifications",)
RENDERING = (USERS.read(), POSTS.read(), MEDIA.read(), INTERACTIONS.read())  # the accounts and statuses shown
_TYPE = Field(default=None, max_length=40)


class NotificationParams(PageParams):
    types: list[str] | str | None = _TYPE
    exclude_types: list[str] | str | None = _TYPE
    account_id: str | None = Field(None, max_length=64)
    grouped_types: list[str] | str | None = _TYPE  # v2: what this platform groups is fixed (favourite, follow)
    expand_accounts: str | None = Field(None, max_length=20)  # v2: accounts are always given in full
    include_filtered: bool = False

    def kinds(self) -> frozenset[str]:
        def listed(value: list[str] | str | None) -> list[str] | None:
            return [value] if isinstance(value, str) else value

        return views.platform_kinds(listed(self.types), listed(self.exclude_types))


def _page(call: MastodonCall[NotificationParams], maximum: int) -> tuple[list[NotificationModel], bool, Window]:
    """The entries of the page asked for, newest first; whether older ones follow; the window read."""
    params, username = call.params, call.principal.username
    kinds = params.kinds()
    if not kinds:
        return [], False, params.window()
    limit, window = params.clamped(default=min(40, maximum), maximum=maximum), params.window()
    rows, last = service.page(username, limit, window.before, kinds, False, after=window.after,
                              oldest_first=window.oldest_first)
    if params.account_id is not None:
        rows = [row for row in rows if (row.actors or [""])[0] == params.account_id]
    return window.newest_first(rows), last is not None, window


@router.route("/api/v1/notifications", "GET", scope=READ, params=NotificationParams)
@uses(NOTIFICATIONS.read(), *RENDERING)
def list_notifications(call: MastodonCall[NotificationParams]) -> Reply:
    """Notifications newest first; ``types[]``/``exclude_types[]`` filter by Mastodon type."""
    rows, more, window = _page(call, maximum=80)
    page = views.render(rows, viewer=call.principal.username, base_url=call.base_url)
    body = [views.notification(row, page) for row in rows if views.shown(row, page)]
    return Reply(body=body, headers=window_links(call, [str(row.position) for row in rows], more=more,
                                                 window=window))


@router.route("/api/v2/notifications", "GET", scope=READ, params=NotificationParams)
@uses(NOTIFICATIONS.read(), *RENDERING)
def grouped_notifications(call: MastodonCall[NotificationParams]) -> Reply:
    """Mastodon 4.3's grouped notifications: groups, and the accounts and statuses they name."""
    rows, more, window = _page(call, maximum=80)
    page = views.render(rows, viewer=call.principal.username, base_url=call.base_url)
    return Reply(body=views.grouped(rows, page), headers=window_links(
        call, [str(row.position) for row in rows], more=more, window=window))


class CountParams(NotificationParams):
    limit: int | None = None  # Mastodon caps the count; the platform counts unread groups exactly


@router.route("/api/v1/notifications/unread_count", "GET", scope=READ, params=CountParams)
@router.route("/api/v2/notifications/unread_count", "GET", scope=READ, params=CountParams)
@uses(NOTIFICATIONS.read())
def unread_count(call: MastodonCall[CountParams]) -> dict[str, int]:
    """Unread notifications of the types shown (a group counts once)."""
    kinds = call.params.kinds()
    return {"count": service.unread_count(call.principal.username, kinds) if kinds else 0}


def _entry(call: MastodonCall[Any], id: str) -> NotificationModel:
    row = service.find(call.principal.username, id)
    if row is None or row.kind not in views.SHOWN:
        raise MastodonError(404)
    return row


def _shown(call: MastodonCall[Any], row: NotificationModel) -> views.Rendered:
    """What one entry names, read for rendering; 404 when the entry is not shown (what it names is gone)."""
    page = views.render([row], viewer=call.principal.username, base_url=call.base_url)
    if not views.shown(row, page):
        raise MastodonError(404)
    return page


@router.route("/api/v1/notifications/{id}", "GET", scope=READ)
@uses(NOTIFICATIONS.read(), *RENDERING)
def get_notification(call: MastodonCall[Any], id: str) -> views.Notification:
    """One of the caller's notifications by id; someone else's, or one gone, is 404."""
    row = _entry(call, id)
    return views.notification(row, _shown(call, row))


@router.route("/api/v1/notifications/{id}/dismiss", "POST", scope=WRITE)
@uses(NOTIFICATIONS.read_write())
def dismiss(call: MastodonCall[Any], id: str) -> dict[str, Any]:
    """Take one notification out of the list."""
    _entry(call, id)
    service.dismiss(call.principal.username, id)
    return {}


@router.route("/api/v1/notifications/clear", "POST", scope=WRITE)
@uses(NOTIFICATIONS.read_write())
def clear(call: MastodonCall[Any]) -> dict[str, Any]:
    """Take every notification out of the list."""
    service.dismiss(call.principal.username)
    return {}


def _group(call: MastodonCall[Any], group_key: str) -> NotificationModel:
    """The caller's shown entry a v2 ``group_key`` names; 404 otherwise."""
    group, position = views.parse_group_key(group_key)
    if position is not None:
        return _entry(call, position)
    row = store.get_row(call.principal.username, store.entry_key(group)) if group else None
    if row is None or row.position is None or row.kind not in views.SHOWN:
        raise MastodonError(404)
    return row


@router.route("/api/v2/notifications/{group_key}", "GET", scope=READ)
@uses(NOTIFICATIONS.read(), *RENDERING)
def get_group(call: MastodonCall[Any], group_key: str) -> views.GroupedNotifications:
    """One group, with its accounts and status."""
    row = _group(call, group_key)
    return views.grouped([row], _shown(call, row))


@router.route("/api/v2/notifications/{group_key}/accounts", "GET", scope=READ)
@uses(NOTIFICATIONS.read(), USERS.read())
def group_accounts(call: MastodonCall[Any], group_key: str) -> list[Account]:
    """The group's latest accounts (the platform keeps the latest few)."""
    row = _group(call, group_key)
    found = batches.get_many(user_models.UserModel, list(row.actors or []))
    return [entities.account(found[name], call.base_url) for name in row.actors or [] if name in found]


@router.route("/api/v2/notifications/{group_key}/dismiss", "POST", scope=WRITE)
@uses(NOTIFICATIONS.read_write())
def dismiss_group(call: MastodonCall[Any], group_key: str) -> dict[str, Any]:
    """Take the group out of the list."""
    row = _group(call, group_key)
    service.dismiss(call.principal.username, row.position)
    return {}


class MarkerParams(Params):
    timeline: list[str] | str | None = Field(default=None, max_length=10)


def _notifications_marker(username: str) -> dict[str, Any]:
    """Mastodon's notifications Marker: the newest notification read (the platform's read state)."""
    row = service.last_read(username)
    if row is None or row.position is None:
        return {}
    read_at = row.read_at or row.updated_at
    return {"notifications": {"last_read_id": row.position, "version": int(row.version or 0),
                              "updated_at": entities.iso(read_at) if read_at else None}}


@router.route("/api/v1/markers", "GET", scope="read:statuses", params=MarkerParams)
@uses(NOTIFICATIONS.read())
def markers(call: MastodonCall[MarkerParams]) -> dict[str, Any]:
    """The notifications marker (``timeline[]=notifications``); the home timeline keeps none here."""
    wanted = call.params.timeline
    names = {wanted} if isinstance(wanted, str) else set(wanted or ("notifications",))
    return _notifications_marker(call.principal.username) if "notifications" in names else {}


class MarkerPosition(Params):
    last_read_id: str = Field(min_length=1, max_length=MAX_ID_LENGTH)


class MarkerChange(Params):
    notifications: MarkerPosition | None = None
    home: MarkerPosition | None = None  # accepted, not kept: the platform has no read position in the feed


@router.route("/api/v1/markers", "POST", scope="write:statuses", params=MarkerChange)
@uses(NOTIFICATIONS.read_write())
def save_markers(call: MastodonCall[MarkerChange]) -> dict[str, Any]:
    """Mark the notifications up to ``notifications[last_read_id]`` read, as ``/v1/notifications/read`` does."""
    username, change = call.principal.username, call.params.notifications
    if change is not None:
        service.mark_read(username, up_to_position=change.last_read_id)
    return _notifications_marker(username) if change is not None else {}
