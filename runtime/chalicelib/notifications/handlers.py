"""The notifications queue's handler: domain events in, notifications out."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, SQSEvent

from chalicelib.core.declarations import uses
from chalicelib.core.messages import each_message
from chalicelib.resources import (
    FOLLOWS,
    INTERACTIONS,
    NOTIFICATION_INTAKE,
    NOTIFICATION_SETTINGS,
    NOTIFICATIONS,
    NOTIFICATIONS_TOPIC,
    POSTS,
)

notifications = Blueprint(__name__)


@notifications.on_sqs_message(queue=NOTIFICATION_INTAKE.name, batch_size=10)
@uses(NOTIFICATIONS.read_write(), NOTIFICATION_SETTINGS.read(), NOTIFICATIONS_TOPIC.publish(),
      INTERACTIONS.read(), FOLLOWS.read(), POSTS.read(), NOTIFICATION_INTAKE.consume())
def notify(event: SQSEvent) -> dict[str, Any]:
    """Likes, comments, follows, mentions, coins, orders and messages become notifications; failures per message."""
    from chalicelib.notifications.intake import handle

    return each_message(event, handle)
