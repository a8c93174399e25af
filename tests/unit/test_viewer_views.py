"""Posts and profiles as the caller sees them, on moto (in-process): right values, and a fixed number of
DynamoDB calls per page whatever its size (no read per post or per profile)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from pynamodb.models import Model

from chalicelib.media.models import MediaModel
from chalicelib.posts.models import LIKE, InteractionModel, PostModel
from chalicelib.posts.views import posts_with_media
from chalicelib.users.models import FollowModel, UserModel
from chalicelib.users.views import profiles_for
from tests.dynamo_calls import counted_tables

MODELS: tuple[type[Model], ...] = (MediaModel, UserModel, InteractionModel, FollowModel)
NOW = datetime(2026, 11, 30, tzinfo=UTC)


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The DynamoDB operations made, in order, from when the tables exist."""
    with counted_tables(monkeypatch, MODELS) as made:
        yield made


def _user(name: str, avatar: str | None = None) -> UserModel:
    user = UserModel(name, user_id=f"sub-{name}", email=f"{name}@example.org", display_name=name.upper(),
                     avatar=avatar)
    user.save()
    return user


def _posts(count: int, authors: int) -> list[PostModel]:
    return [PostModel(f"P{n:04d}", author=f"author{n % authors}", content="hi", created_at=NOW)
            for n in range(count)]


@pytest.mark.parametrize("size", [1, 10, 100])
def test_a_page_of_posts_costs_two_reads_whatever_its_size(calls: list[str], size: int) -> None:
    for n in range(min(size, 7)):
        _user(f"author{n}", avatar=f"avatars/author{n}.webp" if n % 2 else None)
    posts = _posts(size, authors=7)
    for post in posts[::3]:
        InteractionModel(post.post_id, LIKE + "reader", author="reader", post_author=post.author,
                         created_at=NOW).save()
    InteractionModel(posts[-1].post_id, LIKE + "someone_else", author="someone_else", post_author="x",
                     created_at=NOW).save()
    calls.clear()

    shown = posts_with_media(posts, viewer="reader")

    assert calls == ["BatchGetItem", "BatchGetItem"]  # authors, the reader's likes (no media on these posts)
    assert [p.id for p in shown] == [p.post_id for p in posts]
    assert [p.liked for p in shown] == [n % 3 == 0 for n in range(size)]
    first = shown[min(1, size - 1)]
    assert first.author_display_name == first.author.upper()
    assert (first.author_avatar or "").endswith(f"avatars/{first.author}.webp") == (first.author != "author0")


def test_posts_seen_by_nobody_are_unliked_and_a_gone_author_shows_the_username(calls: list[str]) -> None:
    _user("author0")
    posts = _posts(2, authors=2)  # author1 has no profile (removed meanwhile)
    calls.clear()
    shown = posts_with_media(posts, viewer=None)
    assert calls == ["BatchGetItem"]  # authors only: no viewer, no likes to read
    assert [(p.author_display_name, p.author_avatar, p.liked) for p in shown] == [
        ("AUTHOR0", None, False), ("author1", None, False)]
    assert posts_with_media([], viewer="reader") == [] and calls == ["BatchGetItem"]  # an empty page reads nothing


@pytest.mark.parametrize("size", [2, 50, 100])
def test_a_page_of_profiles_says_who_follows_whom_in_at_most_two_reads(calls: list[str], size: int) -> None:
    users = [_user(f"person{n}") for n in range(size)] + [_user("me")]
    for n in range(size):
        if n % 2 == 0:
            FollowModel("me", f"person{n}").save()  # I follow the even ones
        if n % 3 == 0:
            FollowModel(f"person{n}", "me").save()  # the multiples of 3 follow me
    FollowModel("person1", "person2").save()  # not about me
    calls.clear()

    shown = profiles_for(users, "me")

    assert calls == ["BatchGetItem"] * (1 if size <= 50 else 2)  # 2 keys per person, 100 keys per call
    assert [(p.following, p.follows_you) for p in shown[:-1]] == [(n % 2 == 0, n % 3 == 0) for n in range(size)]
    assert (shown[-1].username, shown[-1].following, shown[-1].follows_you) == ("me", False, False)
