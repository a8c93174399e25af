"""Feed pushes: a new post goes, as ``{"type": "post", "data": <post>}``, to its author's connected followers.

Followers are read a page at a time (``FOLLOWER_PAGE``) and each page's connected ones found by batch
reads (``push_to_users``); a continuation message carries the next page, so no message does unbounded
work and a retry re-pushes one page at most.

Usage::

    handle({"type": "post.created", "data": {"post_id": ..., "author": ...}})   # a domain event
"""

from __future__ import annotations

import json
from typing import Any

from chalicelib.core.clients import aws_client
from chalicelib.core.declarations import physical_name
from chalicelib.core.logs import get_logger
from chalicelib.posts.models import PostModel
from chalicelib.posts.views import post_with_media
from chalicelib.realtime.push import PushReport, push_to_users
from chalicelib.resources import FEED_PUSH
from chalicelib.users.graph import follower_names

log = get_logger(__name__)
FOLLOWER_PAGE = 1000
CONTINUE = "realtime.feed"


def handle(message: dict[str, Any]) -> None:
    """One message of the feed-push queue: a ``post.created`` event, or the continuation of one."""
    kind = message.get("type")
    if kind == "post.created":
        data = message.get("data") or {}
        push_post(data["post_id"], data["author"], after=None)
    elif kind == CONTINUE:
        push_post(message["post_id"], message["author"], after=message["after"])
    else:
        log.warning("ignored a message of unknown type", extra={"type": kind})


def push_post(post_id: str, author: str, *, after: str | None, page: int = FOLLOWER_PAGE) -> PushReport:
    """Push the post to the connected among one page of followers; queue the next page if there is one."""
    try:
        post = PostModel.get(post_id)
    except PostModel.DoesNotExist:
        return PushReport()  # deleted before anyone was told
    followers, last = follower_names(author, page, after)
    # Pushed alike to every follower: nobody has liked a post this new (liked stays false).
    body = {"type": "post", "data": post_with_media(post, viewer=None).model_dump(mode="json")}
    report = push_to_users(followers, body)
    if last:
        aws_client("sqs").send_message(QueueUrl=physical_name(FEED_PUSH), MessageBody=json.dumps(
            {"type": CONTINUE, "post_id": post_id, "author": author, "after": last}))
    return report
