"""Publishing notifications on the ``notifications`` topic, for the delivery channels.

The body is ``{"recipient", "notification", "event_id"}``; the ``type`` attribute is the
notification's type and ``channels`` (a ``String.Array``) the recipient's enabled delivery channels,
which each channel's subscription filters on. Nothing is published when no channel is enabled.

Usage::

    publish("ada", Notification.of(entry), "evt-1", frozenset({"email", "realtime"}))
"""

from __future__ import annotations

import json
from collections.abc import Set
from typing import Any

from chalicelib.core.clients import aws_client
from chalicelib.core.declarations import physical_name
from chalicelib.notifications.preferences import DELIVERY_CHANNELS
from chalicelib.notifications.views import Notification
from chalicelib.resources import NOTIFICATIONS_TOPIC


def message(recipient: str, notification: Notification, event_id: str, channels: Set[str]) -> dict[str, Any]:
    """The ``Publish`` arguments (but the topic) for one notification, or {} when no channel wants it."""
    wanted = sorted(c for c in channels if c in DELIVERY_CHANNELS)
    if not wanted:
        return {}
    body = {"recipient": recipient, "notification": notification.model_dump(mode="json"), "event_id": event_id}
    return {"Message": json.dumps(body, separators=(",", ":"), sort_keys=True), "MessageAttributes": {
        "type": {"DataType": "String", "StringValue": notification.type},
        "channels": {"DataType": "String.Array", "StringValue": json.dumps(wanted)}}}


def publish(recipient: str, notification: Notification, event_id: str, channels: Set[str]) -> bool:
    """Publish or raise; False when no delivery channel is enabled (nothing sent)."""
    arguments = message(recipient, notification, event_id, channels)
    if not arguments:
        return False
    aws_client("sns").publish(TopicArn=physical_name(NOTIFICATIONS_TOPIC), **arguments)
    return True
