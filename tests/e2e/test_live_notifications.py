"""Notifications in real time, end to end: what others do reaches a connected user's WebSocket.

The whole path runs on ``python -m local``: a like (comment, follow, post) is written over REST, its
table's stream becomes a domain event, the notifications queue turns it into a notification and
publishes it on the notifications topic with the recipient's channels, and the ``notify-realtime``
consumer pushes it through the Management API to the recipient's socket (how fast is `make bench`'s
to measure; see ``LIVE_SECONDS``). Turning a type's ``realtime`` channel off stops the pushes of that
type and nothing else (the notification is still in the list).
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from websockets.sync.client import ClientConnection

from tests.e2e.conftest import RunningPlatform, User, register_and_login
from tests.e2e.test_realtime import LIVE_SECONDS, api, follow, receive, socket
from tests.e2e.test_social import eventually


def _post(platform: RunningPlatform, author: User, content: str) -> str:
    response = api(platform, author, "POST", "/posts", json={"content": content})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _live(connection: ClientConnection, kind: str, timeout: float = LIVE_SECONDS) -> dict[str, Any]:
    """The next pushed notification of ``kind`` within ``timeout`` seconds from now."""
    deadline = time.monotonic() + timeout
    while True:
        frame = receive(connection, "notification", timeout=max(0.01, deadline - time.monotonic()))
        if frame["data"]["type"] == kind:
            return dict(frame["data"])


def test_likes_comments_follows_and_mentions_reach_a_connected_user_live(
        platform: RunningPlatform) -> None:
    host, guest = register_and_login(platform, "host"), register_and_login(platform, "guest")
    post_id = _post(platform, host, "a post to like and comment on")
    with socket(platform, host) as connection:
        follow(platform, guest, host)
        followed = _live(connection, "follow")
        assert followed["actor"] == guest.username

        assert api(platform, guest, "PUT", f"/posts/{post_id}/like").status_code == 200
        liked = _live(connection, "like")
        assert (liked["actor"], liked["post_id"], liked["count"]) == (guest.username, post_id, 1)

        comment = api(platform, guest, "POST", f"/posts/{post_id}/comments", json={"content": "nice one"})
        assert comment.status_code == 201, comment.text
        commented = _live(connection, "comment")
        assert (commented["actor"], commented["post_id"]) == (guest.username, post_id)

        _post(platform, guest, f"hello @{host.username}, look at this")
        mentioned = _live(connection, "mention")
        assert mentioned["actor"] == guest.username


def test_realtime_off_for_a_type_stops_its_pushes_and_nothing_else(platform: RunningPlatform) -> None:
    host, fan, other = (register_and_login(platform, p) for p in ("quiet", "fan", "other"))
    post_id = _post(platform, host, "likes arrive quietly")
    changed = api(platform, host, "PATCH", "/notifications/preferences",
                  json={"types": {"like": {"realtime": False}}})
    assert changed.status_code == 200, changed.text
    assert changed.json()["types"]["like"]["realtime"] is False
    with socket(platform, host) as connection:
        assert api(platform, fan, "PUT", f"/posts/{post_id}/like").status_code == 200
        follow(platform, other, host)  # still pushed: only likes were turned off
        assert _live(connection, "follow")["actor"] == other.username
        # The like was stored before the follow; give its push a few seconds more all the same.
        eventually(lambda: api(platform, host, "GET", "/notifications", params={"types": "like"}).json()["items"],
                   lambda items: len(items) == 1)
        with pytest.raises(AssertionError, match="no 'notification' frame"):
            _live(connection, "like", timeout=5.0)
    listed = api(platform, host, "GET", "/notifications", params={"types": "like"}).json()["items"]
    assert [(n["type"], n["actor"]) for n in listed] == [("like", fan.username)]  # still in the list
