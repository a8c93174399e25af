"""Reading the home feed in a constant number of DynamoDB calls, whatever the reader follows.

Celebrities' posts are not fanned out, so the feed merges in the recent posts
of the celebrities the reader follows. Which ones they are comes with the first
page's timeline query (the STARS row sorts first in the reader's partition) and
travels in the signed cursor to the next pages (a caller without a cursor passes
None: one GetItem of the STARS row). Their recent post ids come from their rows
in ``feed.recent``, up to ``MAX_STARS`` in one BatchGetItem; a celebrity whose
row cannot vouch for the page (paged deeper than its ``KEPT`` ids, or no row
yet) is queried, as every one was before. A page is then: the timeline Query
(+ the STARS GetItem when no cursor carries them), one BatchGetItem of the
celebrities' rows when any are followed, one BatchGetItem of the posts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from chalicelib.core.batches import get_many
from chalicelib.core.pagination import split_page
from chalicelib.feed import recent
from chalicelib.feed.models import STARS, TimelineModel
from chalicelib.posts.models import PostModel

MAX_STARS = 100  # celebrities merged into one feed: one BatchGetItem of their rows (its limit is 100 keys)


@dataclass(frozen=True)
class FeedPage:
    posts: list[PostModel]
    last: str | None  # the id to read before for the next page; None when nothing follows
    stars: list[str]  # the celebrities merged in, for the next page's cursor


def feed_page(reader: str, limit: int, before: str | None, stars: list[str] | None) -> FeedPage:
    """The reader's feed, newest first, strictly older than ``before``.

    On the first page (``before`` is None) the celebrities followed come from the reader's STARS row, read by
    the timeline query itself; later pages pass back what the first page returned, or None to read the row.
    """
    if before is None:
        rows = list(TimelineModel.query(reader, scan_index_forward=False, limit=limit + 2))
        found = rows[0].stars if rows and rows[0].post_id == STARS else None
        stars = sorted(found or [])[:MAX_STARS]
        ids = [row.post_id for row in rows if row.post_id != STARS][:limit + 1]
    else:
        ids = [row.post_id for row in TimelineModel.query(reader, TimelineModel.post_id < before,
                                                          scan_index_forward=False, limit=limit + 1)]
        if stars is None:
            stars = stars_of(reader)
    ids += _stars_older(stars, before, limit + 1)
    page_ids, last = split_page(sorted(set(ids), reverse=True), limit)
    posts = get_many(PostModel, page_ids)
    # A post deleted a moment ago may still have timeline entries: it is simply left out.
    return FeedPage([posts[post_id] for post_id in page_ids if post_id in posts], last, stars)


def stars_of(reader: str) -> list[str]:
    """The celebrities ``reader`` follows (their STARS row, one GetItem), as ``feed_page`` merges them in."""
    try:
        row = TimelineModel.get(reader, STARS)
    except TimelineModel.DoesNotExist:
        return []
    return sorted(row.stars or [])[:MAX_STARS]


def feed_page_after(reader: str, limit: int, after: str, stars: list[str] | None = None) -> FeedPage:
    """The ``limit`` posts of the feed just newer than ``after`` (the page before it, as Mastodon's ``min_id``
    asks), newest first. ``last`` is the oldest post's id when the page is not empty (older ones exist: the
    posts up to ``after``), None otherwise. The calls of ``feed_page``'s later pages (the timeline is queried
    ascending from ``after``)."""
    rows = TimelineModel.query(reader, TimelineModel.post_id > after, scan_index_forward=True, limit=limit + 1)
    ids = [row.post_id for row in rows if row.post_id != STARS]
    if stars is None:
        stars = stars_of(reader)
    ids += _stars_newer(stars, after, limit + 1)
    page_ids = sorted(set(ids))[:limit][::-1]
    posts = get_many(PostModel, page_ids)
    kept = [posts[post_id] for post_id in page_ids if post_id in posts]
    return FeedPage(kept, page_ids[-1] if page_ids else None, stars)


def _stars_older(stars: Sequence[str], before: str | None, n: int) -> list[str]:
    """Each celebrity's ``n`` newest post ids older than ``before``, from their rows (one BatchGetItem)."""
    rows = recent.read_many(stars) if stars else {}
    ids: list[str] = []
    for star in stars:
        row = rows.get(star)
        kept = row.older(before, n) if row is not None else None
        if kept is None:  # the row cannot vouch for these: ask the posts' index
            condition = PostModel.post_id < before if before else None
            kept = [post.post_id for post in PostModel.by_author.query(
                star, condition, scan_index_forward=False, limit=n, attributes_to_get=["post_id"])]
        ids += kept
    return ids


def _stars_newer(stars: Sequence[str], after: str, n: int) -> list[str]:
    """Each celebrity's ``n`` oldest post ids newer than ``after``, from their rows (one BatchGetItem)."""
    rows = recent.read_many(stars) if stars else {}
    ids: list[str] = []
    for star in stars:
        row = rows.get(star)
        kept = row.newer(after, n) if row is not None else None
        if kept is None:
            kept = [post.post_id for post in PostModel.by_author.query(
                star, PostModel.post_id > after, scan_index_forward=True, limit=n, attributes_to_get=["post_id"])]
        ids += kept
    return ids
