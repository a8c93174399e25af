"""Celebrities' recent post ids (``feed.recent``) and the feed that merges them in a constant number of calls."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pynamodb.models import Model

from chalicelib import flags
from chalicelib.core.ids import new_id
from chalicelib.core.settings import get_settings
from chalicelib.feed import fanout, recent
from chalicelib.feed.models import RECENT, STARS, TimelineModel
from chalicelib.feed.reader import FeedPage, feed_page, feed_page_after
from chalicelib.feed.timeline import add_posts
from chalicelib.posts.models import PostModel
from chalicelib.users.models import FollowModel, UserModel
from tests.dynamo_calls import counted_tables

MODELS: tuple[type[Model], ...] = (UserModel, FollowModel, PostModel, TimelineModel)
START = datetime(2026, 1, 1, tzinfo=UTC)
_clock = [0]


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """DynamoDB tables on moto; the DynamoDB operations made, in order."""
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    get_settings.cache_clear()
    with counted_tables(monkeypatch, MODELS) as made:
        yield made
    get_settings.cache_clear()


def _post(author: str) -> str:
    """A post by ``author``, each newer than the last (ids are ULIDs: their order is their time)."""
    _clock[0] += 1
    at = START + timedelta(seconds=_clock[0])
    post_id = new_id(at)
    PostModel(post_id, author=author, content=f"by {author}", created_at=at).save()
    return post_id


def _celebrity_posts(author: str, n: int) -> list[str]:
    """``n`` posts by celebrity ``author``, each recorded as fan-out records it; ids oldest first."""
    ids = []
    for _ in range(n):
        ids.append(_post(author))
        recent.record(author, ids[-1])
    return ids


def _row(author: str) -> TimelineModel:
    return TimelineModel.get(recent.row_key(author), RECENT, consistent_read=True)


def _all_pages(reader: str, limit: int, read: Callable[[str, int, str | None, list[str] | None], FeedPage]
               ) -> list[list[str]]:
    pages, before, stars = [], None, None
    while True:
        page = read(reader, limit, before, stars)
        pages.append([post.post_id for post in page.posts])
        if page.last is None:
            return pages
        before, stars = page.last, page.stars


def test_a_celebritys_posts_and_deletions_keep_their_row(calls: list[str]) -> None:
    early = _post("star")  # before the row existed: the first record seeds it from the posts' index
    ids = _celebrity_posts("star", 3)
    assert _row("star").recent == {early, *ids} and _row("star").floor is None
    recent.forget("star", ids[1])
    assert _row("star").recent == {early, ids[0], ids[2]}
    recent.forget("nobody", ids[1])  # no row: nothing made
    with pytest.raises(TimelineModel.DoesNotExist):
        _row("nobody")
    assert recent.read_many(["star", "nobody"]) == {
        "star": recent.Recent((ids[2], ids[0], early), None)}


def test_the_row_keeps_the_newest_ids_and_a_floor_below_them(calls: list[str]) -> None:
    ids = _celebrity_posts("star", recent.KEPT + 5)
    row = _row("star")
    assert row.recent == set(ids[5:]) and row.floor == ids[4]
    kept = recent.read_many(["star"])["star"]
    assert kept.older(None, 20) == ids[::-1][:20]
    assert kept.older(ids[6], 3) is None  # one kept id below: the dropped ones might be next
    assert kept.newer(ids[10], 2) == ids[11:13] and kept.newer(ids[2], 2) is None


def test_seeding_a_celebrity_with_many_posts_sets_a_floor(calls: list[str]) -> None:
    ids = [_post("star") for _ in range(recent.KEPT + 3)]
    recent.seed("star")
    row = _row("star")
    assert row.recent == set(ids[3:]) and row.floor == ids[3]  # posts older than the seeded ones are unknown


def test_concurrent_posts_both_stay_and_the_floor_only_rises(calls: list[str], monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    ids = _celebrity_posts("star", recent.KEPT)
    trims: list[tuple[Any, ...]] = []
    monkeypatch.setattr(recent, "_trim", lambda *args: trims.append(args))
    a, b = _post("star"), _post("star")
    recent.record("star", a)  # saw KEPT + 1 ids
    recent.record("star", b)  # saw KEPT + 2
    monkeypatch.undo()
    for args in reversed(trims):  # the second post's trim lands first; the first's floor is then lower
        recent._trim(*args)
    row = _row("star")
    assert row.recent == {*ids[2:], a, b} and row.floor == ids[1]


def _follow_feed(reader: str, authors: list[str], stars: list[str], posts_each: int) -> list[str]:
    """Timeline entries for ``authors``' posts (as fan-out writes them) and ``stars`` in the STARS row; every
    post's id, newest first."""
    every = []
    for _ in range(posts_each):
        for author in authors:
            every.append(_post(author))
            add_posts(reader, [(every[-1], author)])
        for star in stars:
            every += _celebrity_posts(star, 1)
    if stars:
        TimelineModel(reader, STARS, stars=set(stars)).save()
    return every[::-1]


