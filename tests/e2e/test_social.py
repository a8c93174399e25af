"""The social core end to end: several users, every route, over real HTTP on the local platform.

Timelines are written asynchronously (stream -> topic -> queue -> handler), so
feed checks poll for a few seconds the way a client refreshing would.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import boto3
import pytest
import requests

from tests.e2e.conftest import RunningPlatform, User, register_and_login

T = TypeVar("T")
PATIENCE = 15.0


def eventually(probe: Callable[[], T], done: Callable[[T], bool], timeout: float = PATIENCE) -> T:
    """``probe()`` once ``done`` says so; an AssertionError if that takes longer than ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if done(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not done after {timeout} s; last value: {value!r}")
        time.sleep(0.2)


class Api:
    def __init__(self, platform: RunningPlatform, user: User) -> None:
        self.platform, self.user = platform, user
        self.session = requests.Session()
        self.session.headers.update(user.headers)

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        response = self.session.request(method, self.platform.api(path), timeout=20, **kwargs)
        assert response.status_code < 500, f"{method} {path} -> {response.status_code} {response.text}"
        return response

    def ok(self, method: str, path: str, status: int = 200, **kwargs: Any) -> Any:
        response = self.call(method, path, **kwargs)
        assert response.status_code == status, f"{method} {path} -> {response.status_code} {response.text}"
        return response.json() if response.content else None

    def all_pages(self, path: str, limit: int) -> tuple[list[dict[str, Any]], int]:
        items: list[dict[str, Any]] = []
        cursor, pages = None, 0
        while True:
            page = self.ok("GET", path, params={"limit": limit, **({"cursor": cursor} if cursor else {})})
            items += page["items"]
            pages += 1
            cursor = page["next_cursor"]
            if cursor is None:
                return items, pages

    def feed_ids(self) -> list[str]:
        return [post["id"] for post in self.all_pages("/feed", 100)[0]]


@pytest.fixture(scope="module")
def people(platform: RunningPlatform) -> dict[str, Api]:
    return {name: Api(platform, register_and_login(platform, name)) for name in ("ann", "ben", "cat", "dan")}


def test_profiles_follows_posts_feed_and_pagination(people: dict[str, Api]) -> None:
    ann, ben, cat, dan = people["ann"], people["ben"], people["cat"], people["dan"]
    a, b, c = ann.user.username, ben.user.username, cat.user.username

    # Profiles.
    me = ann.ok("PATCH", "/users/me", json={"display_name": "Ann", "bio": "hello there"})
    assert (me["display_name"], me["bio"]) == ("Ann", "hello there")
    assert ben.ok("GET", f"/users/{a}")["bio"] == "hello there"

    # Ann writes 25 posts before anyone follows her: following backfills the recent ones.
    created = [ann.ok("POST", "/posts", 201, json={"content": f"post {n} #e2e @{b}"}) for n in range(25)]
    assert created[0]["hashtags"] == ["e2e"] and created[0]["mentions"] == [b]
    assert ann.ok("GET", "/users/me")["posts_count"] == 25

    # Follows, both directions, idempotent.
    for follower in (ben, cat, dan):
        state = follower.ok("PUT", f"/users/{a}/follow")
        assert state["following"] is True
    assert ben.ok("PUT", f"/users/{a}/follow")["followers_count"] == 3  # again: nothing changes
    ben.ok("PUT", f"/users/{c}/follow")
    followers, pages = ann.all_pages(f"/users/{a}/followers", 2)
    assert sorted(p["username"] for p in followers) == sorted([b, c, dan.user.username]) and pages == 2
    following, _ = ben.all_pages(f"/users/{b}/following", 1)
    assert sorted(p["username"] for p in following) == sorted([a, c])
    profile = ann.ok("GET", "/users/me")
    assert (profile["followers_count"], profile["following_count"]) == (3, 0)

    # The user's posts, newest first, across pages.
    mine, pages = ben.all_pages(f"/users/{a}/posts", 10)
    assert [p["id"] for p in mine] == [p["id"] for p in reversed(created)] and pages == 3

    # Backfill brought Ann's recent posts into Ben's feed; a new post is fanned out to him.
    backfilled = eventually(ben.feed_ids, lambda ids: len(ids) >= 20)
    assert backfilled == [p["id"] for p in reversed(created)][:len(backfilled)]
    fresh = ann.ok("POST", "/posts", 201, json={"content": "fresh news"})
    assert eventually(ben.feed_ids, lambda ids: fresh["id"] in ids)[0] == fresh["id"]
    assert fresh["id"] in ann.feed_ids()  # authors see their own posts

    # Ben's feed, read page by page, is newest first with no duplicates, and merges Cat's posts in.
    cats = cat.ok("POST", "/posts", 201, json={"content": "cat here"})
    eventually(ben.feed_ids, lambda ids: cats["id"] in ids)
    feed, pages = ben.all_pages("/feed", 7)
    ids = [p["id"] for p in feed]
    assert pages >= 3 and ids == sorted(set(ids), reverse=True)
    assert {p["author"] for p in feed} == {a, c}

    # Unfollowing takes Ann's posts out of Dan's feed; following again brings them back.
    eventually(dan.feed_ids, lambda ids: fresh["id"] in ids)
    assert dan.ok("DELETE", f"/users/{a}/follow")["following"] is False
    assert dan.ok("DELETE", f"/users/{a}/follow")["followers_count"] == 2  # again: nothing changes
    assert eventually(dan.feed_ids, lambda ids: not ids) == []
    dan.ok("PUT", f"/users/{a}/follow")
    assert fresh["id"] in eventually(dan.feed_ids, lambda ids: fresh["id"] in ids)


def test_edit_like_comment_and_delete_a_post(people: dict[str, Api]) -> None:
    ann, ben, cat = people["ann"], people["ben"], people["cat"]
    post = ann.ok("POST", "/posts", 201, json={"content": "to be discussed"})
    pid = post["id"]

    edited = ann.ok("PATCH", f"/posts/{pid}", json={"content": "edited #now"})
    assert (edited["content"], edited["hashtags"]) == ("edited #now", ["now"]) and edited["edited_at"]
    assert ben.ok("GET", f"/posts/{pid}")["content"] == "edited #now"

    assert ben.ok("PUT", f"/posts/{pid}/like") == {"liked": True, "likes_count": 1}
    assert ben.ok("PUT", f"/posts/{pid}/like") == {"liked": True, "likes_count": 1}
    assert cat.ok("PUT", f"/posts/{pid}/like")["likes_count"] == 2
    assert cat.ok("DELETE", f"/posts/{pid}/like") == {"liked": False, "likes_count": 1}
    assert cat.ok("DELETE", f"/posts/{pid}/like") == {"liked": False, "likes_count": 1}

    comments = [ben.ok("POST", f"/posts/{pid}/comments", 201, json={"content": f"comment {n}"}) for n in range(5)]
    listed, pages = cat.all_pages(f"/posts/{pid}/comments", 2)
    assert [c["id"] for c in listed] == [c["id"] for c in comments] and pages == 3  # oldest first
    first = comments[0]["id"]
    assert ben.ok("PATCH", f"/posts/{pid}/comments/{first}", json={"content": "fixed"})["content"] == "fixed"
    ben.ok("DELETE", f"/posts/{pid}/comments/{first}", 204)
    assert ann.ok("GET", f"/posts/{pid}") | {"comments_count": 4} == ann.ok("GET", f"/posts/{pid}")

    # Nobody changes what is not theirs.
    for method, path, body in [("PATCH", f"/posts/{pid}", {"content": "mine now"}), ("DELETE", f"/posts/{pid}", None),
                               ("PATCH", f"/posts/{pid}/comments/{comments[1]['id']}", {"content": "x"}),
                               ("DELETE", f"/posts/{pid}/comments/{comments[1]['id']}", None)]:
        response = cat.call(method, path, json=body)
        assert response.status_code == 403, (method, path, response.text)
        assert response.json()["error"]["code"] in {"not_your_post", "not_your_comment"}
    assert ann.call("PATCH", f"/posts/{pid}/comments/{comments[1]['id']}", json={"content": "x"}).status_code == 403

    # Deleting the post takes it out of feeds, and its likes and comments with it.
    ben.ok("PUT", f"/users/{ann.user.username}/follow")
    assert pid in eventually(ben.feed_ids, lambda ids: pid in ids)
    before = ann.ok("GET", "/users/me")["posts_count"]
    assert _interaction_rows(ann.platform, pid) == 5  # one like, four comments
    ann.ok("DELETE", f"/posts/{pid}", 204)
    assert ann.ok("GET", "/users/me")["posts_count"] == before - 1
    assert ben.call("GET", f"/posts/{pid}").status_code == 404
    assert pid not in ben.feed_ids()
    assert ben.call("PUT", f"/posts/{pid}/like").status_code == 404
    assert ben.call("GET", f"/posts/{pid}/comments").status_code == 404
    # ...and behind the API, its like and comment rows are cleaned up too.
    assert eventually(lambda: _interaction_rows(ann.platform, pid), lambda n: n == 0) == 0


def _interaction_rows(platform: RunningPlatform, post_id: str) -> int:
    dynamodb = boto3.client("dynamodb", endpoint_url=platform.aws_endpoint, region_name="us-east-1",
                            aws_access_key_id="testing", aws_secret_access_key="testing")
    table = next(name for name in dynamodb.list_tables()["TableNames"] if name.endswith("-interactions"))
    answer = dynamodb.query(TableName=table, KeyConditionExpression="post_id = :p",
                            ExpressionAttributeValues={":p": {"S": post_id}}, Select="COUNT")
    return int(answer["Count"])


def test_twenty_concurrent_likes_count_exactly_twenty(platform: RunningPlatform, people: dict[str, Api]) -> None:
    post = people["ann"].ok("POST", "/posts", 201, json={"content": "like me"})
    with ThreadPoolExecutor(max_workers=8) as pool:
        likers = list(pool.map(lambda n: Api(platform, register_and_login(platform, f"fan{n}")), range(20)))

    def like_twice(api: Api) -> int:
        api.ok("PUT", f"/posts/{post['id']}/like")
        return int(api.ok("PUT", f"/posts/{post['id']}/like")["likes_count"])

    with ThreadPoolExecutor(max_workers=20) as pool:
        counts = list(pool.map(like_twice, likers))
    assert max(counts) == 20
    assert people["ann"].ok("GET", f"/posts/{post['id']}")["likes_count"] == 20


def test_a_retried_create_with_the_same_key_makes_one_post(people: dict[str, Api]) -> None:
    ben = people["ben"]
    before = ben.ok("GET", "/users/me")["posts_count"]
    headers = {"Idempotency-Key": "retry-me-1"}
    first = ben.ok("POST", "/posts", 201, json={"content": "only once"}, headers=headers)
    again = ben.call("POST", "/posts", json={"content": "only once"}, headers=headers)
    assert again.status_code == 201 and again.json() == first
    assert again.headers["Idempotent-Replayed"] == "true"
    assert ben.ok("GET", "/users/me")["posts_count"] == before + 1
    reused = ben.call("POST", "/posts", json={"content": "something else"}, headers=headers)
    assert reused.status_code == 422 and reused.json()["error"]["code"] == "idempotency_key_reused"
    comment_headers = {"Idempotency-Key": "comment-1"}
    one = ben.ok("POST", f"/posts/{first['id']}/comments", 201, json={"content": "hi"}, headers=comment_headers)
    two = ben.ok("POST", f"/posts/{first['id']}/comments", 201, json={"content": "hi"}, headers=comment_headers)
    assert one == two and ben.ok("GET", f"/posts/{first['id']}")["comments_count"] == 1


UNKNOWN_POST = "01JNQ0000000000000000000ZZ"


@pytest.mark.parametrize(("method", "path", "body", "status"), [
    ("POST", "/posts", {"content": ""}, 422),
    ("POST", "/posts", {"content": "   "}, 422),
    ("POST", "/posts", {"content": "x" * 2001}, 422),
    ("POST", "/posts", {"content": "hi", "colour": "red"}, 422),
    ("POST", "/posts", {"content": 42}, 422),
    ("POST", "/posts", {"content": "hi", "media_ids": "nope"}, 422),
    ("POST", "/posts", {"content": "hi", "media_ids": ["not-mine"]}, 422),
    ("POST", "/posts", [1, 2], 422),
    ("PATCH", "/users/me", {}, 422),
    ("PATCH", "/users/me", {"bio": "x" * 161}, 422),
    ("PATCH", "/users/me", {"display_name": None}, 422),
    ("GET", f"/posts/{UNKNOWN_POST}", None, 404),
    ("GET", "/posts/not-an-id", None, 404),
    ("PUT", f"/posts/{UNKNOWN_POST}/like", None, 404),
    ("POST", f"/posts/{UNKNOWN_POST}/comments", {"content": "hi"}, 404),
    ("GET", f"/posts/{UNKNOWN_POST}/comments", None, 404),
    ("GET", "/users/nobody_here_at_all", None, 404),
    ("PUT", "/users/nobody_here_at_all/follow", None, 404),
    ("GET", "/feed?limit=0", None, 422),
    ("GET", "/feed?limit=101", None, 422),
    ("GET", "/feed?cursor=forged", None, 400),
    ("GET", "/feed?cursor=eyJiZWZvcmUiOiJaWlpaIn0.AAAAAAAAAAAAAAAAAAAAAAAA", None, 400),
])
def test_bad_input_gets_the_contracts_4xx(people: dict[str, Api], method: str, path: str, body: Any,
                                          status: int) -> None:
    response = people["ann"].call(method, path, json=body)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] and error["message"]


def test_self_follow_malformed_oversized_and_foreign_cursors(people: dict[str, Api]) -> None:
    ann, ben = people["ann"], people["ben"]
    assert ann.call("PUT", f"/users/{ann.user.username}/follow").status_code == 422
    malformed = ann.call("POST", "/posts", data=b'{"content": "hi"', headers={"Content-Type": "application/json"})
    assert malformed.status_code == 400 and malformed.json()["error"]["code"] == "malformed_json"
    huge = ann.call("POST", "/posts", json={"content": "x" * 200_000})
    assert huge.status_code == 413 and huge.json()["error"]["code"] == "payload_too_large"
    # A genuine cursor of Ben's feed is worthless on Ann's: no peeking at someone else's list.
    for _ in range(2):
        ben.ok("POST", "/posts", 201, json={"content": "page filler"})
    page = eventually(lambda: ben.ok("GET", "/feed", params={"limit": 1}), lambda p: p["next_cursor"] is not None)
    stolen = ann.call("GET", "/feed", params={"cursor": page["next_cursor"]})
    assert stolen.status_code == 400 and stolen.json()["error"]["code"] == "invalid_cursor"
