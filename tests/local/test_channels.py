"""Email and push channels, the digest and the clean-up, on the local platform with the real app.

Notifications come from the whole pipeline (a like or a comment becomes a notification, published on
the notifications topic, then mailed or pushed); preferences are set and read through the API, as a
user sets and sees them. Likes are not mailed by default, comments are; the digest is opt-in.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from local.platform import LocalPlatform

PASSWORD = "Correct-horse-42"


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalPlatform]:
    sqlite = Path(tmp_path_factory.mktemp("channels")) / "ledger.db"
    # moto's backends are process-wide: keep the package platform's state (no reset), own prefix. The
    # platform clears the runtime's cached keys and clients (unsubscribe's signing key) as it starts.
    with LocalPlatform(port=0, prefix="channels-", visibility_timeout=1, idle_interval=0.25, admin=False,
                       seed=None, database_url="", sqlite_file=sqlite, reset_on_stop=False) as running:
        yield running


class User:
    def __init__(self, platform: LocalPlatform, prefix: str = "c") -> None:
        self.platform = platform
        self.username = f"{prefix}_{uuid.uuid4().hex[:10]}"
        self.email = f"{self.username}@example.org"
        created = requests.post(f"{platform.url}/v1/auth/register", timeout=10, json={
            "username": self.username, "email": self.email, "password": PASSWORD})
        assert created.status_code == 201, created.text
        login = requests.post(f"{platform.url}/v1/auth/login", timeout=10,
                              json={"username": self.username, "password": PASSWORD})
        self.headers = {"Authorization": f"Bearer {login.json()['access_token']}"}

    def ok(self, method: str, path: str, status: int = 200, **kwargs: Any) -> Any:
        answer = requests.request(method, f"{self.platform.url}/v1{path}", headers=self.headers, timeout=10, **kwargs)
        assert answer.status_code == status, (method, path, answer.text)
        return answer.json() if answer.content else None

    def choose(self, **change: Any) -> None:
        """Change preferences as the app does: ``choose(types={"like": {"email": True}}, digest=True)``."""
        self.ok("PATCH", "/notifications/preferences", json=change)

    def preferences(self) -> dict[str, Any]:
        found: dict[str, Any] = self.ok("GET", "/notifications/preferences")
        return found

    def post(self) -> str:
        return str(self.ok("POST", "/posts", 201, json={"content": f"post {uuid.uuid4().hex[:6]}"})["id"])

    def like(self, post_id: str) -> None:
        self.ok("PUT", f"/posts/{post_id}/like")

    def comment(self, post_id: str) -> None:
        self.ok("POST", f"/posts/{post_id}/comments", 201, json={"content": "nice"})

    def notifications(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self.ok("GET", "/notifications")["items"]
        return items

    def await_notifications(self, done: Callable[[list[dict[str, Any]]], bool]) -> list[dict[str, Any]]:
        """Until the list satisfies ``done`` (the pipeline has made or updated them)."""
        found: list[dict[str, Any]] = []

        def check() -> bool:
            found[:] = self.notifications()
            return done(found)

        self.platform.pump.wait_for(check, timeout=15)
        return found


def counted(kind: str, total: int) -> Callable[[list[dict[str, Any]]], bool]:
    """Whether ``kind``'s notifications count ``total`` actors or events (grouped ones count theirs)."""
    return lambda items: sum(n["count"] for n in items if n["type"] == kind) >= total


def mails(platform: LocalPlatform, user: User) -> list[dict[str, Any]]:
    assert platform.outbox is not None
    return platform.outbox.entries(kind="email", to=user.email)


def wait_for_mails(platform: LocalPlatform, user: User, count: int) -> list[dict[str, Any]]:
    platform.pump.wait_for(lambda: len(mails(platform, user)) >= count, timeout=15)
    platform.pump.drain(10)
    return mails(platform, user)


def subjects(platform: LocalPlatform, user: User) -> list[str]:
    return [m["subject"] for m in mails(platform, user)]


def digests(platform: LocalPlatform, user: User) -> list[dict[str, Any]]:
    return [m for m in mails(platform, user) if m["subject"].startswith("Your day")]


