"""Authors with more followers than FANOUT_MAX_FOLLOWERS are not fanned out but still reach feeds."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.conftest import RunningPlatform, register_and_login, start_platform
from tests.e2e.test_social import Api, eventually


@pytest.fixture(scope="module")
def small_platform() -> Iterator[RunningPlatform]:
    with start_platform(FANOUT_MAX_FOLLOWERS="2", BACKFILL_POSTS="1") as running:
        yield running


def test_a_celebritys_posts_are_merged_into_followers_feeds_on_read(small_platform: RunningPlatform) -> None:
    star, *fans = (Api(small_platform, register_and_login(small_platform, n)) for n in ("star", "f1", "f2", "f3"))
    s = star.user.username
    early = star.ok("POST", "/posts", 201, json={"content": "before anyone followed"})
    for fan in fans:
        fan.ok("PUT", f"/users/{s}/follow")
    assert star.ok("GET", "/users/me")["followers_count"] == 3  # above the threshold of 2

    posts = [star.ok("POST", "/posts", 201, json={"content": f"news {n}"}) for n in range(3)]
    expected = [p["id"] for p in reversed(posts)] + [early["id"]]
    for fan in fans:
        # Backfill copied one post, fan-out copied none: the feed still shows them all, newest first.
        assert eventually(fan.feed_ids, lambda ids: ids == expected) == expected
    pages, count = fans[0].all_pages("/feed", 2)
    assert [p["id"] for p in pages] == expected and count == 2  # no empty third page

    # Unfollowing a celebrity takes their posts out of the feed at once: nothing to clean up.
    fans[0].ok("DELETE", f"/users/{s}/follow")
    assert eventually(fans[0].feed_ids, lambda ids: not ids) == []