def test_pages_merge_timeline_and_celebrities_newest_first(calls: list[str]) -> None:
    every = _follow_feed("reader", ["ann", "ben"], ["star", "idol"], 7)
    # A post of the marking time is in both the timeline and the row: it shows once.
    shared = _post("star")
    add_posts("reader", [(shared, "star")])
    recent.record("star", shared)
    every.insert(0, shared)
    # A celebrity's deleted post disappears (fan-out takes it out of their row), leaving no gap in the pages.
    gone = next(post_id for post_id in every[2:] if PostModel.get(post_id).author == "idol")
    PostModel(gone).delete()
    recent.forget("idol", gone)
    expected = [post_id for post_id in every if post_id != gone]
    pages = _all_pages("reader", 5, feed_page)
    assert [post_id for page in pages for post_id in page] == expected
    assert all(len(page) == 5 for page in pages[:-1])
    # A caller without the cursor's celebrities (Mastodon's max_id) gets the same pages.
    again = _all_pages("reader", 5, lambda r, n, before, _: feed_page(r, n, before, None))
    assert again == pages
    # The page just newer than a post, as Mastodon's min_id reads it.
    after = feed_page_after("reader", 4, expected[10])
    assert [post.post_id for post in after.posts] == expected[6:10]


def test_paging_past_a_celebritys_kept_ids_queries_for_the_older_ones(calls: list[str]) -> None:
    ids = _celebrity_posts("star", recent.KEPT + 30)
    TimelineModel("reader", STARS, stars={"star"}).save()
    pages = _all_pages("reader", 20, feed_page)
    assert [post_id for page in pages for post_id in page] == ids[::-1]
    assert [len(page) for page in pages] == [20] * 6 + [10]
    assert feed_page_after("reader", 3, ids[0]).posts[-1].post_id == ids[1]


def test_a_celebrity_without_a_row_is_still_merged(calls: list[str]) -> None:
    ids = [_post("legacy") for _ in range(3)]  # marked before rows existed, no post since
    TimelineModel("reader", STARS, stars={"legacy"}).save()
    assert [post.post_id for post in feed_page("reader", 10, None, None).posts] == ids[::-1]


@pytest.mark.parametrize("celebrities", [0, 5, 20, 100])
def test_a_feed_page_costs_at_most_four_calls(calls: list[str], celebrities: int) -> None:
    stars = [f"star{n:03d}" for n in range(celebrities)]
    _follow_feed("reader", [f"acct{n}" for n in range(10)], [], 7)
    _follow_feed("reader", [], stars, 1)  # each celebrity's post among the accounts' ones
    costs = []
    before: str | None = None
    stars_carried: list[str] | None = None
    for _ in range(3):
        for carried in (stars_carried, None):  # /v1's cursor carries the celebrities; Mastodon's max_id does not
            calls.clear()
            page = feed_page("reader", 20, before, carried)
            costs.append(list(calls))
        assert len(page.posts) == 20
        before, stars_carried = page.last, page.stars
    calls.clear()
    feed_page_after("reader", 20, before or "")
    costs.append(list(calls))
    assert max(len(cost) for cost in costs) <= 4, costs
    assert all(cost.count("Query") == 1 for cost in costs), costs  # the reader's timeline only


def test_fan_out_records_a_celebritys_posts_instead_of_fanning_them_out(calls: list[str],
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(flags, "number", lambda *_args, **_kwargs: 1)  # the celebrity threshold
    UserModel("star", user_id="sub-star", email="s@example.org", display_name="Star", followers_count=2).save()
    for fan in ("f1", "f2"):
        FollowModel(fan, "star").save()
    early = _post("star")
    marking = _post("star")
    fanout.handle({"type": "post.created", "data": {"post_id": marking, "author": "star"}})
    assert UserModel.get("star").celebrity == fanout.CELEBRITY
    assert _row("star").recent == {early, marking}  # seeded when marked
    later = _post("star")
    fanout.handle({"type": "post.created", "data": {"post_id": later, "author": "star"}})
    assert _row("star").recent == {early, marking, later}
    assert TimelineModel.count("f1", TimelineModel.post_id == later) == 0  # not fanned out
    assert [post.post_id for post in feed_page("f1", 10, None, None).posts] == [later, marking, early]
    PostModel(marking).delete()
    fanout.handle({"type": "post.deleted", "data": {"post_id": marking, "author": "star"}})
    assert _row("star").recent == {early, later}
    assert [post.post_id for post in feed_page("f2", 10, None, None).posts] == [later, early]
