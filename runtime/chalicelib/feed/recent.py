"""Celebrities' recent post ids: one row each, so that one BatchGetItem serves up to 100 celebrities.

A celebrity's posts are not fanned out; the feed merges them in on read. Rather
than one Query of the posts' by-author index per celebrity followed, the feed
reads each celebrity's row in the timeline table (``owner = "~recent:<author>"``,
``post_id = RECENT``; a partition of its own, so no hot key), which holds their
newest ``KEPT`` post ids (ULIDs: the id is the time) in a string set.

Every change is one atomic UpdateItem, so concurrent posts never lose an id: a
post ADDs its id, a deletion DELETEs it. When the set outgrows ``KEPT`` the
writer DELETEs the oldest ids and raises ``floor`` (conditionally: it only ever
goes up) in the same update, so a reader never sees ids dropped without the
floor that says so. Ids at or below ``floor`` may be missing; everything above
it is there. A page that needs older ids than the row can vouch for (``older``
or ``newer`` answer None) queries the index for that celebrity: exact, and rare
(``KEPT`` is five pages of 20 from one celebrity alone).

The row is created by ``seed`` (one Query of the author's newest posts) when the
author is marked, or on their first post after it for a row that is missing (a
celebrity marked before these rows existed); ``author`` set says it was seeded.
A reader that finds no row for a celebrity queries the index, as before.

Usage::

    record("star", post.post_id)        # fan-out, for a celebrity's post
    forget("star", post.post_id)        # fan-out, for its deletion
    rows = read_many(["star", "other"])  # {author: Recent}, one BatchGetItem
    rows["star"].older(before, 21)       # newest ids < before, or None: query instead
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pynamodb.exceptions import UpdateError
from pynamodb.expressions.update import Action

from chalicelib.core.batches import get_many_pairs
from chalicelib.feed.models import RECENT, TimelineModel
from chalicelib.posts.models import PostModel

KEPT = 100  # ids per celebrity: 100 ULIDs (~2.7 KB) keep a row within one 4 KB read unit
PREFIX = f"{RECENT}:"


@dataclass(frozen=True)
class Recent:
    """A celebrity's row as read: ``ids`` newest first; ids at or below ``floor`` may be missing."""

    ids: tuple[str, ...]
    floor: str | None

    def older(self, before: str | None, n: int) -> list[str] | None:
        """The ``n`` newest ids older than ``before`` (all, if fewer exist), or None when ids the row dropped
        could be among them."""
        kept = [post_id for post_id in self.ids if before is None or post_id < before][:n]
        # Every kept id is above the floor and every dropped one at or below it: n kept ones are the n newest.
        return kept if len(kept) == n or self.floor is None else None

    def newer(self, after: str, n: int) -> list[str] | None:
        """The ``n`` oldest ids newer than ``after``, oldest first, or None when ids the row dropped (at or below
        ``floor``) could be newer than ``after``."""
        if self.floor is not None and after < self.floor:
            return None
        return sorted(post_id for post_id in self.ids if post_id > after)[:n]


def row_key(author: str) -> str:
    return f"{PREFIX}{author}"


def read_many(authors: Sequence[str]) -> dict[str, Recent]:
    """The rows of ``authors`` (up to 100 in one BatchGetItem); an author without a row is absent."""
    rows = get_many_pairs(TimelineModel, [(row_key(author), RECENT) for author in authors])
    return {row.author: Recent(tuple(sorted(row.recent or (), reverse=True)), row.floor)
            for row in rows if row.author}


def record(author: str, post_id: str) -> None:
    """Add ``post_id`` to ``author``'s row (seeding the row first if it has none)."""
    row = TimelineModel(row_key(author), RECENT)
    try:
        row.update(actions=[TimelineModel.recent.add({post_id})], condition=TimelineModel.author.exists())
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
        seed(author, also=(post_id,))
        return
    _trim(author, row.recent or set(), None)


def forget(author: str, post_id: str) -> None:
    """Take ``post_id`` out of ``author``'s row; nothing to do if the author has no row."""
    try:
        TimelineModel(row_key(author), RECENT).update(actions=[TimelineModel.recent.delete({post_id})],
                                                      condition=TimelineModel.author.exists())
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise


def seed(author: str, also: Iterable[str] = ()) -> None:
    """Create (or complete) ``author``'s row from their newest posts, plus ``also`` (posts the index may not
    show yet). Idempotent: ids are ADDed, and a concurrent ``record`` keeps its own."""
    found = {post.post_id for post in PostModel.by_author.query(
        author, scan_index_forward=False, limit=KEPT, attributes_to_get=["post_id"])}
    ids = found | set(also)
    row = TimelineModel(row_key(author), RECENT)
    row.update(actions=[TimelineModel.author.set(author),
                        *([TimelineModel.recent.add(ids)] if ids else [])])
    # A full page of posts: older ones exist perhaps, and the row does not have them.
    _trim(author, row.recent or set(), min(found) if len(found) >= KEPT else None)


def _trim(author: str, ids: set[str], floor: str | None) -> None:
    """Drop the ids beyond the newest ``KEPT`` and raise the floor to cover them (and ``floor``)."""
    excess = sorted(ids)[:max(0, len(ids) - KEPT)]
    raised = max([*excess, *([floor] if floor else [])], default=None)
    if raised is None:
        return
    row = TimelineModel(row_key(author), RECENT)
    dropping: list[Action] = [TimelineModel.recent.delete(set(excess))] if excess else []
    try:  # both in one update: a reader never sees ids gone without the floor saying so
        row.update(actions=[*dropping, TimelineModel.floor.set(raised)],
                   condition=TimelineModel.floor.does_not_exist() | (TimelineModel.floor < raised))
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
        if dropping:  # the floor is already at least as high: the ids may go alone
            row.update(actions=dropping)
