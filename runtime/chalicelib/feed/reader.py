"""Reading the home feed: one timeline query and one batch read of the posts.

Celebrities' posts are not fanned out, so the feed merges in the recent posts
of the celebrities the reader follows, one query each. Which ones they are
comes with the first page's timeline query (the STARS row sorts first in the
reader's partition) and travels in the signed cursor to the next pages. None
of it grows with the number of accounts followed, or with the number of
celebrities on the platform.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.core.batches import get_many
from chalicelib.core.pagination import split_page
from chalicelib.feed.models import STARS, TimelineModel
from chalicelib.posts.models import PostModel

MAX_STARS = 100  # celebrities merged into one feed; more would make every page slow


@dataclass(frozen=True)
class FeedPage:
    posts: list[PostModel]
    last: str | None  # the id to read before for the next page; None when nothing follows
    stars: list[str]  # the celebrities merged in, for the next page's cursor


def feed_page(reader: str, limit: int, before: str | None, stars: list[str] | None) -> FeedPage:
    """The reader's feed, newest first, strictly older than ``before``.

    On the first page (``stars`` is None) the celebrities followed come from the
    reader's STARS row; later pages pass back what the first page returned.
    """
    if stars is None:
        rows = list(TimelineModel.query(reader, scan_index_forward=False, limit=limit + 2))
        found = rows[0].stars if rows and rows[0].post_id == STARS else None
        stars = sorted(found or [])[:MAX_STARS]
        ids = [row.post_id for row in rows if row.post_id != STARS][:limit + 1]
    else:
        ids = [row.post_id for row in TimelineModel.query(reader, TimelineModel.post_id < before,
                                                          scan_index_forward=False, limit=limit + 1)]
    for star in stars:
        condition = PostModel.post_id < before if before else None
        ids += [post.post_id for post in PostModel.by_author.query(
            star, condition, scan_index_forward=False, limit=limit + 1, attributes_to_get=["post_id"])]
    page_ids, last = split_page(sorted(set(ids), reverse=True), limit)
    posts = get_many(PostModel, page_ids)
    # A post deleted a moment ago may still have timeline entries: it is simply left out.
    return FeedPage([posts[post_id] for post_id in page_ids if post_id in posts], last, stars)


def stars_of(reader: str) -> list[str]:
    """The celebrities ``reader`` follows (their STARS row, one GetItem), as ``feed_page`` merges them in: for
    a face whose later pages carry no cursor to bring them back (Mastodon's ``max_id``)."""
    try:
        row = TimelineModel.get(reader, STARS)
    except TimelineModel.DoesNotExist:
        return []
    return sorted(row.stars or [])[:MAX_STARS]


def feed_page_after(reader: str, limit: int, after: str, stars: list[str]) -> FeedPage:
    """The ``limit`` posts of the feed just newer than ``after`` (the page before it, as Mastodon's ``min_id``
    asks), newest first. ``last`` is the oldest post's id when the page is not empty (older ones exist: the
    posts up to ``after``), None otherwise. One timeline query (ascending from ``after``), one per celebrity,
    one batch read of the posts: as ``feed_page``."""
    rows = TimelineModel.query(reader, TimelineModel.post_id > after, scan_index_forward=True, limit=limit + 1)
    ids = [row.post_id for row in rows if row.post_id != STARS]
    for star in stars:
        ids += [post.post_id for post in PostModel.by_author.query(
            star, PostModel.post_id > after, scan_index_forward=True, limit=limit + 1, attributes_to_get=["post_id"])]
    page_ids = sorted(set(ids))[:limit][::-1]
    posts = get_many(PostModel, page_ids)
    kept = [posts[post_id] for post_id in page_ids if post_id in posts]
    return FeedPage(kept, page_ids[-1] if page_ids else None, stars)
