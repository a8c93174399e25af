"""Reading the home feed: one timeline query and one batch read of the posts.

Celebrities' posts were not fanned out, so the feed merges in the recent posts
of the celebrities the reader follows: the list of celebrities is cached per
process, which of them the reader follows is one batch read, and each
followed celebrity costs one query. None of it grows with the number of
accounts followed.
"""

from __future__ import annotations

import threading
import time

from chalicelib.core.batches import get_many, get_many_pairs
from chalicelib.core.pagination import split_page
from chalicelib.core.settings import get_settings
from chalicelib.feed.models import TimelineModel
from chalicelib.posts.models import PostModel
from chalicelib.users.models import FollowModel, UserModel

_cache: tuple[float, list[str]] = (0.0, [])
_lock = threading.Lock()


def celebrities() -> list[str]:
    """Authors whose posts are merged on read; refreshed every CELEBRITY_CACHE_SECONDS per process."""
    global _cache
    with _lock:
        fetched_at, names = _cache
        if time.monotonic() - fetched_at >= get_settings().celebrity_cache_seconds:
            names = [user.username for user in UserModel.celebrities.query("yes")]
            _cache = (time.monotonic(), names)
        return names


def feed_page(reader: str, limit: int, before: str | None) -> tuple[list[PostModel], str | None]:
    """The reader's feed, newest first, strictly older than ``before``; returns the page and its last id."""
    condition = TimelineModel.post_id < before if before else None
    ids = [entry.post_id for entry in
           TimelineModel.query(reader, condition, scan_index_forward=False, limit=limit + 1)]
    stars = [name for name in celebrities() if name != reader]
    if stars:
        followed = get_many_pairs(FollowModel, [(reader, star) for star in stars])
        author_condition = PostModel.post_id < before if before else None
        for edge in followed:
            ids += [post.post_id for post in PostModel.by_author.query(
                edge.followee, author_condition, scan_index_forward=False, limit=limit + 1,
                attributes_to_get=["post_id"])]
    page_ids, last = split_page(sorted(set(ids), reverse=True), limit)
    posts = get_many(PostModel, page_ids)
    # A post deleted a moment ago may still have timeline entries: it is simply left out.
    return [posts[post_id] for post_id in page_ids if post_id in posts], last
