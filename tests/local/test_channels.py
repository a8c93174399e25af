"""Email and push channels, the digest and the clean-up, on the local platform with the real app.

The notify helper's package (preferences, unread notifications) is stood in for by an in-memory
fake with the contract's functions (ISSUE9.md), so that these tests pin the channels' behaviour
alone; messages are published to the notifications topic as notify publishes them.
"""

from __future__ import annotations

import importlib
import json
import sys
import types
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from local.platform import LocalPlatform

PASSWORD = "Correct-horse-42"


class FakeNotify:
    """``preferences.set_channel`` / ``digest_enabled`` and ``service.unread_since``, in memory."""

    def __init__(self) -> None:
        self.email_off: set[str] = set()
        self.unread: dict[str, list[dict[str, Any]]] = {}

    def modules(self) -> dict[str, types.ModuleType]:
        package = types.ModuleType("chalicelib.notifications")
        package.__path__ = []
        preferences = types.ModuleType("chalicelib.notifications.preferences")
        service = types.ModuleType("chalicelib.notifications.service")

        def set_channel(username: str, channel: str, enabled: bool) -> None:
            assert channel == "email"
            (self.email_off.discard if enabled else self.email_off.add)(username)

        def unread_since(username: str, since: datetime, limit: int) -> list[dict[str, Any]]:
            return self.unread.get(username, [])[:limit]

        preferences.set_channel = set_channel  # type: ignore[attr-defined]
        preferences.digest_enabled = lambda username: username not in self.email_off  # type: ignore[attr-defined]
        service.unread_since = unread_since  # type: ignore[attr-defined]
        return {"chalicelib.notifications": package, "chalicelib.notifications.preferences": preferences,
                "chalicelib.notifications.service": service}


@pytest.fixture(scope="module")
def notify() -> Iterator[FakeNotify]:
    """The fake's functions in notify's modules when they exist (the app imports them), else fake modules."""
    fake = FakeNotify()
    with pytest.MonkeyPatch.context() as patch:
        for name, module in fake.modules().items():
            try:
                real = importlib.import_module(name)
            except ImportError:
                patch.setitem(sys.modules, name, module)
                continue
            for attribute in ("set_channel", "digest_enabled", "unread_since"):
                if hasattr(module, attribute):
                    patch.setattr(real, attribute, getattr(module, attribute))
        yield fake


@pytest.fixture(scope="module")
def platform(notify: FakeNotify, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalPlatform]:
    from chalicelib.channels.unsubscribe import _codec

    _codec.cache_clear()  # signing keys are this platform's secret's, not an earlier one's
    sqlite = Path(tmp_path_factory.mktemp("channels")) / "ledger.db"
    with LocalPlatform(port=0, prefix="channels-", visibility_timeout=1, idle_interval=0.25, admin=False,
                       seed=None, database_url="", sqlite_file=sqlite) as running:
        yield running
    _codec.cache_clear()


class User:
    def __init__(self, platform: LocalPlatform, prefix: str = "c") -> None:
        self.username = f"{prefix}_{uuid.uuid4().hex[:10]}"
        self.email = f"{self.username}@example.org"
        created = requests.post(f"{platform.url}/v1/auth/register", timeout=10, json={
            "username": self.username, "email": self.email, "password": PASSWORD})
        assert created.status_code == 201, created.text
        login = requests.post(f"{platform.url}/v1/auth/login", timeout=10,
                              json={"username": self.username, "password": PASSWORD})
        self.headers = {"Authorization": f"Bearer {login.json()['access_token']}"}


def publish(platform: LocalPlatform, recipient: str, notification: dict[str, Any], channels: list[str]) -> None:
    """What notify publishes: the message and its ``type`` and ``channels`` attributes."""
    platform.clients.sns.publish(
        TopicArn=platform.provisioned.topics["notifications"].arn if platform.provisioned else "",
        Message=json.dumps({"recipient": recipient, "notification": notification, "event_id": notification["id"]}),
        MessageAttributes={"type": {"DataType": "String", "StringValue": notification["type"]},
                           "channels": {"DataType": "String.Array", "StringValue": json.dumps(channels)}})


def like(actor: str, count: int = 1, id_: str | None = None) -> dict[str, Any]:
    return {"id": id_ or uuid.uuid4().hex, "type": "like", "actor": actor, "actors": [actor], "count": count,
            "read": False}


