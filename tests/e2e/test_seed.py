"""``make seed``: ``POST /local/seed`` fills a running platform with a social graph that works like one made by
hand: its users sign in, their feeds hold the posts of whom they follow, celebrities are marked, search finds
the hashtags and the authors have earned coins."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from local.seed import PASSWORD, Size, plan
from tests.e2e.conftest import RunningPlatform, User, start_platform
from tests.e2e.test_social import Api

THRESHOLD = 4
SIZE = Size(users=10, posts=20, celebrities=1, media_every=10, likes_per_post=1.0, comments_per_post=0.3, seed=3)


@pytest.fixture(scope="module")
def seeded() -> Iterator[tuple[RunningPlatform, dict[str, Any]]]:
    with start_platform(FANOUT_MAX_FOLLOWERS=str(THRESHOLD)) as running:
        query = {"users": SIZE.users, "posts": SIZE.posts, "celebrities": SIZE.celebrities,
                 "media_every": SIZE.media_every, "likes_per_post": SIZE.likes_per_post,
                 "comments_per_post": SIZE.comments_per_post, "seed": SIZE.seed}
        answer = requests.post(f"{running.url}/local/seed", params=query, timeout=600)
        assert answer.status_code == 200, answer.text
        yield running, answer.json()


def _signed_in(platform: RunningPlatform, username: str) -> Api:
    login = requests.post(platform.api("/auth/login"), json={"username": username, "password": PASSWORD}, timeout=10)
    assert login.status_code == 200, login.text
    return Api(platform, User(username, PASSWORD, login.json()))


def test_the_seed_makes_what_its_plan_says(seeded: tuple[RunningPlatform, dict[str, Any]]) -> None:
    _, summary = seeded
    graph = plan(SIZE, threshold=THRESHOLD)
    assert summary["users"] == SIZE.users and summary["posts"] == SIZE.posts
    assert summary["follows"] == len(graph.follows)
    assert summary["likes"] == sum(len(p.likers) for p in graph.posts)
    assert summary["comments"] == sum(len(p.commenters) for p in graph.posts)
    assert summary["images"] == sum(p.image for p in graph.posts) > 0
    assert summary["celebrities"] == graph.celebrities != []


def test_seeded_users_sign_in_and_read_a_feed_of_whom_they_follow(
        seeded: tuple[RunningPlatform, dict[str, Any]]) -> None:
    platform, _ = seeded
    graph = plan(SIZE, threshold=THRESHOLD)
    following: dict[str, set[str]] = {}
    for follower, followee in graph.follows:
        following.setdefault(follower, set()).add(followee)
    reader = max(following, key=lambda user: sum(p.author in following[user] for p in graph.posts))
    api = _signed_in(platform, reader)
    feed, _ = api.all_pages("/feed", 50)
    shown = following[reader] | {reader}  # a feed holds one's own posts too
    expected = sum(p.author in shown for p in graph.posts)
    assert len(feed) == expected > 0
    assert {post["author"] for post in feed} <= shown
    star = graph.celebrities[0]
    assert api.ok("GET", f"/users/{star}")["followers_count"] > THRESHOLD
    assert any(post["media"] for post in feed) == any(p.image and p.author in shown for p in graph.posts)


def test_search_and_coins_saw_the_seeded_posts(seeded: tuple[RunningPlatform, dict[str, Any]]) -> None:
    platform, _ = seeded
    graph = plan(SIZE, threshold=THRESHOLD)
    author = max(graph.users, key=lambda user: sum(p.author == user for p in graph.posts))
    api = _signed_in(platform, author)
    assert api.ok("GET", "/wallet")["balance"] > 0
    tagged = next(p for p in graph.posts if "#" in p.text)
    tag = next(word for word in tagged.text.split() if word.startswith("#"))
    assert api.ok("GET", "/search", params={"q": tag})["items"]


@pytest.mark.parametrize("query", ["users=1", "posts=-3", "posts=ten", "likes_per_post=nan", "colour=blue"])
def test_a_seed_the_platform_cannot_make_is_a_400(seeded: tuple[RunningPlatform, dict[str, Any]], query: str) -> None:
    platform, _ = seeded
    answer = requests.post(f"{platform.url}/local/seed?{query}", timeout=10)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["code"] == "bad_parameter"