def pushes(platform: LocalPlatform, user: User) -> list[dict[str, Any]]:
    assert platform.outbox is not None
    return platform.outbox.entries(kind="push", to=user.username)


def publish_again(platform: LocalPlatform, recipient: User, notification: dict[str, Any]) -> None:
    """What notify publishes for ``notification`` (as the API shows it) once more: a redelivery or a replay."""
    from chalicelib.notifications.publisher import message
    from chalicelib.notifications.views import Notification

    assert platform.provisioned is not None
    platform.clients.sns.publish(TopicArn=platform.provisioned.topics["notifications"].arn,
                                 **message(recipient.username, Notification.model_validate(notification),
                                           "replayed", {"email"}))


def fire(platform: LocalPlatform, schedule: str) -> dict[str, Any]:
    answer = requests.post(f"{platform.url}/local/schedules/{schedule}", timeout=60)
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()["result"]
    return result


def test_a_notification_is_mailed_once_per_count_with_both_parts_and_one_click_unsubscribe(
        platform: LocalPlatform) -> None:
    ada, bob, eve = User(platform), User(platform), User(platform)
    ada.choose(types={"like": {"email": True}})
    post = ada.post()
    bob.like(post)
    wait_for_mails(platform, ada, 1)
    eve.like(post)  # grouped in place: the same notification, a new count
    [grouped] = [n for n in ada.await_notifications(counted("like", 2)) if n["type"] == "like"]
    publish_again(platform, ada, grouped)  # redelivered or replayed: the same id and count
    sent = wait_for_mails(platform, ada, 2)
    assert [m["subject"] for m in sent] == [f"{bob.username} liked your post",
                                            f"{eve.username} and 1 other liked your post"]
    mail = sent[1]
    assert mail["text"].startswith(f"Hi {ada.username},")
    assert f"<strong>{eve.username} and 1 other liked your post" in mail["html"]
    link = mail["headers"]["List-Unsubscribe"]
    assert link.startswith(f"<{platform.url}/v1/notifications/unsubscribe?token=") and link.endswith(">")
    assert mail["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert link[1:-1] in mail["text"] and link[1:-1] in mail["html"]


def test_email_off_means_no_email(platform: LocalPlatform) -> None:
    ada, bob, eve = User(platform), User(platform), User(platform)
    ada.choose(types={"comment": {"email": False}, "like": {"email": True}})
    post = ada.post()
    bob.comment(post)
    ada.await_notifications(counted("comment", 1))  # in the app all the same
    eve.like(post)
    ada.await_notifications(counted("like", 1))
    wait_for_mails(platform, ada, 1)
    assert subjects(platform, ada) == [f"{eve.username} liked your post"]


def _mailed_link(platform: LocalPlatform, user: User, commenter: User) -> str:
    """The unsubscribe link of the mail ``user`` gets for a comment (mailed by default)."""
    commenter.comment(user.post())
    link: str = wait_for_mails(platform, user, 1)[-1]["headers"]["List-Unsubscribe"]
    return link[1:-1]


def test_the_unsubscribe_link_turns_email_and_the_digest_off_without_logging_in(platform: LocalPlatform) -> None:
    ada, bob, eve = User(platform), User(platform), User(platform)
    ada.choose(digest=True)
    links = {user.username: _mailed_link(platform, user, eve) for user in (ada, bob)}
    # What a mail client sends for List-Unsubscribe-Post: no token, a form body.
    clicked = requests.post(links[ada.username], data="List-Unsubscribe=One-Click", timeout=10,
                            headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert clicked.status_code == 200, clicked.text
    assert clicked.json() == {"username": ada.username, "email": False}
    chosen = ada.preferences()
    assert not any(channels["email"] for channels in chosen["types"].values()) and chosen["digest"] is False
    assert all(channels["push"] for channels in chosen["types"].values())  # only email
    assert bob.preferences()["types"]["comment"]["email"] is True
    eve.comment(ada.post())
    ada.await_notifications(counted("comment", 2))
    platform.pump.drain(10)
    assert len(mails(platform, ada)) == 1  # the comment is in the app, not in the inbox
    followed = requests.get(links[bob.username], timeout=10)  # the link in the mail's body
    assert followed.status_code == 200 and bob.preferences()["types"]["comment"]["email"] is False


def test_a_forged_or_tampered_unsubscribe_link_is_refused(platform: LocalPlatform) -> None:
    ada, eve, victim = User(platform), User(platform), User(platform)
    token = parse_qs(urlsplit(_mailed_link(platform, ada, eve)).query)["token"][0]
    payload, _, mac = token.partition(".")
    before = {user.username: user.preferences() for user in (ada, victim)}
    forged_payload = base64.urlsafe_b64encode(json.dumps({"u": victim.username}).encode()).decode().rstrip("=")
    route = f"{platform.url}/v1/notifications/unsubscribe"
    for bad in (f"{forged_payload}.{mac}", f"{payload}.{mac[:-2]}AA", payload, "", "x" * 9000):
        for method in ("GET", "POST"):
            answer = requests.request(method, route, params={"token": bad}, timeout=10)
            assert answer.status_code == 400, (bad[:40], answer.text)
            assert answer.json()["error"]["code"] in {"invalid_token", "missing_token"}
    assert requests.post(route, timeout=10).status_code == 400
    assert {user.username: user.preferences() for user in (ada, victim)} == before


def test_the_digest_fired_twice_mails_each_user_with_unread_items_exactly_once(platform: LocalPlatform) -> None:
    busy, idle, default, fan = (User(platform, prefix) for prefix in ("busy", "idle", "default", "fan"))
    for user in (busy, idle):
        user.choose(digest=True)
    post = busy.post()
    fan.like(post)
    busy.await_notifications(counted("like", 1))
    fan.comment(post)
    busy.await_notifications(counted("comment", 1))
    fan.comment(default.post())  # unread, but this user never asked for a digest
    default.await_notifications(counted("comment", 1))
    platform.pump.drain(10)  # the coins earned on the way too
    in_app = [n for n in busy.notifications() if not n["read"]]
    first, second = fire(platform, "daily_digest"), fire(platform, "daily_digest")
    assert first["segments"] == second["segments"] >= 1 and first["day"] == second["day"]
    platform.pump.wait_for(lambda: bool(digests(platform, busy)), timeout=15)
    platform.pump.drain(15)
    [digest] = digests(platform, busy)
    assert digest["subject"] == f"Your day: {len(in_app)} new notifications"  # what the app shows unread
    lines = digest["text"].splitlines()
    assert lines.index(f"- {fan.username} commented on your post") < lines.index(f"- {fan.username} liked your post")
    assert f"<li>{fan.username} liked your post</li>" in digest["html"] and digest["headers"]["List-Unsubscribe"]
    assert digests(platform, idle) == [] and digests(platform, default) == [] and digests(platform, fan) == []


def test_device_registration_refuses_what_is_not_a_token(platform: LocalPlatform) -> None:
    ada = User(platform)
    route = f"{platform.url}/v1/devices"
    for body in ({"platform": "windows", "token": "ab" * 32}, {"platform": "apns", "token": "not-hex"},
                 {"platform": "apns", "token": "ab" * 8}, {"platform": "fcm", "token": "short"},
                 {"platform": "fcm", "token": "x" * 5000}, {"platform": "apns"}, {"token": "ab" * 32},
                 {"platform": "apns", "token": "ab" * 32, "extra": 1}):
        answer = requests.post(route, json=body, headers=ada.headers, timeout=10)
        assert answer.status_code == 422, (body, answer.text)
    assert requests.post(route, data="{", headers={**ada.headers, "Content-Type": "application/json"},
                         timeout=10).status_code == 400
    assert requests.post(route, json={"platform": "apns", "token": "ab" * 32}, timeout=10).status_code == 401


def test_a_registered_device_gets_pushes_until_it_is_removed(platform: LocalPlatform) -> None:
    ada, bob, eve = User(platform), User(platform), User(platform)
    token = uuid.uuid4().hex * 2
    route = f"{platform.url}/v1/devices"
    ada.choose(types={"coins": {"push": False}})  # pushes for likes only
    created = requests.post(route, json={"platform": "apns", "token": token}, headers=ada.headers, timeout=10)
    again = requests.post(route, json={"platform": "apns", "token": token}, headers=ada.headers, timeout=10)
    assert created.status_code == again.status_code == 201 and created.json()["id"] == again.json()["id"]
    post = ada.post()
    bob.like(post)
    platform.pump.wait_for(lambda: bool(pushes(platform, ada)))
    [push] = pushes(platform, ada)
    assert push["token"] == token
    assert json.loads(push["message"]["APNS"])["aps"]["alert"] == f"{bob.username} liked your post"
    device = created.json()["id"]
    assert requests.delete(f"{route}/{device}", headers=eve.headers, timeout=10).status_code == 404
    assert requests.delete(f"{route}/{device}", headers=ada.headers, timeout=10).status_code == 204
    assert requests.delete(f"{route}/{device}", headers=ada.headers, timeout=10).status_code == 404
    eve.like(post)
    ada.await_notifications(counted("like", 2))
    platform.pump.drain(10)
    assert len(pushes(platform, ada)) == 1


def _endpoint_of(platform: LocalPlatform, username: str) -> list[str]:
    from chalicelib.channels.models import DeviceModel

    return [d.endpoint_arn for d in DeviceModel.query(username)]


def test_an_endpoint_aws_disabled_removes_its_device_at_the_next_push(platform: LocalPlatform) -> None:
    ada = User(platform)
    requests.post(f"{platform.url}/v1/devices", json={"platform": "fcm", "token": "f" * 40 + ":" + uuid.uuid4().hex},
                  headers=ada.headers, timeout=10).raise_for_status()
    [endpoint] = _endpoint_of(platform, ada.username)
    platform.clients.sns.set_endpoint_attributes(EndpointArn=endpoint, Attributes={"Enabled": "false"})
    User(platform).like(ada.post())
    platform.pump.wait_for(lambda: _endpoint_of(platform, ada.username) == [])


def test_the_sunday_clean_up_removes_devices_aws_disabled(platform: LocalPlatform) -> None:
    ada = User(platform)
    for token in ("a1" * 32, "b2" * 32):
        requests.post(f"{platform.url}/v1/devices", json={"platform": "apns", "token": token},
                      headers=ada.headers, timeout=10).raise_for_status()
    endpoints = _endpoint_of(platform, ada.username)
    platform.clients.sns.set_endpoint_attributes(EndpointArn=endpoints[0], Attributes={"Enabled": "false"})
    report = fire(platform, "weekly_cleanup")
    assert report["devices"] >= 1
    assert _endpoint_of(platform, ada.username) == endpoints[1:]


def test_a_digest_leg_out_of_time_continues_where_it_stopped_and_mails_nobody_twice(platform: LocalPlatform) -> None:
    from chalicelib.channels import digest

    users, fan = [User(platform, "leg") for _ in range(3)], User(platform)
    for user in users:
        user.choose(digest=True)
        fan.like(user.post())
    for user in users:
        user.await_notifications(counted("like", 1))
    job: dict[str, Any] | None = digest.start(datetime.now(UTC), segments=1)[0]
    legs = 0
    assert platform.grants is not None
    with platform.grants.calling("send_digests"):  # with the digest function's grants, as its legs run
        while job is not None:
            legs += 1
            rest = digest.run(job, time_left=lambda: 0.0)  # out of time after every user
            assert rest is None or rest["start_key"] != job.get("start_key")
            job = rest
    for user in users:
        assert len(digests(platform, user)) == 1
    assert legs >= 3  # one user per leg at least for ours, among the others in the table


def test_only_the_mailing_functions_may_send_mail(platform: LocalPlatform) -> None:
    from botocore.exceptions import ClientError

    assert platform.grants is not None and platform.provisioned is not None
    mailer = platform.provisioned.mailers["mail"]
    ses = platform.clients.client("sesv2")
    request = {"FromEmailAddress": mailer.from_address, "Destination": {"ToAddresses": ["x@example.org"]},
               "Content": {"Template": {"TemplateName": f"{mailer.template_prefix}digest", "TemplateData": "{}"}}}
    with platform.grants.calling("api_handler"), pytest.raises(ClientError) as refused:
        ses.send_email(**request)
    assert refused.value.response["Error"]["Code"] == "AccessDeniedException"
    with platform.grants.calling("send_digests"):
        assert ses.send_email(**request)["MessageId"]
