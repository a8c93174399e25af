"""Mastodon's streaming API (docs.joinmastodon.org/methods/streaming) over the platform's WebSocket API.

A Mastodon client connects to ``<urls.streaming_api>/api/v1/streaming?stream=user`` with its token as
``access_token`` (query), the ``Sec-WebSocket-Protocol`` header (echoed back, as Mastodon's server does, or
browsers drop the connection) or ``Authorization: Bearer``; the same ``$connect`` handler that admits the
platform's JWT (``?token=``) admits it through the Mastodon OAuth store (``routing.authority``), with a read
scope covering statuses or notifications. The connection is registered as a Mastodon one
(``realtime.connections``), so pushes send it Mastodon events instead of the platform's frames:

- ``update``: a new post of someone it follows (or its own), payload the Status as a JSON string;
- ``notification``: payload the Notification (v1) as a JSON string;
- ``delete``: payload the id of a deleted post of someone it follows (or its own).

Streams: ``user`` (all three) and ``user:notification`` (notifications only), at connect (``?stream=``) or
later by frames ``{"type": "subscribe"|"unsubscribe", "stream": "user"}``; as Mastodon's server rules, ``user``
needs ``read`` or ``read:statuses`` and ``user:notification`` ``read`` or ``read:notifications`` (401 at
connect, an error frame on subscribe). Other streams (public, hashtag,
list, direct) do not exist here: refused as Mastodon refuses a stream it does not know (400 "Unknown stream
type"). Each event is rendered once per push and base URL (``StreamEvent.frame``), never per connection.

Usage::

    admitted = admit(query, headers)        # Refused(401|400); .username .base_url .streams .allowed .subprotocol
    reply = dispatch(connection_id, username, allowed, body)  # a subscribe/unsubscribe frame; an error frame or None
    push_to_users(followers, platform_frame, mastodon=update(post))
    push_to_users([recipient], platform_frame, mastodon=notification(message["notification"]))
    push_to_users(followers, None, mastodon=delete(post_id))
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from chalicelib.core.lazy import lazy_module
from chalicelib.mastodon import scopes as scope_rules
from chalicelib.mastodon.routing import authority, base_url_from

if TYPE_CHECKING:
    from chalicelib.mastodon import notifications, statuses
    from chalicelib.notifications import models as notification_models
    from chalicelib.notifications import views as notification_views
    from chalicelib.posts.models import PostModel
    from chalicelib.realtime import connections
else:
    notifications = lazy_module("chalicelib.mastodon.notifications")
    statuses = lazy_module("chalicelib.mastodon.statuses")
    notification_models = lazy_module("chalicelib.notifications.models")
    notification_views = lazy_module("chalicelib.notifications.views")
    connections = lazy_module("chalicelib.realtime.connections")

USER, NOTIFICATIONS = "user", "user:notification"
STREAMS = (USER, NOTIFICATIONS)
# The scope each stream needs besides ``read`` (which covers both), as Mastodon's streaming server asks.
SCOPES = {USER: "read:statuses", NOTIFICATIONS: "read:notifications"}
MAX_FRAME = 4096  # a subscribe frame is tiny; anything longer is not one


class Refused(Exception):
    """A handshake refused with Mastodon's status and ``{"error": ...}`` body."""

    def __init__(self, status: int, error: str) -> None:
        super().__init__(error)
        self.status, self.error = status, error

    def body(self) -> dict[str, str]:
        return {"error": self.error}


@dataclass(frozen=True)
class Admitted:
    username: str
    base_url: str  # what the entities pushed to this connection name (the host the client reached)
    streams: tuple[str, ...]
    allowed: tuple[str, ...]  # the streams its scopes let it subscribe to
    subprotocol: str | None  # the Sec-WebSocket-Protocol to answer with (the token sent that way)


def _lower(headers: Mapping[str, Any] | None) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in (headers or {}).items()}


def token_of(query: Mapping[str, Any], headers: Mapping[str, Any]) -> tuple[str, str | None] | None:
    """The Mastodon token of a handshake and the subprotocol to echo (when it came that way); None: no token."""
    given = query.get("access_token")
    if given:
        return str(given), None
    lower = _lower(headers)
    protocol = lower.get("sec-websocket-protocol", "").split(",")[0].strip()
    if protocol:
        return protocol, protocol
    scheme, _, token = lower.get("authorization", "").partition(" ")
    return (token.strip(), None) if scheme.lower() == "bearer" and token.strip() else None


