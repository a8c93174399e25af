"""Feed pushes: a new post goes, as ``{"type": "post", "data": <post>}``, to its author's connected followers.

Followers are read a page at a time (``FOLLOWER_PAGE``) and each page's connected ones found by batch
reads (``push_to_users``); a continuation message carries the next page, so no message does unbounded
work and a retry re-pushes one page at most.

Mastodon streaming connections (``chalicelib.mastodon.streaming``) get Mastodon's events instead: ``update``
(the Status) for a new post, to the followers' and the author's own (Mastodon's home timeline holds one's own
posts), and ``delete`` (its id) when the post is deleted, to the same people; the platform has no frame for a
deletion, so its connections get nothing then.

Usage::

    handle({"type": "post.created", "data": {"post_id": ..., "author": ...}})   # a domain event
    handle({"type": "post.deleted", "data": {"post_id": ..., "author": ...}})
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from chalicelib.core.clients import aws_client
from chalicelib.core.declarations import physical_name
from chalicelib.core.lazy import lazy_module
from chalicelib.core.logs import get_logger
from chalicelib.posts.models import PostModel
from chalicelib.posts.views import post_with_media
from chalicelib.realtime.push import PushReport, push_to_users
from chalicelib.resources import FEED_PUSH
from chalicelib.users.graph import follower_names

if TYPE_CHECKING:
    from chalicelib.mastodon import streaming
else:
    streaming = lazy_module("chalicelib.mastodon.streaming")

log = get_logger(__name__)
FOLLOWER_PAGE = 1000
CONTINUE = "realtime.feed"
CONTINUE_DELETE = "realtime.feed.delete"


def handle(message: dict[str, Any]) -> None:
    """One message of the feed-push queue: a ``post.created`` or ``post.deleted`` event, or the continuation
    of one."""
    kind = message.get("type")
    data = message.get("data") or {}
    if kind == "post.created":
        push_post(data["post_id"], data["author"], after=None)
    elif kind == CONTINUE:
        push_post(message["post_id"], message["author"], after=message["after"])
    elif kind == "post.deleted":
        push_deletion(data["post_id"], data["author"], after=None)
    elif kind == CONTINUE_DELETE:
        push_deletion(message["post_id"], message["author"], after=message["after"])
    else:
        log.warning("ignored a message of unknown type", extra={"type": kind})


def _continue(kind: str, post_id: str, author: str, last: str) -> None:
    aws_client("sqs").send_message(QueueUrl=physical_name(FEED_PUSH), MessageBody=json.dumps(
        {"type": kind, "post_id": post_id, "author": author, "after": last}))


def push_post(post_id: str, author: str, *, after: str | None, page: int = FOLLOWER_PAGE) -> PushReport:
    """Push the post to the connected among one page of followers; queue the next page if there is one."""
    try:
        post = PostModel.get(post_id)
    except PostModel.DoesNotExist:
        return PushReport()  # deleted before anyone was told
    followers, last = follower_names(author, page, after)
    # Pushed alike to every follower: nobody has liked a post this new (liked stays false).
    body = {"type": "post", "data": post_with_media(post, viewer=None).model_dump(mode="json")}
    event = streaming.update(post)  # rendered once for every Mastodon connection of this message
    # The author's own Mastodon streams too, once (with the first page's presence reads).
    report = push_to_users(followers, body, mastodon=event, mastodon_also=[author] if after is None else [])
    if last:
        _continue(CONTINUE, post_id, author, last)
    return report


def push_deletion(post_id: str, author: str, *, after: str | None, page: int = FOLLOWER_PAGE) -> PushReport:
    """Tell the Mastodon streams of one page of followers (and the author's) that the post is gone."""
    followers, last = follower_names(author, page, after)
    event = streaming.delete(post_id)
    report = push_to_users(followers, None, mastodon=event, mastodon_also=[author] if after is None else [])
    if last:
        _continue(CONTINUE_DELETE, post_id, author, last)
    return report
