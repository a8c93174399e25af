"""Notification routes: the list, the unread count, marking read, and preferences."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.core.declarations import uses
from chalicelib.core.errors import Unprocessable
from chalicelib.core.lazy import lazy_module
from chalicelib.core.pagination import Page, next_cursor
from chalicelib.core.routes import Call, QueryParam, Router
from chalicelib.notifications.views import (
    Marked,
    MarkRead,
    Notification,
    Preferences,
    PreferencesChange,
    UnreadCount,
)
from chalicelib.resources import NOTIFICATION_SETTINGS, NOTIFICATIONS

if TYPE_CHECKING:
    from chalicelib.notifications import preferences, service
else:
    preferences = lazy_module("chalicelib.notifications.preferences")
    service = lazy_module("chalicelib.notifications.service")

router = Router(__name__, tag="notifications")


def _types(call: Call[None]) -> frozenset[str] | None:
    """``types=like,follow`` (or repeated): None for all; an unknown type is a 422."""
    params = call.request.query_params
    raw = params.getlist("types") if params is not None and "types" in params else []
    named = {part.strip() for value in raw for part in str(value).split(",") if part.strip()}
    unknown = sorted(named - set(preferences.TYPES))
    if unknown:
        raise Unprocessable("invalid_types", f"unknown notification types: {', '.join(unknown)[:200]}; "
                            f"known: {', '.join(preferences.TYPES)}",
                            details=[{"field": "types", "problem": "unknown type"}])
    return frozenset(named) or None


def _unread(call: Call[None]) -> bool:
    raw = call.query("unread")
    if raw is None or raw == "":
        return False
    if raw.lower() not in {"true", "false", "1", "0"}:
        raise Unprocessable("invalid_unread", "unread must be true or false",
                            details=[{"field": "unread", "problem": "not a boolean"}])
    return raw.lower() in {"true", "1"}


@router.route("/notifications", "GET", response=Page[Notification], query=(
    QueryParam("types", f"only these types, comma-separated (or repeated): {', '.join(preferences.TYPES)}"),
    QueryParam("unread", "true: only the unread ones", {"type": "boolean", "default": False})))
@uses(NOTIFICATIONS.read())
def list_notifications(call: Call[None]) -> Page[Notification]:
    """Your notifications, newest activity first; ``types`` (comma-separated) and ``unread`` filter them."""
    username = call.principal.username
    types, unread = _types(call), _unread(call)
    scope = f"notifications:{username}:{'unread' if unread else 'all'}:{','.join(sorted(types or ()))}"
    limit, position = call.page_request(scope)
    rows, last = service.page(username, limit, position.get("before"), types, unread)
    return Page[Notification](items=[Notification.of(row) for row in rows],
                              next_cursor=next_cursor(scope, {"before": last} if last else None))


@router.route("/notifications/unread_count", "GET", response=UnreadCount)
@uses(NOTIFICATIONS.read())
def unread_count(call: Call[None]) -> UnreadCount:
    """How many of your notifications are unread (a group counts once)."""
    return UnreadCount(count=service.unread_count(call.principal.username))


@router.route("/notifications/read", "POST", body=MarkRead, response=Marked, errors=(403, 404))
@uses(NOTIFICATIONS.read_write())
def mark_read(call: Call[MarkRead]) -> Marked:
    """Mark ``ids`` read, or ``up_to`` an id and everything older, or everything when both are absent."""
    username, body = call.principal.username, call.body
    if body.ids is not None and body.up_to is not None:
        raise Unprocessable("validation_failed", "send ids or up_to, not both",
                            details=[{"field": "(body)", "problem": "ids and up_to exclude each other"}])
    marked = service.mark_read(username, ids=body.ids, up_to=body.up_to)
    return Marked(marked=marked, unread=service.unread_count(username))


def _preferences(username: str) -> Preferences:
    types, digest = preferences.choices(username)
    return Preferences.model_validate({"types": types, "digest": digest})


@router.route("/notifications/preferences", "GET", response=Preferences)
@uses(NOTIFICATION_SETTINGS.read())
def read_preferences(call: Call[None]) -> Preferences:
    """Per type and channel (in_app, email, push, realtime): on or off; and the daily digest."""
    return _preferences(call.principal.username)


@router.route("/notifications/preferences", "PATCH", body=PreferencesChange, response=Preferences)
@uses(NOTIFICATION_SETTINGS.read_write())
def change_preferences(call: Call[PreferencesChange]) -> Preferences:
    """Turn channels of types on or off, or the digest; what is not sent stays as it was."""
    body = call.body
    types = body.types.model_dump(exclude_none=True) if body.types is not None else {}
    preferences.update(call.principal.username, types, digest=body.digest)
    return _preferences(call.principal.username)
