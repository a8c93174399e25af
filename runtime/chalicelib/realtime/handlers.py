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
    MEDIA,
    MESSAGES,
    NOTIFY_REALTIME,
    POSTS,
    USERS,
    WEBSOCKET,
)

# The domain loads on first use: the API function imports this module too (one app), and never runs it.
if TYPE_CHECKING:
    from chalicelib.events import catalog, publisher
    from chalicelib.events.catalog import DomainEvent
    from chalicelib.realtime import connections, conversations, feed, models, protocol, push
    from chalicelib.users import profiles
else:
    catalog = lazy_module("chalicelib.events.catalog")
    publisher = lazy_module("chalicelib.events.publisher")
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
@uses(CONNECTIONS.read_write(), USERS.read())
def on_ws_connect(event: WebsocketEvent) -> Any:
    """Accept a connection whose ``?token=`` the REST routes would accept; refuse the handshake otherwise."""
    query = event.to_dict().get("queryStringParameters") or {}
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


@sockets.on_ws_message(name="on_ws_message")
@uses(CONNECTIONS.read_write(), USERS.read(), FOLLOWS.read(), MESSAGES.write(), CONVERSATIONS.write(),
      WEBSOCKET.manage())
def on_ws_message(event: WebsocketEvent) -> Any:
    """Answer a frame; every mistake is an error frame, and the connection stays open."""
    connection_id = event.connection_id
    try:
        sender = connections.user_of(connection_id)
        if sender is None:  # its $connect row is gone (cleaned up): the client must connect again
            raise Unauthorized("not_connected", "this connection is not registered; connect again")
        reply = protocol.dispatch(sender, protocol.parse(event.body))
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
@uses(CONNECTIONS.read_write(), WEBSOCKET.manage())
def push_notifications(event: SQSEvent) -> dict[str, Any]:
    """A new (or regrouped) notification to its recipient's connections."""
    return each_message(event, _push_notification)


def _push_notification(message: dict[str, Any]) -> None:
    report = push.push_to_users([message["recipient"]], {"type": "notification", "data": message["notification"]})
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