def mails(platform: LocalPlatform, user: User) -> list[dict[str, Any]]:
    assert platform.outbox is not None
    return platform.outbox.entries(kind="email", to=user.email)


def wait_for_mails(platform: LocalPlatform, user: User, count: int) -> list[dict[str, Any]]:
    platform.pump.wait_for(lambda: len(mails(platform, user)) >= count, timeout=15)
    platform.pump.drain(10)
    return mails(platform, user)


def fire(platform: LocalPlatform, schedule: str) -> dict[str, Any]:
    answer = requests.post(f"{platform.url}/local/schedules/{schedule}", timeout=60)
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()["result"]
    return result


def test_a_notification_is_mailed_once_per_count_with_both_parts_and_one_click_unsubscribe(
        platform: LocalPlatform) -> None:
    ada = User(platform)
    first = like("bob", count=2, id_="n-" + uuid.uuid4().hex)
    publish(platform, ada.username, first, ["email", "push"])
    publish(platform, ada.username, first, ["email"])  # redelivered or replayed: the same id and count
    publish(platform, ada.username, {**first, "count": 3}, ["email"])  # grouped in place: a new count
    sent = wait_for_mails(platform, ada, 2)
    assert [m["subject"] for m in sent] == ["bob and 1 other liked your post", "bob and 2 others liked your post"]
    mail = sent[0]
    assert mail["text"].startswith(f"Hi {ada.username},") and "<strong>bob and 1 other liked your post" in mail["html"]
    link = mail["headers"]["List-Unsubscribe"]
    assert link.startswith(f"<{platform.url}/v1/notifications/unsubscribe?token=") and link.endswith(">")
    assert mail["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert link[1:-1] in mail["text"] and link[1:-1] in mail["html"]


def test_email_off_means_no_email(platform: LocalPlatform) -> None:
    ada = User(platform)
    publish(platform, ada.username, like("quiet"), ["push", "realtime"])  # email is off for this type
    publish(platform, ada.username, like("loud"), ["email"])
    [mail] = wait_for_mails(platform, ada, 1)
    assert mail["subject"] == "loud liked your post"


def test_the_unsubscribe_link_turns_email_off_without_logging_in(platform: LocalPlatform, notify: FakeNotify) -> None:
    ada, bob = User(platform), User(platform)
    for user in (ada, bob):
        publish(platform, user.username, like("eve"), ["email"])
    links = {u.username: wait_for_mails(platform, u, 1)[0]["headers"]["List-Unsubscribe"][1:-1] for u in (ada, bob)}
    # What a mail client sends for List-Unsubscribe-Post: no token, a form body.
    clicked = requests.post(links[ada.username], data="List-Unsubscribe=One-Click", timeout=10,
                            headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert clicked.status_code == 200, clicked.text
    assert clicked.json() == {"username": ada.username, "email": False}
    assert ada.username in notify.email_off and bob.username not in notify.email_off
    followed = requests.get(links[bob.username], timeout=10)  # the link in the mail's body
    assert followed.status_code == 200 and bob.username in notify.email_off


def test_a_forged_or_tampered_unsubscribe_link_is_refused(platform: LocalPlatform, notify: FakeNotify) -> None:
    ada = User(platform)
    publish(platform, ada.username, like("eve"), ["email"])
    link = wait_for_mails(platform, ada, 1)[0]["headers"]["List-Unsubscribe"][1:-1]
    token = parse_qs(urlsplit(link).query)["token"][0]
    payload, _, mac = token.partition(".")
    victim = User(platform)
    import base64

    forged_payload = base64.urlsafe_b64encode(json.dumps({"u": victim.username}).encode()).decode().rstrip("=")
    route = f"{platform.url}/v1/notifications/unsubscribe"
    for bad in (f"{forged_payload}.{mac}", f"{payload}.{mac[:-2]}AA", payload, "", "x" * 9000):
        for method in ("GET", "POST"):
            answer = requests.request(method, route, params={"token": bad}, timeout=10)
            assert answer.status_code == 400, (bad[:40], answer.text)
            assert answer.json()["error"]["code"] in {"invalid_token", "missing_token"}
    assert requests.post(route, timeout=10).status_code == 400
    assert victim.username not in notify.email_off and ada.username not in notify.email_off


def test_the_digest_fired_twice_mails_each_user_with_unread_items_exactly_once(
        platform: LocalPlatform, notify: FakeNotify) -> None:
    busy, idle, unsubscribed = User(platform, "busy"), User(platform, "idle"), User(platform, "off")
    notify.unread[busy.username] = [like("bob"), {"id": "c1", "type": "comment", "actor": "eve", "count": 1}]
    notify.unread[unsubscribed.username] = [like("bob")]
    notify.email_off.add(unsubscribed.username)
    first, second = fire(platform, "daily_digest"), fire(platform, "daily_digest")
    assert first["segments"] == second["segments"] >= 1 and first["day"] == second["day"]
    [digest] = wait_for_mails(platform, busy, 1)
    platform.pump.drain(15)
    assert [m["subject"] for m in mails(platform, busy)] == ["Your day: 2 new notifications"]
    assert "- bob liked your post\n- eve commented on your post" in digest["text"]
    assert "<li>bob liked your post</li>" in digest["html"] and digest["headers"]["List-Unsubscribe"]
    assert mails(platform, idle) == [] and mails(platform, unsubscribed) == []


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
    ada, eve = User(platform), User(platform)
    token = uuid.uuid4().hex * 2
    route = f"{platform.url}/v1/devices"
    created = requests.post(route, json={"platform": "apns", "token": token}, headers=ada.headers, timeout=10)
    again = requests.post(route, json={"platform": "apns", "token": token}, headers=ada.headers, timeout=10)
    assert created.status_code == again.status_code == 201 and created.json()["id"] == again.json()["id"]
    publish(platform, ada.username, like("bob", id_="p-" + uuid.uuid4().hex), ["push"])
    assert platform.outbox is not None
    platform.pump.wait_for(lambda: bool(platform.outbox and platform.outbox.entries(kind="push", to=ada.username)))
    [push] = platform.outbox.entries(kind="push", to=ada.username)
    assert push["token"] == token and json.loads(push["message"]["APNS"])["aps"]["alert"] == "bob liked your post"
    device = created.json()["id"]
    assert requests.delete(f"{route}/{device}", headers=eve.headers, timeout=10).status_code == 404
    assert requests.delete(f"{route}/{device}", headers=ada.headers, timeout=10).status_code == 204
    assert requests.delete(f"{route}/{device}", headers=ada.headers, timeout=10).status_code == 404
    publish(platform, ada.username, like("carol"), ["push"])
    platform.pump.drain(10)
    assert len(platform.outbox.entries(kind="push", to=ada.username)) == 1


def _endpoint_of(platform: LocalPlatform, username: str) -> list[str]:
    from chalicelib.channels.models import DeviceModel

    return [d.endpoint_arn for d in DeviceModel.query(username)]


def test_an_endpoint_aws_disabled_removes_its_device_at_the_next_push(platform: LocalPlatform) -> None:
    ada = User(platform)
    requests.post(f"{platform.url}/v1/devices", json={"platform": "fcm", "token": "f" * 40 + ":" + uuid.uuid4().hex},
                  headers=ada.headers, timeout=10).raise_for_status()
    [endpoint] = _endpoint_of(platform, ada.username)
    platform.clients.sns.set_endpoint_attributes(EndpointArn=endpoint, Attributes={"Enabled": "false"})
    publish(platform, ada.username, like("bob"), ["push"])
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


def test_a_digest_leg_out_of_time_continues_where_it_stopped_and_mails_nobody_twice(
        platform: LocalPlatform, notify: FakeNotify) -> None:
    from chalicelib.channels import digest

    users = [User(platform, "leg") for _ in range(3)]
    for user in users:
        notify.unread[user.username] = [like("bob")]
    # Another day than the other tests' digests (today's), so that their claims do not count here.
    job: dict[str, Any] | None = digest.start(datetime(2099, 1, 1, 20, tzinfo=UTC), segments=1)[0]
    legs = 0
    while job is not None:
        legs += 1
        rest = digest.run(job, time_left=lambda: 0.0)  # out of time after every user
        assert rest is None or rest["start_key"] != job.get("start_key")
        job = rest
    for user in users:
        assert [m["subject"] for m in mails(platform, user)] == ["Your day: 1 new notifications"]
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
