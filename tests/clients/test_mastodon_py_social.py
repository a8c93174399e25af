"""Mastodon.py 2.3.3, unchanged, on the social side of the Mastodon face (accounts, relationships, notifications,
search, trends) of the local platform: what a client user does after signing in."""

from __future__ import annotations

import time
from typing import Any

from mastodon import Mastodon
from mastodon.errors import MastodonNotFoundError

from tests.e2e.conftest import RunningPlatform, User, register_and_login


def _client(platform: RunningPlatform, user: User) -> Mastodon:
    client_id, client_secret = Mastodon.create_app("pytest-social", api_base_url=platform.url,
                                                   scopes=["read", "write", "follow"])
    api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=platform.url)
    api.log_in(user.username, user.password, scopes=["read", "write", "follow"], allow_http=True)
    return api


def _eventually(read: Any, done: Any, seconds: float = 30) -> Any:
    """``read()`` until ``done(result)``: notifications arrive through the platform's queues."""
    deadline = time.monotonic() + seconds
    while True:
        result = read()
        if done(result) or time.monotonic() > deadline:
            return result
        time.sleep(0.5)


def test_follow_favourite_and_read_the_notifications_search_and_trends(platform: RunningPlatform) -> None:
    ann, bob = register_and_login(platform, "mann"), register_and_login(platform, "mbob")
    fans = [register_and_login(platform, f"mfan{n}") for n in range(3)]
    ann_api, bob_api = _client(platform, ann), _client(platform, bob)

    found = bob_api.account_lookup(ann.username)
    assert (found["id"], found["acct"]) == (ann.username, ann.username)
    with_follow = bob_api.account_follow(found["id"])
    assert with_follow["following"] is True and with_follow["followed_by"] is False
    [relationship] = ann_api.account_relationships(bob.username)
    assert (relationship["following"], relationship["followed_by"]) == (False, True)

    status = ann_api.status_post("tea time #mastotea")
    bob_api.status_favourite(status["id"])
    notifications = _eventually(ann_api.notifications,
                                lambda found: {n["type"] for n in found} >= {"follow", "favourite"})
    by_type = {n["type"]: n for n in notifications}
    assert by_type["follow"]["account"]["id"] == bob.username
    assert by_type["favourite"]["status"]["id"] == status["id"]
    grouped = ann_api.grouped_notifications()
    assert {g["type"] for g in grouped["notification_groups"]} >= {"follow", "favourite"}
    assert {a["id"] for a in grouped["accounts"]} == {bob.username}
    ann_api.notifications_dismiss(by_type["follow"]["id"])
    assert "follow" not in {n["type"] for n in ann_api.notifications()}
    with_unfollow = bob_api.account_unfollow(ann.username)
    assert with_unfollow["following"] is False

    for fan in fans:
        _client(platform, fan).account_follow(ann.username)
    first = bob_api.account_followers(ann.username, limit=2)
    assert len(first) == 2
    second = bob_api.fetch_next(first)
    assert second is not None and len(second) == 1
    back = bob_api.fetch_previous(second)
    assert back is not None and [a["id"] for a in back] == [a["id"] for a in first]

    results = _eventually(lambda: bob_api.search_v2(ann.username, result_type="accounts"),
                          lambda found: found["accounts"])
    assert results["accounts"][0]["id"] == ann.username
    tags = _eventually(lambda: bob_api.search_v2("mastotea", result_type="hashtags"), lambda found: found["hashtags"])
    assert tags["hashtags"][0]["name"] == "mastotea"
    assert isinstance(bob_api.trending_tags(), list)
    try:
        bob_api.account("nobody-at-all")
        raise AssertionError("an unknown account was found")
    except MastodonNotFoundError:
        pass