def admit(query: Mapping[str, Any], headers: Mapping[str, Any]) -> Admitted:
    """The Mastodon connection a handshake asks for; ``Refused`` (401, 400) as Mastodon's server answers."""
    found = token_of(query, headers)
    if found is None:
        raise Refused(401, "Missing access token")
    token, subprotocol = found
    stream = query.get("stream")
    if stream is not None and stream not in STREAMS:
        raise Refused(400, "Unknown stream type")
    admission = authority().admit(token)
    if admission is None:
        raise Refused(401, "Invalid access token")
    allowed = tuple(name for name, scope in SCOPES.items() if scope_rules.allows(admission.token.scopes, scope))
    if not allowed or (stream is not None and stream not in allowed):
        raise Refused(401, "Access token does not have the required scopes")
    user = admission.token.user
    if user is None:
        raise Refused(401, "This method requires an authenticated user")
    return Admitted(user.username, base_url_from(_lower(headers)), (str(stream),) if stream else (), allowed,
                    subprotocol)


def dispatch(connection_id: str, username: str, allowed: Collection[str], body: str | None) -> dict[str, Any] | None:
    """A Mastodon client's frame: subscribe to or unsubscribe from a stream (one its token's scopes allow); an
    error frame for anything else."""
    try:
        frame = json.loads(body or "") if len(body or "") <= MAX_FRAME else None
    except (ValueError, RecursionError):
        frame = None
    if not isinstance(frame, dict) or frame.get("type") not in ("subscribe", "unsubscribe"):
        return {"error": "Invalid message", "status": 400}
    stream = frame.get("stream")
    if stream not in STREAMS:
        return {"error": "Unknown stream type", "status": 400}
    if stream not in allowed:
        return {"error": "Access token does not have the required scopes", "status": 401}
    connections.subscribe(connection_id, username, str(stream), on=frame["type"] == "subscribe")
    return None


# --- events ----------------------------------------------------------------------------------------------

@dataclass
class StreamEvent:
    """One event for Mastodon connections (``realtime.push.DialectEvent``): its payload is rendered once per
    base URL, its frame once per stream and base URL."""

    event: str
    render: Callable[[str], str | None]  # base URL -> the payload; None: nothing to send
    streams: tuple[str, ...] = (USER,)
    _payloads: dict[str, str | None] = field(default_factory=dict)

    def payload(self, base_url: str) -> str | None:
        if base_url not in self._payloads:
            self._payloads[base_url] = self.render(base_url)
        return self._payloads[base_url]

    def frame(self, stream: str, base_url: str) -> bytes | None:
        payload = self.payload(base_url)
        if payload is None:
            return None
        return json.dumps({"stream": [stream], "event": self.event, "payload": payload},
                          separators=(",", ":")).encode()


def update(post: PostModel) -> StreamEvent:
    """A new post as its followers' (and author's) ``update``: nobody has favourited it yet, so one rendering
    (media and author: two reads, made only when someone streams) serves every viewer."""
    return StreamEvent("update", lambda base: statuses.render_status(post, viewer=None,
                                                                    base_url=base).model_dump_json())


def delete(status_id: str) -> StreamEvent:
    """A deleted post: its id (a string, as Mastodon sends it)."""
    return StreamEvent("delete", lambda base: status_id)


def notification(platform: Mapping[str, Any]) -> StreamEvent:
    """A platform notification (``notifications.views.Notification`` as JSON) as Mastodon's Notification: its
    entry is read back (one GetItem, and the reads of its account and status) once, only when someone streams.
    Kinds Mastodon has not (coins, orders, messages), entries hidden from the app and entries whose status is
    gone send nothing."""
    rows: dict[str, Any] = {}

    def entry() -> Any:
        if "row" not in rows:
            rows["row"] = None
            parsed = notification_views.parse_id(str(platform.get("id") or ""))
            if parsed is not None and platform.get("type") in notifications.SHOWN:
                recipient, group = parsed
                try:
                    row = notification_models.NotificationModel.get(recipient, f"{notification_models.ENTRY}{group}")
                except notification_models.NotificationModel.DoesNotExist:
                    row = None
                rows["row"] = row if row is not None and row.position is not None else None
        return rows["row"]

    def render(base: str) -> str | None:
        row = entry()
        if row is None:
            return None
        page = notifications.render([row], viewer=row.recipient, base_url=base)
        return notifications.notification(row, page).model_dump_json() if notifications.shown(row, page) else None

    return StreamEvent("notification", render, STREAMS)
