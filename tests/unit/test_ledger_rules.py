"""The earning rules and the cap arithmetic, as properties that hold for every input."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.ledger.bonus import previous_week
from chalicelib.ledger.rules import Rules, award_for, capped_amount
from tests.ledger import events as ev

RULES = Rules()
amounts = st.integers(min_value=1, max_value=1000)


@given(requested=amounts, earned=st.integers(min_value=0, max_value=2000), cap=st.integers(min_value=0, max_value=1000))
def test_an_award_is_cut_to_what_remains_and_never_negative(requested: int, earned: int, cap: int) -> None:
    granted = capped_amount(requested, earned, cap)
    assert 0 <= granted <= requested
    if earned + requested <= cap:
        assert granted == requested
    else:
        assert granted == max(0, cap - earned)


@given(st.lists(amounts, max_size=200), st.integers(min_value=0, max_value=1000))
def test_a_day_of_awards_pays_min_of_their_sum_and_the_cap_in_any_order(awards: list[int], cap: int) -> None:
    earned = 0
    for requested in awards:
        earned += capped_amount(requested, earned, cap)
        assert earned <= cap
    assert earned == min(sum(awards), cap)


def test_who_earns_what() -> None:
    day = date(2026, 3, 2)
    assert award_for(ev.post("p1", "ada", day), RULES).amount == 10  # type: ignore[union-attr]
    like = award_for(ev.like("p1", "ada", "bob", day), RULES)
    assert like is not None and (like.username, like.amount) == ("ada", 2)
    assert award_for(ev.like("p1", "ada", "ada", day), RULES) is None  # liking your own post earns nothing
    again = award_for(ev.like("p1", "ada", "bob", day, nth=1), RULES)
    assert again is not None and again.transfer_id == like.transfer_id  # like, unlike, like: paid once
    comment = award_for(ev.comment("c1", "p1", "ada", "bob", day), RULES)
    assert comment is not None and (comment.username, comment.amount) == ("bob", 5)
    assert award_for({**ev.post("p2", "ada", day), "type": "follow.created"}, RULES) is None


def test_the_weekly_bonus_covers_the_iso_week_that_just_ended() -> None:
    from datetime import UTC, datetime

    start, end, name = previous_week(datetime(2026, 11, 23, 0, 0, 5, tzinfo=UTC))  # a Monday, just after midnight
    assert (start.isoformat(), end.isoformat(), name) == ("2026-11-16", "2026-11-23", "2026-W47")
    assert previous_week(datetime(2026, 11, 29, 23, 59, tzinfo=UTC))[2] == "2026-W47"  # Sunday: same week still
    assert previous_week(datetime(2027, 1, 4, 0, 0, tzinfo=UTC))[2] == "2026-W53"
