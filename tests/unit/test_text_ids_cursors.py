"""Hashtags, mentions, time-ordered ids and signed cursors: pure functions a user meets indirectly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.core.errors import BadRequest, Unprocessable
from chalicelib.core.ids import id_time, is_id, new_id
from chalicelib.core.pagination import CursorCodec, parse_limit
from chalicelib.posts.text import hashtags, mentions


def test_hashtags_are_distinct_lowercase_and_in_order() -> None:
    assert hashtags("Loving #Python and #python3! #Python again, #café") == ["python", "python3", "café"]


@pytest.mark.parametrize("text", ["no tags", "a#b", "#123", "&#39;", "##"])
def test_things_that_are_not_hashtags(text: str) -> None:
    assert hashtags(text) == []


def test_mentions_are_usernames_not_emails() -> None:
    assert mentions("thanks @Ada and @bob_2, mail ada@example.org, @x @Ada") == ["ada", "bob_2"]


def test_ids_sort_by_creation_time() -> None:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    ids = [new_id(start + timedelta(milliseconds=n)) for n in range(0, 5000, 7)]
    assert ids == sorted(ids)
    assert all(is_id(i) for i in ids)
    assert id_time(ids[0]) == start


@given(st.text(max_size=40))
def test_only_ids_pass_as_ids(text: str) -> None:
    if is_id(text):
        assert len(text) == 26


CODEC = CursorCodec("secret")


def test_a_cursor_round_trips_in_its_own_list() -> None:
    cursor = CODEC.encode("feed:ada", {"before": "01J0000000000000000000000A"})
    assert CODEC.decode("feed:ada", cursor) == {"before": "01J0000000000000000000000A"}
    assert CODEC.decode("feed:ada", None) is None


def test_a_cursor_of_another_list_or_secret_is_refused() -> None:
    cursor = CODEC.encode("feed:ada", {"before": "X"})
    with pytest.raises(BadRequest):
        CODEC.decode("feed:bob", cursor)
    with pytest.raises(BadRequest):
        CursorCodec("other-secret").decode("feed:ada", cursor)


@given(st.text(min_size=1, max_size=200))
def test_no_forged_cursor_is_accepted(forged: str) -> None:
    with pytest.raises(BadRequest):
        CODEC.decode("feed:ada", forged)


def test_an_edited_cursor_is_refused() -> None:
    _, mac = CODEC.encode("feed:ada", {"before": "A"}).split(".")
    other_payload = CODEC.encode("feed:ada", {"before": "B"}).split(".")[0]
    with pytest.raises(BadRequest):
        CODEC.decode("feed:ada", f"{other_payload}.{mac}")


@pytest.mark.parametrize(("raw", "expected"), [(None, 20), ("", 20), ("1", 1), ("100", 100)])
def test_limits(raw: str | None, expected: int) -> None:
    assert parse_limit(raw) == expected


@pytest.mark.parametrize("raw", ["0", "101", "-1", "ten", "1.5", "\u0661\u0660"])  # Arabic-Indic 10
def test_bad_limits_are_a_422(raw: str) -> None:
    with pytest.raises(Unprocessable):
        parse_limit(raw)
