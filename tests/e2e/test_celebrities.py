"""Authors with more followers than FANOUT_MAX_FOLLOWERS are not fanned out but still reach feeds."""

from __future__ import annotations

import functools
from collections.abc import Iterator

import boto3
import pytest

from tests.e2e.conftest import RunningPlatform, register_and_login, start_platform
from tests.e2e.test_social import Api, eventually


@pytest.fixture(scope="module")
def small_platform() -> Iterator[RunningPlatform]:
    with start_platform(FANOUT_MAX_FOLLOWERS="2", BACKFILL_POSTS="1") as running:
        yield running


def test_a_celebritys_posts_are_merged_into_followers_feeds_on_read(small_platform: RunningPlatform) -> None:
    star, late, *fans = (Api(small_platform, register_and_login(small_platform, n))
                         for n in ("star", "late", "f1", "f2", "f3"))
    s = star.user.username
    early = star.ok("POST", "/posts", 201, json={"content": "before anyone followed"})
    for fan in fans:
        fan.ok("PUT", f"/users/{s}/follow")
    assert star.ok("GET", "/users/me")["followers_count"] == 3  # above the threshold of 2

    # The first post after crossing the threshold is still fanned out while the star is marked...
    marking = star.ok("POST", "/posts", 201, json={"content": "now famous"})
    for name in (fan.user.username for fan in fans):
        eventually(functools.partial(_timeline, small_platform, name), lambda ids: marking["id"] in ids)
    # ...and the next ones are not fanned out at all, yet every feed shows them, newest first.
    posts = [star.ok("POST", "/posts", 201, json={"content": f"news {n}"}) for n in range(3)]
    expected = [p["id"] for p in reversed(posts)] + [marking["id"], early["id"]]
    for fan in fans:
        assert eventually(fan.feed_ids, lambda ids: ids == expected) == expected
        assert not {p["id"] for p in posts} & set(_timeline(small_platform, fan.user.username))
    pages, count = fans[0].all_pages("/feed", 2)
    assert [p["id"] for p in pages] == expected and count == 3  # 2 + 2 + 1, no empty page

    # Following a celebrity later: backfill copies one post, the merge brings the rest.
    late.ok("PUT", f"/users/{s}/follow")
    assert eventually(late.feed_ids, lambda ids: ids == expected) == expected

    # Unfollowing a celebrity takes their posts out of the feed at once: nothing to clean up.
    fans[0].ok("DELETE", f"/users/{s}/follow")
    assert eventually(fans[0].feed_ids, lambda ids: not ids) == []


def _timeline(platform: RunningPlatform, owner: str) -> list[str]:
    """The post ids in ``owner``'s timeline table, read straight from the local DynamoDB (no STARS row)."""
    dynamodb = boto3.client("dynamodb", endpoint_url=platform.aws_endpoint, region_name="us-east-1",
                            aws_access_key_id="testing", aws_secret_access_key="testing")
    table = next(name for name in dynamodb.list_tables()["TableNames"] if name.endswith("-timeline"))
    answer = dynamodb.query(TableName=table, KeyConditionExpression="#o = :o", ExpressionAttributeNames={"#o": "owner"},
                            ExpressionAttributeValues={":o": {"S": owner}})
    return [item["post_id"]["S"] for item in answer["Items"] if item["post_id"]["S"] != "~stars"]
