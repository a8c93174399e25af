"""The WebSocket API's handlers, the pushes of new posts and notifications, and ``message.created``.

Chalice wraps WebSocket handlers in ``WebsocketEventSourceHandler`` only when the decorating object
has a ``websocket_api``, which a ``Blueprint`` lacks (``DecoratorAPI._wrap_handler``): it would
register the bare function, which Lambda would then call with ``(event, context)``. So this
blueprint carries one of its own, and ``app.py`` makes it the app's, so that
``app.websocket_api.send`` works in these handlers as in an app-level one.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from chalice.app import Blueprint, DynamoDBEvent, Response, SQSEvent, WebsocketAPI, WebsocketEvent

from chalicelib.core import metric_names as m
from chalicelib.core.declarations import uses
from chalicelib.core.errors import ApiError, Unauthorized
from chalicelib.core.lazy import lazy_module
from chalicelib.core.logs import get_logger
from chalicelib.core.messages import each_message, each_record
from chalicelib.core.metrics import count
from chalicelib.core.routes import verify_token
from chalicelib.resources import (
    CONNECTIONS,
    CONVERSATIONS,
    DOMAIN_EVENTS,
    FEED_PUSH,
    FOLLOWS,
    INTERACTIONS,
    MASTODON_TOKENS,
    MEDIA,
    MESSAGES,
    NOTIFICATIONS,
    NOTIFY_REALTIME,
    POSTS,
    USER_POOL,
    USERS,
    WEBSOCKET,
)

# The domain loads on first use: the API function imports this module too (one app), and never runs it.
if TYPE_CHECKING:
    from chalicelib.events import catalog, publisher
    from chalicelib.events.catalog import DomainEvent
    from chalicelib.mastodon import streaming
    from chalicelib.realtime import connections, conversations, feed, models, protocol, push
    from chalicelib.users import profiles
else:
    catalog = lazy_module("chalicelib.events.catalog")
    publisher = lazy_module("chalicelib.events.publisher")
    streaming = lazy_module("chalicelib.mastodon.streaming")
    connections = lazy_module("chalicelib.realtime.connections")
    conversations = lazy_module("chalicelib.realtime.conversations")
    feed = lazy_module("chalicelib.realtime.feed")
    models = lazy_module("chalicelib.realtime.models")
    protocol = lazy_module("chalicelib.realtime.protocol")
    push = lazy_module("chalicelib.realtime.push")
    profiles = lazy_module("chalicelib.users.profiles")

log = get_logger(__name__)

sockets = Blueprint(__name__)
websocket_api = sockets.websocket_api = WebsocketAPI()
_OK = {"statusCode": 200}


@sockets.on_ws_connect(name="on_ws_connect")
# The Mastodon face's token (one UpdateItem) and Cognito's refresh of the session behind it, as its routes.
@uses(CONNECTIONS.read_write(), USERS.read(), MASTODON_TOKENS.read_write(), USER_POOL.sign_up())
def on_ws_connect(event: WebsocketEvent) -> Any:
    """Accept a connection whose ``?token=`` the REST routes would accept, or a Mastodon streaming connection
    whose Mastodon token the Mastodon face would (``mastodon.streaming``); refuse the handshake otherwise."""
    raw = event.to_dict()
    query = raw.get("queryStringParameters") or {}
    if not query.get("token") and streaming.token_of(query, raw.get("headers") or {}) is not None:
        return _connect_mastodon(event.connection_id, query, raw.get("headers") or {})
    try:
        token = query.get("token")
        if not token:
            raise Unauthorized("missing_token", "connect with ?token=<access token>")
        principal = verify_token(str(token))
        profiles.admit(principal)
    except ApiError as error:
        # A non-2xx answer to $connect refuses the handshake with that status.
        return Response(body=json.dumps(error.body()), status_code=error.status,
                        headers={"Content-Type": "application/json"})
    connections.register(event.connection_id, principal.username)
    return _OK


def _connect_mastodon(connection_id: str, query: dict[str, Any], headers: dict[str, Any]) -> Any:
    try:
        admitted = streaming.admit(query, headers)
    except streaming.Refused as refused:
        return Response(body=json.dumps(refused.body()), status_code=refused.status,
                        headers={"Content-Type": "application/json"})
    except ApiError as error:  # Cognito unavailable while refreshing the token's session
        return Response(body=json.dumps({"error": error.message}), status_code=error.status,
                        headers={"Content-Type": "application/json"})
    connections.register(connection_id, admitted.username, mastodon=admitted.base_url, streams=admitted.streams,
                         allowed=admitted.allowed)
    if admitted.subprotocol is None:
        return _OK
    # A client that offered a subprotocol drops a handshake that does not choose one (RFC 6455 4.1).
    return Response(body="", status_code=200, headers={"Sec-WebSocket-Protocol": admitted.subprotocol})


@sockets.on_ws_message(name="on_ws_message")
@uses(CONNECTIONS.read_write(), USERS.read(), FOLLOWS.read(), MESSAGES.write(), CONVERSATIONS.write(),
      WEBSOCKET.manage())
def on_ws_message(event: WebsocketEvent) -> Any:
    """Answer a frame; every mistake is an error frame, and the connection stays open."""
    connection_id = event.connection_id
    try:
        found = connections.connection(connection_id)
        if found is None:  # its $connect row is gone (cleaned up): the client must connect again
            raise Unauthorized("not_connected", "this connection is not registered; connect again")
        if found.dialect == connections.MASTODON:
            reply = streaming.dispatch(connection_id, found.username, found.allowed, event.body)
        else:
            reply = protocol.dispatch(found.username, protocol.parse(event.body))
    except ApiError as error:
        reply = protocol.error_frame(error)
    except Exception:
        log.exception("WebSocket frame failed", extra={"connection_id": connection_id})
        reply = protocol.error_frame(ApiError("internal_error", "something went wrong on our side"))
    if reply is not None:
        push.send(connection_id, reply)
    return _OK


@sockets.on_ws_disconnect(name="on_ws_disconnect")
@uses(CONNECTIONS.read_write())
def on_ws_disconnect(event: WebsocketEvent) -> Any:
    connections.forget(event.connection_id)
    return _OK


@sockets.on_sqs_message(queue=FEED_PUSH.name, batch_size=10)
@uses(FOLLOWS.read(), POSTS.read(), MEDIA.read(), USERS.read(), CONNECTIONS.read_write(), FEED_PUSH.send(),
      WEBSOCKET.manage())
def push_posts(event: SQSEvent) -> dict[str, Any]:
    """A new post to its author's connected followers, a page of followers per message."""
    return each_message(event, feed.handle)


