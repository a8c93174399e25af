"""The notification routes of the real app: the contract's answers and errors (Chalice's client, moto, a JWKS)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from chalice.test import Client

from app import app
from chalicelib.core.settings import get_settings
from chalicelib.notifications import intake
from chalicelib.notifications.views import notification_id
from tests.unit.jwks import CLIENT_ID, ISSUER, JwksServer, SigningKey, access_claims, jwks_server
from tests.unit.test_notifications_store import T0, Channels, channels, dynamodb, like, post, tables

__all__ = ["channels", "dynamodb", "tables"]  # fixtures, used by name
KEY = SigningKey("notification-routes")


@pytest.fixture(scope="module")
def jwks() -> Iterator[JwksServer]:
    with jwks_server(KEY) as running:
        yield running


@pytest.fixture()
def client(jwks: JwksServer, channels: Channels, monkeypatch: pytest.MonkeyPatch) -> Iterator[Client]:
    monkeypatch.setenv("JWKS_URL", jwks.url)
    monkeypatch.setenv("TOKEN_ISSUER", ISSUER)
    monkeypatch.setenv("USER_POOL_CLIENT_ID", CLIENT_ID)
    get_settings.cache_clear()
    from chalicelib.core import routes

    routes._verifier.cache_clear()
    with Client(app) as test_client:
        yield test_client
    get_settings.cache_clear()
    routes._verifier.cache_clear()


def call(client: Client, method: str, path: str, user: str = "ann", body: Any = None) -> tuple[int, Any]:
    token = KEY.sign(access_claims(username=user, sub=f"sub-{user}"))
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    response = client.http.request(method, f"/v1{path}", headers=headers,
                                   body=json.dumps(body).encode() if body is not None else b"")
    return response.status_code, json.loads(response.body) if response.body else None


def _likes(count: int) -> list[str]:
    """``count`` posts of ann's, each liked by ben a minute apart; their ids, oldest first."""
    posts = [post("ann") for _ in range(count)]
    for n, post_id in enumerate(posts):
        intake.handle(like(post_id, "ben", "ann", T0 + timedelta(minutes=n)))
    return posts


def test_the_list_pages_newest_first_and_filters(client: Client) -> None:
    posts = _likes(3)
    status, first = call(client, "GET", "/notifications?limit=2")
    assert status == 200 and [n["post_id"] for n in first["items"]] == posts[:0:-1]
    assert set(first["items"][0]) >= {"id", "type", "actor", "actors", "count", "post_id", "read", "created_at",
                                      "updated_at"}
    status, second = call(client, "GET", f"/notifications?limit=2&cursor={first['next_cursor']}")
    assert [n["post_id"] for n in second["items"]] == posts[:1] and second["next_cursor"] is None
    assert call(client, "GET", "/notifications?types=follow,mention")[1]["items"] == []
    assert len(call(client, "GET", "/notifications?types=like&types=follow")[1]["items"]) == 3
    # A cursor of one filter is not one of another.
    assert call(client, "GET", f"/notifications?limit=2&unread=true&cursor={first['next_cursor']}")[0] == 400


def test_unknown_types_and_bad_flags_are_422(client: Client) -> None:
    status, body = call(client, "GET", "/notifications?types=like,pokes")
    assert status == 422 and body["error"]["code"] == "invalid_types" and "pokes" in body["error"]["message"]
    assert call(client, "GET", "/notifications?unread=maybe")[0] == 422
    assert call(client, "GET", "/notifications?limit=0")[0] == 422


def test_reading_marks_ids_up_to_one_or_all_and_the_count_follows(client: Client) -> None:
    _likes(4)
    ids = [n["id"] for n in call(client, "GET", "/notifications")[1]["items"]]
    assert call(client, "GET", "/notifications/unread_count") == (200, {"count": 4})
    assert call(client, "POST", "/notifications/read", body={"ids": [ids[0]]}) == (200, {"marked": 1, "unread": 3})
    assert call(client, "POST", "/notifications/read", body={"up_to": ids[2]}) == (200, {"marked": 2, "unread": 1})
    unread = call(client, "GET", "/notifications?unread=true")[1]["items"]
    assert [n["id"] for n in unread] == [ids[1]]
    assert call(client, "POST", "/notifications/read", body={}) == (200, {"marked": 1, "unread": 0})
    assert all(n["read"] for n in call(client, "GET", "/notifications")[1]["items"])


def test_foreign_unknown_and_malformed_ids_are_refused_and_nothing_is_marked(client: Client) -> None:
    [post_id] = _likes(1)
    [mine] = call(client, "GET", "/notifications")[1]["items"]
    foreign = notification_id("ben", f"like#{post_id}")
    status, body = call(client, "POST", "/notifications/read", body={"ids": [mine["id"], foreign]})
    assert status == 403 and body["error"]["code"] == "not_your_notification"
    status, body = call(client, "POST", "/notifications/read", body={"ids": [notification_id("ann", "like#gone")]})
    assert status == 404 and body["error"]["code"] == "notification_not_found"
    assert call(client, "POST", "/notifications/read", body={"up_to": "%%%"})[0] == 404
    assert call(client, "POST", "/notifications/read", body={"ids": []})[0] == 422
    assert call(client, "POST", "/notifications/read", body={"ids": [mine["id"]], "up_to": mine["id"]})[0] == 422
    assert call(client, "POST", "/notifications/read", body={"ids": [5]})[0] == 422
    assert call(client, "GET", "/notifications/unread_count")[1] == {"count": 1}
    # Ben may not mark ann's either.
    assert call(client, "POST", "/notifications/read", user="ben", body={"ids": [mine["id"]]})[0] == 403


def test_preferences_read_and_change_per_type_and_channel(client: Client) -> None:
    status, prefs = call(client, "GET", "/notifications/preferences")
    assert status == 200 and prefs["digest"] is False
    assert set(prefs["types"]) == {"like", "comment", "follow", "mention", "coins", "order", "message"}
    assert prefs["types"]["like"] == {"in_app": True, "email": False, "push": True, "realtime": True}
    status, changed = call(client, "PATCH", "/notifications/preferences",
                           body={"types": {"like": {"email": True, "push": False}}, "digest": True})
    assert status == 200 and changed["digest"] is True
    assert changed["types"]["like"] == {"in_app": True, "email": True, "push": False, "realtime": True}
    assert changed["types"]["comment"] == prefs["types"]["comment"]
    assert call(client, "GET", "/notifications/preferences")[1] == changed
    assert call(client, "GET", "/notifications/preferences", user="ben")[1] == prefs  # ann's choices are hers


@pytest.mark.parametrize("body", [
    {"types": {"pokes": {"email": True}}},
    {"types": {"like": {"fax": True}}},
    {"types": {"like": {"email": "yes"}}},
    {"digest": 1},
    {"colour": "blue"},
])
def test_unknown_types_and_channels_in_preferences_are_422(client: Client, body: dict[str, Any]) -> None:
    status, answer = call(client, "PATCH", "/notifications/preferences", body=body)
    assert status == 422 and answer["error"]["code"] == "validation_failed"
