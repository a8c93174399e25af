"""Keeping timelines up to date: fan-out on write, backfill on follow, removal on unfollow or delete.

Fan-out goes a page of followers at a time (``FOLLOWER_PAGE``) with batched
writes, then queues a continuation for the next page: no single message does
unbounded work, and a retry redoes one page at most (writes are idempotent).
Authors with more than ``FANOUT_MAX_FOLLOWERS`` followers are not fanned out:
they are marked as celebrities and their posts are merged into feeds on read.
Readers cache the list of celebrities for ``CELEBRITY_CACHE_SECONDS``, so a new
celebrity is still fanned out for twice that long: no reader misses a post
while its cache does not know yet.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.core.declarations import physical_name
from chalicelib.core.ids import new_id
from chalicelib.core.logs import get_logger
from chalicelib.core.settings import get_settings
from chalicelib.feed import timeline
from chalicelib.posts.models import PostModel
from chalicelib.resources import TIMELINE_UPDATES
from chalicelib.users.graph import follows
from chalicelib.users.models import FollowModel, UserModel

log = get_logger(__name__)
FOLLOWER_PAGE = 1000
CONTINUE = "timeline.fanout"
CELEBRITY = "yes"


def handle(message: dict[str, Any]) -> None:
    """One message of the timeline-updates queue: a domain event or a continuation."""
    kind, data = message.get("type"), message.get("data") or {}
    if kind == "post.created":
        fan_out(data["post_id"], data["author"], after=None, remove=False)
    elif kind == "post.deleted":
        fan_out(data["post_id"], data["author"], after=None, remove=True)
    elif kind == CONTINUE:
        fan_out(message["post_id"], message["author"], after=message["after"], remove=message["remove"])
    elif kind == "follow.created":
        backfill(data["follower"], data["followee"])
    elif kind == "follow.deleted":
        forget(data["follower"], data["followee"])
    else:
        log.warning("ignored a message of unknown type", extra={"type": kind})


def fan_out(post_id: str, author: str, *, after: str | None, remove: bool) -> int:
    """Add (or remove) ``post_id`` in the timelines of one page of ``author``'s followers."""
    if after is None:
        if remove:  # the author's own timeline first: authors see their posts at once
            timeline.remove_entries([(author, post_id)])
        else:
            timeline.add_entries([author], post_id, author)
        try:
            profile = UserModel.get(author)
        except UserModel.DoesNotExist:
            return 0
        if _merged_on_read(profile):
            return 0  # their followers read their posts at read time
        if not remove and profile.celebrity != CELEBRITY \
                and int(profile.followers_count) > get_settings().fanout_max_followers:
            profile.update(actions=[UserModel.celebrity.set(CELEBRITY),
                                    UserModel.celebrity_since.set(datetime.now(UTC))])
    condition = FollowModel.follower > after if after else None
    followers = [edge.follower for edge in FollowModel.followers.query(author, condition, limit=FOLLOWER_PAGE)]
    if remove:
        timeline.remove_entries((follower, post_id) for follower in followers)
    else:
        timeline.add_entries(followers, post_id, author)
    if len(followers) == FOLLOWER_PAGE:
        _continue({"type": CONTINUE, "post_id": post_id, "author": author, "after": followers[-1], "remove": remove})
    return len(followers)


def _merged_on_read(profile: UserModel) -> bool:
    """A celebrity long enough for every reader's cache to know it."""
    if profile.celebrity != CELEBRITY or profile.celebrity_since is None:
        return False
    grace = timedelta(seconds=2 * get_settings().celebrity_cache_seconds)
    return datetime.now(UTC) - profile.celebrity_since > grace


def _continue(message: dict[str, Any]) -> None:
    import boto3

    boto3.client("sqs").send_message(QueueUrl=physical_name(TIMELINE_UPDATES), MessageBody=json.dumps(message))


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