@sockets.on_sqs_message(queue=NOTIFY_REALTIME.name, batch_size=10)
# The notification's entry, account and status are read only for a Mastodon streaming connection.
@uses(CONNECTIONS.read_write(), WEBSOCKET.manage(), NOTIFICATIONS.read(), USERS.read(), POSTS.read(), MEDIA.read(),
      INTERACTIONS.read())
def push_notifications(event: SQSEvent) -> dict[str, Any]:
    """A new (or regrouped) notification to its recipient's connections (Mastodon's to Mastodon streams)."""
    return each_message(event, _push_notification)


def _push_notification(message: dict[str, Any]) -> None:
    report = push.push_to_users([message["recipient"]], {"type": "notification", "data": message["notification"]},
                                mastodon=streaming.notification(message["notification"]))
    if report.delivered:
        count(m.NOTIFICATIONS_SENT, report.delivered, channel="realtime")


@sockets.on_dynamodb_record(stream_arn=MESSAGES.name, batch_size=100, starting_position="TRIM_HORIZON")
@uses(DOMAIN_EVENTS.publish())
def publish_message_events(event: DynamoDBEvent) -> dict[str, Any]:
    """Each stored direct message becomes ``message.created`` (what notifications are made from)."""
    return each_record(event, lambda record: publisher.publish(message_events(record)))


def message_events(record: Any) -> list[DomainEvent]:
    """``message.created`` for a new message row; its id is the message's, so a replay repeats it."""
    if record.event_name != "INSERT":
        return []
    row = models.MessageModel.from_raw_data(record.new_image)
    return [catalog.DomainEvent(f"message.created:{row.message_id}", "message.created", row.created_at.isoformat(),
                        row.sender, {"conversation_id": row.conversation_id, "message_id": row.message_id,
                                     "sender": row.sender, "recipient": row.recipient,
                                     "preview": row.text[:conversations.PREVIEW]})]
