"""Live notifications on the local platform: from a like, comment, follow or mention to the recipient's socket.

The real app in-process (``LocalPlatform``, grants enforced); the recipient is connected with a real
WebSocket client and a real access token. Each round, a different guest follows the recipient, likes a
new post of theirs, comments on it and mentions them in a post of their own; the delay of each is
from just before the REST call to the arrival of the ``{"type": "notification"}`` frame of that type
on the socket: the whole path (table stream, domain event, notifications queue, the notifications
topic, the realtime channel's queue, the Management API). Printed per kind and over all: p50, p95 and
max. The goal (issue 9): every one within 2 s.

Usage::

    python -m benchmarks.live_notifications
"""

from __future__ import annotations

import json
import statistics
import time
import uuid
from collections.abc import Callable
from typing import Any

import requests
from websockets.sync.client import ClientConnection, connect

from local.platform import LocalPlatform

ROUNDS = 8
KINDS = ("follow", "like", "comment", "mention")
TIMEOUT = 30.0


class _User:
    def __init__(self, base: str, prefix: str) -> None:
        self.base, self.session = base, requests.Session()
        self.username, password = f"{prefix}_{uuid.uuid4().hex[:8]}", "Correct-horse-42"
        body = {"username": self.username, "email": f"{self.username}@example.org", "password": password}
        assert self.session.post(f"{base}/v1/auth/register", json=body, timeout=30).status_code == 201
        tokens = self.session.post(f"{base}/v1/auth/login", json={"username": self.username, "password": password},
                                   timeout=30).json()
        self.token = str(tokens["access_token"])
        self.session.headers["Authorization"] = f"Bearer {self.token}"

    def call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response = self.session.request(method, f"{self.base}/v1{path}", timeout=30, **kwargs)
        assert response.status_code < 300, response.text
        return dict(response.json()) if response.text else {}


def _arrival(connection: ClientConnection, kind: str, actor: str) -> float:
    """``time.perf_counter()`` when the notification of ``kind`` by ``actor`` arrived."""
    deadline = time.monotonic() + TIMEOUT
    while (left := deadline - time.monotonic()) > 0:
        try:
            frame = json.loads(connection.recv(timeout=left))
        except TimeoutError:
            break
        arrived = time.perf_counter()
        data = frame.get("data") or {}
        if frame.get("type") == "notification" and data.get("type") == kind and data.get("actor") == actor:
            return arrived
    raise TimeoutError(f"no {kind} notification from {actor} within {TIMEOUT} s")


def _actions(host: _User, guest: _User, post_id: str) -> list[tuple[str, Callable[[], object]]]:
    """What ``guest`` does to ``host`` in a round, by the kind of notification it makes."""
    return [
        ("follow", lambda: guest.call("PUT", f"/users/{host.username}/follow")),
        ("like", lambda: guest.call("PUT", f"/posts/{post_id}/like")),
        ("comment", lambda: guest.call("POST", f"/posts/{post_id}/comments", json={"content": "nice"})),
        ("mention", lambda: guest.call("POST", "/posts", json={"content": f"hi @{host.username}"})),
    ]


def _figures(delays: list[float]) -> str:
    ordered = sorted(delays)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return (f"p50 {statistics.median(ordered) * 1000:5.0f} ms, p95 {p95 * 1000:5.0f} ms, "
            f"max {ordered[-1] * 1000:5.0f} ms")


def main() -> None:
    with LocalPlatform(port=0, prefix="bench-live-", admin=False) as platform:
        assert platform.websocket is not None
        host = _User(platform.url, "host")
        guests = [_User(platform.url, "guest") for _ in range(ROUNDS)]
        platform.pump.drain(120)
        delays: dict[str, list[float]] = {kind: [] for kind in KINDS}
        with connect(f"{platform.websocket.url}?token={host.token}", open_timeout=30) as connection:
            for guest in guests:
                post_id = host.call("POST", "/posts", json={"content": "a post to like"})["id"]
                platform.pump.drain(120)  # each delay below is its own event's, not a queue's backlog
                for kind, act in _actions(host, guest, post_id):
                    started = time.perf_counter()
                    act()
                    delays[kind].append(_arrival(connection, kind, guest.username) - started)
                    platform.pump.drain(120)
        print(f"live notifications: action -> the recipient's WebSocket, {ROUNDS} rounds (goal: under 2 s)")
        for kind in KINDS:
            print(f"  {kind:8s} {_figures(delays[kind])}")
        print(f"  all      {_figures([d for kind in KINDS for d in delays[kind]])}")


if __name__ == "__main__":
    main()
