"""Keeping timelines up to date: fan-out on write, backfill on follow, removal on unfollow or delete.

Fan-out goes a page of followers at a time (``FOLLOWER_PAGE``) with batched
writes, then queues a continuation for the next page: no single message does
unbounded work, and a retry redoes one page at most (writes are idempotent).
Authors with more followers than the ``celebrity_threshold`` flag (when on for them; else the
``FANOUT_MAX_FOLLOWERS`` setting) stop being fanned
out, in two steps so that no follower misses a post: the author is marked
``pending`` and still fanned out while a job adds them, a page of followers at
a time, to each follower's STARS row (what the feed merges on read); once every
follower has it the author is marked ``yes`` and fan-out stops. Follows made in
the meantime add the star themselves. From the marking on, each of the author's
posts and deletions also updates their row of recent post ids (``feed.recent``,
seeded when they are marked), which the feed reads for all celebrities at once.
"""

from __future__ import annotations

import json
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib import flags
from chalicelib.core import metric_names as m
from chalicelib.core.clients import aws_client
from chalicelib.core.declarations import physical_name
from chalicelib.core.ids import new_id
from chalicelib.core.logs import current_correlation_id, get_logger
from chalicelib.core.messages import CORRELATION_ATTRIBUTE
from chalicelib.core.metrics import count
from chalicelib.core.settings import get_settings
from chalicelib.core.tracing import traced_step
from chalicelib.core.transactions import Cancelled, Check, Update, transact
from chalicelib.feed import recent, timeline
from chalicelib.feed.models import STARS, TimelineModel
from chalicelib.posts.models import PostModel
from chalicelib.resources import TIMELINE_UPDATES
from chalicelib.users.graph import follower_names, follows
from chalicelib.users.models import FollowModel, UserModel

log = get_logger(__name__)
FOLLOWER_PAGE = 1000
CONTINUE = "timeline.fanout"
STARRING = "timeline.stars"
PENDING, CELEBRITY = "pending", "yes"


def handle(message: dict[str, Any]) -> None:
    """One message of the timeline-updates queue: a domain event or a continuation."""
    kind, data = message.get("type"), message.get("data") or {}
    if kind == "post.created":
        fan_out(data["post_id"], data["author"], after=None, remove=False)
    elif kind == "post.deleted":
        fan_out(data["post_id"], data["author"], after=None, remove=True)
    elif kind == CONTINUE:
        fan_out(message["post_id"], message["author"], after=message["after"], remove=message["remove"])
    elif kind == STARRING:
        star(message["author"], after=message["after"])
    elif kind == "follow.created":
        backfill(data["follower"], data["followee"])
    elif kind == "follow.deleted":
        forget(data["follower"], data["followee"])
    else:
        log.warning("ignored a message of unknown type", extra={"type": kind})


def fan_out(post_id: str, author: str, *, after: str | None, remove: bool) -> int:
    """Add (or remove) ``post_id`` in the timelines of one page of ``author``'s followers."""
    with traced_step("fanout"):
        return _fan_out(post_id, author, after=after, remove=remove)


def _fan_out(post_id: str, author: str, *, after: str | None, remove: bool) -> int:
    if after is None:
        if remove:  # the author's own timeline first: authors see their posts at once
            timeline.remove_entries([(author, post_id)])
        else:
            timeline.add_entries([author], post_id, author)
        count(m.FANOUT_WRITES)
        try:
            profile = UserModel.get(author)
        except UserModel.DoesNotExist:
            return 0
        if profile.celebrity in (PENDING, CELEBRITY):  # what followers' feeds merge on read
            (recent.forget if remove else recent.record)(author, post_id)
        if profile.celebrity == CELEBRITY:
            return 0  # their followers read their posts at read time
        threshold = flags.number(flags.CELEBRITY_THRESHOLD, author)  # default: FANOUT_MAX_FOLLOWERS
        if not remove and not profile.celebrity and int(profile.followers_count) > threshold:
            recent.seed(author, also=(post_id,))  # before any follower's STARS row names them
            profile.update(actions=[UserModel.celebrity.set(PENDING)])
            star(author, after=None)
    followers, last = _followers_page(author, after)
    if remove:
        timeline.remove_entries((follower, post_id) for follower in followers)
    else:
        timeline.add_entries(followers, post_id, author)
    if followers:
        count(m.FANOUT_WRITES, len(followers))
    if last:
        _continue({"type": CONTINUE, "post_id": post_id, "author": author, "after": last, "remove": remove})
    return len(followers)


def _followers_page(author: str, after: str | None) -> tuple[list[str], str | None]:
    """One page of ``author``'s followers after ``after``, and the last of them if more follow."""
    return follower_names(author, FOLLOWER_PAGE, after)


def star(author: str, *, after: str | None) -> int:
    """Add ``author`` to the STARS row of one page of followers; the last page makes them a celebrity."""
    followers, last = _followers_page(author, after)
    for follower in followers:
        with suppress(Cancelled):  # only while they still follow: an unfollow must not leave a star behind
            transact([Check(FollowModel, follower, author, FollowModel.followee.exists()),
                      Update(TimelineModel(follower, STARS), [TimelineModel.stars.add({author})])])
    if last:
        _continue({"type": STARRING, "author": author, "after": last})
    else:
        UserModel(author).update(actions=[UserModel.celebrity.set(CELEBRITY)])
    return len(followers)


def _continue(message: dict[str, Any]) -> None:
    carried = current_correlation_id()  # the next page's logs keep the post's correlation id
    aws_client("sqs").send_message(QueueUrl=physical_name(TIMELINE_UPDATES), MessageBody=json.dumps(message),
                                   **({"MessageAttributes": {CORRELATION_ATTRIBUTE: {
                                       "DataType": "String", "StringValue": carried}}} if carried else {}))


def backfill(follower: str, followee: str) -> int:
    """A new follow brings the followee's recent posts into the follower's timeline."""
    if not follows(follower, followee):  # unfollowed before this ran
        return 0
    recent = PostModel.by_author.query(followee, scan_index_forward=False, limit=get_settings().backfill_posts)
    return timeline.add_posts(follower, [(post.post_id, followee) for post in recent])


def forget(follower: str, followee: str) -> int:
    """An unfollow takes the followee's posts out of the follower's timeline."""
    if follows(follower, followee):  # followed again before this ran
        return 0
    oldest = new_id(datetime.now(UTC) - timedelta(days=get_settings().timeline_days + 1))
    posts = PostModel.by_author.query(followee, PostModel.post_id > oldest, attributes_to_get=["post_id"])
    return timeline.remove_entries((follower, post.post_id) for post in posts)
