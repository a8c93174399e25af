"""Mastodon's streaming API end to end on ``python -m local``: a Mastodon client finds the streaming URL in the
instance, opens ``/api/v1/streaming`` with its token (query or Sec-WebSocket-Protocol), and its ``user`` stream
gets an ``update`` when an account it follows posts, a ``notification`` when its status is favourited, and a
``delete`` when a status it holds is deleted; each payload a JSON string of the entity."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
import requests
from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection, connect

from tests.e2e.conftest import RunningPlatform, User, register_and_login

LIVE_SECONDS = 30.0  # queues and a shared machine: how long an event may take here before it counts as lost


def _token(platform: RunningPlatform, user: User, scopes: str = "read write follow") -> str:
    app = requests.post(f"{platform.url}/api/v1/apps", data={
        "client_name": "stream-test", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob", "scopes": scopes}, timeout=20)
    assert app.status_code == 200, app.text
    token = requests.post(f"{platform.url}/oauth/token", data={
        "grant_type": "password", "username": user.username, "password": user.password, "scope": scopes,
        "client_id": app.json()["client_id"], "client_secret": app.json()["client_secret"]}, timeout=20)
    assert token.status_code == 200, token.text
    return str(token.json()["access_token"])


def _call(platform: RunningPlatform, token: str, method: str, path: str, **kwargs: Any) -> Any:
    answer = requests.request(method, f"{platform.url}{path}", headers={"Authorization": f"Bearer {token}"},
                              timeout=20, **kwargs)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _event(connection: ClientConnection, event: str,
           matches: Callable[[dict[str, Any]], bool] = lambda payload: True) -> dict[str, Any]:
    """The next frame of ``event`` whose parsed payload ``matches``, within ``LIVE_SECONDS`` (others are skipped)."""
    deadline = time.monotonic() + LIVE_SECONDS
    while (left := deadline - time.monotonic()) > 0:
        try:
            frame = json.loads(connection.recv(timeout=left))
        except TimeoutError:
            break
        if frame.get("event") == event and matches(json.loads(frame["payload"]) if event != "delete" else {}):
            return dict(frame)
    raise AssertionError(f"no {event!r} event within {LIVE_SECONDS} s")


def test_a_user_stream_gets_updates_notifications_and_deletions(platform: RunningPlatform) -> None:
    ann, bob = register_and_login(platform, "stann"), register_and_login(platform, "stbob")
    ann_token, bob_token = _token(platform, ann), _token(platform, bob)
    streaming = requests.get(f"{platform.url}/api/v1/instance", timeout=20).json()["urls"]["streaming_api"]
    assert streaming.startswith("ws://127.0.0.1:")
    health = requests.get(f"{platform.url}/api/v1/streaming/health", timeout=20)
    assert (health.status_code, health.text) == (200, "OK")
    _call(platform, bob_token, "POST", f"/api/v1/accounts/{ann.username}/follow")

    with connect(f"{streaming}/api/v1/streaming?stream=user&access_token={bob_token}", open_timeout=20) as bobs, \
            connect(f"{streaming}/api/v1/streaming", subprotocols=[ann_token],  # type: ignore[list-item]
                    open_timeout=20) as anns:
        assert anns.subprotocol == ann_token  # echoed, or a browser would drop the connection
        anns.send(json.dumps({"type": "subscribe", "stream": "user"}))

        status = _call(platform, ann_token, "POST", "/api/v1/statuses", data={"status": "streamed tea"})
        update = _event(bobs, "update")
        assert update["stream"] == ["user"] and isinstance(update["payload"], str)
        posted = json.loads(update["payload"])
        assert (posted["id"], posted["account"]["id"], posted["content"]) == (
            status["id"], ann.username, "<p>streamed tea</p>")
        assert posted["url"].startswith(platform.url)  # the entities name the API's host, not the WebSocket's

        _call(platform, bob_token, "POST", f"/api/v1/statuses/{status['id']}/favourite")
        # The follow's notification may come first when the pump is slow: the favourite's is the one wanted.
        notified = _event(anns, "notification", lambda payload: payload.get("type") == "favourite")
        entity = json.loads(notified["payload"])
        assert (entity["type"], entity["account"]["id"], entity["status"]["id"]) == (
            "favourite", bob.username, status["id"])
        listed = _call(platform, ann_token, "GET", "/api/v1/notifications")
        assert entity["id"] in {n["id"] for n in listed}

        _call(platform, ann_token, "DELETE", f"/api/v1/statuses/{status['id']}")
        assert _event(bobs, "delete")["payload"] == status["id"]


@pytest.mark.parametrize(("query", "status", "error"), [
    ("access_token=made-up", 401, "Invalid access token"),
    ("stream=public&access_token={token}", 400, "Unknown stream type"),
])
def test_a_bad_token_or_an_unknown_stream_refuses_the_handshake(platform: RunningPlatform, query: str, status: int,
                                                                error: str) -> None:
    user = register_and_login(platform, "stbad")
    streaming = requests.get(f"{platform.url}/api/v1/instance", timeout=20).json()["urls"]["streaming_api"]
    with pytest.raises(InvalidStatus) as refused:
        connect(f"{streaming}/api/v1/streaming?{query.format(token=_token(platform, user, 'read'))}",
                open_timeout=20)
    response = refused.value.response
    assert (response.status_code, json.loads(response.body or b"{}")) == (status, {"error": error})
