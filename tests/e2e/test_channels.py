"""Email, the digest, unsubscribe links and devices over real HTTP on ``python -m local``.

Mails are read back from the platform's outbox (``GET /local/outbox``), schedules fired by hand
(``POST /local/schedules/<name>``); notifications come from the whole pipeline (a like becomes a
notification, then a mail), with preferences set through the API.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import requests

from tests.e2e.conftest import RunningPlatform, register_and_login
from tests.e2e.test_social import Api, eventually

TYPES = ("like", "comment", "follow", "mention", "coins", "order", "message")


def _outbox(platform: RunningPlatform, to: str, kind: str = "email") -> list[dict[str, Any]]:
    answer = requests.get(f"{platform.url}/local/outbox", params={"kind": kind, "to": to}, timeout=10)
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def _fire(platform: RunningPlatform, schedule: str) -> dict[str, Any]:
    answer = requests.post(f"{platform.url}/local/schedules/{schedule}", timeout=60)
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()["result"]
    return result


def _email(api: Api, on: bool, types: tuple[str, ...] = TYPES) -> None:
    """Email (and the digest) on or off for ``types``."""
    api.ok("PATCH", "/notifications/preferences", json={"types": {t: {"email": on} for t in types}, "digest": on})


def _liked(author: Api, liker: Api) -> str:
    post = author.ok("POST", "/posts", 201, json={"content": f"post {uuid.uuid4().hex[:6]}"})
    liker.ok("PUT", f"/posts/{post['id']}/like")
    return str(post["id"])


def _liked_seen(author: Api) -> None:
    """Until ``author`` has a like notification (the pipeline made it; coins may come sooner)."""
    eventually(lambda: author.ok("GET", "/notifications", params={"types": "like"})["items"], bool)


def test_local_only_routes_answer_and_unknown_schedules_are_404(platform: RunningPlatform) -> None:
    schedules = requests.get(f"{platform.url}/local/schedules", timeout=10).json()["items"]
    assert {"daily_digest", "weekly_cleanup"} <= set(schedules)
    assert requests.post(f"{platform.url}/local/schedules/nope", timeout=10).status_code == 404
    assert requests.get(f"{platform.url}/local/outbox", timeout=10).json()["items"] is not None


def test_a_forged_unsubscribe_link_is_a_400(platform: RunningPlatform) -> None:
    route = f"{platform.url}/v1/notifications/unsubscribe"
    for token in ("eyJ1IjoiYWRhIn0.AAAAAAAAAAAAAAAAAAAAAAAA", "garbage", ""):
        for method in ("GET", "POST"):
            answer = requests.request(method, route, params={"token": token}, timeout=10)
            assert answer.status_code == 400 and answer.json()["error"]["code"] in {"invalid_token", "missing_token"}


def test_device_registration_errors_are_the_contracts(platform: RunningPlatform) -> None:
    api = Api(platform, register_and_login(platform, "dev"))
    for body in ({"platform": "windows", "token": "ab" * 32}, {"platform": "apns", "token": "zz"}, {"platform": "fcm"}):
        answer = api.call("POST", "/devices", json=body)
        assert answer.status_code == 422 and answer.json()["error"]["code"]
    device = api.ok("POST", "/devices", 201, json={"platform": "apns", "token": uuid.uuid4().hex * 2})
    api.ok("DELETE", f"/devices/{device['id']}", 204)
    assert api.call("DELETE", f"/devices/{device['id']}").status_code == 404


def test_email_off_means_no_email_and_on_means_one(platform: RunningPlatform) -> None:
    ann, bob, cid = (Api(platform, register_and_login(platform, n)) for n in ("ann", "bob", "cid"))
    email = f"{ann.user.username}@example.org"
    _email(ann, False, ("like",))  # only likes: the coins ann earns on the way are not mailed by default
    _liked(ann, bob)
    # Preferences count when the notification is made: wait for it before turning email back on.
    _liked_seen(ann)
    _email(ann, True, ("like",))
    _liked(ann, cid)
    mails = eventually(lambda: _outbox(platform, email), lambda found: len(found) >= 1)
    assert [cid.user.username in m["subject"] for m in mails] == [True]
    assert all(bob.user.username not in m["subject"] for m in _outbox(platform, email))


def test_the_digest_fired_twice_mails_once_each_user_with_unread_items(platform: RunningPlatform) -> None:
    busy, quiet, liker = (Api(platform, register_and_login(platform, n)) for n in ("busy", "quiet", "liker"))
    for api in (busy, quiet):
        _email(api, True)
    _liked(busy, liker)
    _liked_seen(busy)
    _fire(platform, "daily_digest")
    _fire(platform, "daily_digest")

    def digests(api: Api) -> list[dict[str, Any]]:
        return [m for m in _outbox(platform, f"{api.user.username}@example.org") if m["subject"].startswith("Your day")]

    eventually(lambda: digests(busy), lambda found: len(found) >= 1)
    time.sleep(2)  # the second firing's pages are handled by now (each takes milliseconds here)
    assert len(digests(busy)) == 1 and digests(quiet) == [] and digests(liker) == []


def test_the_unsubscribe_link_turns_email_off_without_a_token(platform: RunningPlatform) -> None:
    ann, bob = (Api(platform, register_and_login(platform, n)) for n in ("unsub", "fan"))
    _email(ann, True)
    _liked(ann, bob)
    mail = eventually(lambda: _outbox(platform, f"{ann.user.username}@example.org"), lambda found: len(found) >= 1)[0]
    link = mail["headers"]["List-Unsubscribe"].strip("<>")
    clicked = requests.post(link, data="List-Unsubscribe=One-Click", timeout=10,
                            headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert clicked.status_code == 200, clicked.text
    preferences = ann.ok("GET", "/notifications/preferences")
    assert not any(channels["email"] for channels in preferences["types"].values()) and not preferences["digest"]
