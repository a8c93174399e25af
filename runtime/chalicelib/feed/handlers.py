"""The timeline-updates queue's handler."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice.app import Blueprint, SQSEvent

from chalicelib.core.declarations import uses
from chalicelib.core.lazy import lazy_module
from chalicelib.core.messages import each_message
from chalicelib.resources import FOLLOWS, POSTS, TIMELINE, TIMELINE_UPDATES, USERS

if TYPE_CHECKING:
    from chalicelib.feed import fanout
else:
    fanout = lazy_module("chalicelib.feed.fanout")

timelines = Blueprint(__name__)


@timelines.on_sqs_message(queue=TIMELINE_UPDATES.name, batch_size=10)
@uses(TIMELINE.read_write(), FOLLOWS.read(), POSTS.read(), USERS.read_write(), TIMELINE_UPDATES.send())
def update_timelines(event: SQSEvent) -> dict[str, Any]:
    """Fan posts out, backfill follows, remove unfollowed and deleted posts; failures reported per message."""
    return each_message(event, fanout.handle)
