"""The timeline-updates queue's handler."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, SQSEvent

from chalicelib.core.declarations import uses
from chalicelib.core.messages import each_message
from chalicelib.feed.fanout import handle
from chalicelib.resources import FOLLOWS, POSTS, TIMELINE, TIMELINE_UPDATES, USERS

timelines = Blueprint(__name__)


@timelines.on_sqs_message(queue=TIMELINE_UPDATES.name, batch_size=10)
@uses(TIMELINE.read_write(), FOLLOWS.read(), POSTS.read(), USERS.read_write(), TIMELINE_UPDATES.send())
def update_timelines(event: SQSEvent) -> dict[str, Any]:
    """Fan posts out, backfill follows, remove unfollowed and deleted posts; failures reported per message."""
    return each_message(event, handle)
