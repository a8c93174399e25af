"""Pushing messages to connected users through the API Gateway Management API.

Connected users are found a hundred at a time (one BatchGetItem of their presence
items, ``connections.connected``), never one lookup per user; each of their
connections gets a ``PostToConnection``, several at once. A connection the API
answers ``GoneException`` for (the client vanished without a close frame, or its
two hours are up) is deleted there and then, so the next push skips it.

The endpoint is ``WEBSOCKET_ENDPOINT`` (``https://<api-id>.execute-api.<region>.amazonaws.com/<stage>``
in AWS, the local platform's own server locally). Chalice's ``app.websocket_api`` is configured only
inside WebSocket handlers (aws/chalice#1991), and queue consumers push too: so this module makes its own
client, the same ``apigatewaymanagementapi`` client Chalice would make.

Usage::

    report = push_to_users(["alice", "bob"], {"type": "notification", "data": {...}})
    report.delivered, report.gone, report.calls
    send(connection_id, {"type": "pong"})     # one connection (a reply); False if it is gone

    # Mastodon streaming connections get the event's frames (chalicelib.mastodon.streaming.StreamEvent),
    # the platform's connections the platform's message (None: nothing for them); still one read per 100 users.
    push_to_users(followers, {"type": "post", "data": {...}}, mastodon=streaming.update(post))
"""

from __future__ import annotations

import contextvars
import json
import os
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

from chalicelib.core.environment import WEBSOCKET_ENDPOINT
from chalicelib.core.logs import get_logger
from chalicelib.realtime import connections

log = get_logger(__name__)
PARALLEL_POSTS = 16


class DialectEvent(Protocol):
    """What Mastodon streaming connections get of a push: a frame per stream they subscribed to."""

    @property
    def streams(self) -> tuple[str, ...]:
        """The streams that carry the event (``user``, ``user:notification``)."""

    def frame(self, stream: str, base_url: str) -> bytes | None:
        """The frame for the connections of ``stream`` reached through ``base_url`` (None: nothing to send).
        Called once per stream and base URL of a push, never per connection."""


@dataclass
class PushReport:
    """What one push did: users asked for, connected, deliveries, gone connections, and AWS calls made."""

    users: int = 0
    connected: int = 0
    delivered: int = 0
    gone: int = 0
    failed: int = 0
    lookups: int = 0  # BatchGetItem calls
    posts: int = 0  # PostToConnection calls
    cleanups: int = 0  # UpdateItem calls removing gone connections

    @property
    def calls(self) -> int:
        return self.lookups + self.posts + self.cleanups

    def add(self, other: PushReport) -> PushReport:
        for name in ("users", "connected", "delivered", "gone", "failed", "lookups", "posts", "cleanups"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        return self


@lru_cache(maxsize=4)
def _client(endpoint: str) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client("apigatewaymanagementapi", endpoint_url=endpoint,
                        config=Config(max_pool_connections=PARALLEL_POSTS, retries={"max_attempts": 2}))


def management_client() -> Any:
    endpoint = os.environ.get(WEBSOCKET_ENDPOINT)
    if not endpoint:
        raise LookupError(f"{WEBSOCKET_ENDPOINT} is not set: is the WebSocket API deployed?")
    return _client(endpoint)


def encode(message: Mapping[str, Any]) -> bytes:
    return json.dumps(message, separators=(",", ":"), default=str).encode()


def _post(client: Any, connection_id: str, data: bytes) -> str:
    """``delivered``, ``gone`` or ``failed``."""
    try:
        client.post_to_connection(ConnectionId=connection_id, Data=data)
        return "delivered"
    except client.exceptions.GoneException:
        return "gone"
    except Exception:
        log.warning("push failed", exc_info=True, extra={"connection_id": connection_id})
        return "failed"


def send(connection_id: str, message: Mapping[str, Any]) -> bool:
    """Post ``message`` to one connection; False (and the connection forgotten) if it is gone."""
    outcome = _post(management_client(), connection_id, encode(message))
    if outcome == "gone":
        connections.forget(connection_id)
    return outcome == "delivered"


def _mastodon_targets(present: Mapping[str, connections.Presence], event: DialectEvent
                      ) -> list[tuple[str, str, bytes]]:
    """``(user, connection, frame)`` for the Mastodon connections of ``present`` on the event's streams; each
    frame is made once per stream and base URL."""
    frames: dict[tuple[str, str], bytes | None] = {}
    targets: list[tuple[str, str, bytes]] = []
    for user, found in present.items():
        for stream in event.streams:
            ids = found.streams.get(stream, frozenset())
            if not ids or found.base_url is None:
                continue
            key = (stream, found.base_url)
            if key not in frames:
                frames[key] = event.frame(stream, found.base_url)
            data = frames[key]
            if data is not None:
                targets += [(user, cid, data) for cid in sorted(ids)]
    return targets


def push_to_users(usernames: Iterable[str], message: Mapping[str, Any] | None, *,
                  mastodon: DialectEvent | None = None, mastodon_also: Iterable[str] = ()) -> PushReport:
    """Post ``message`` to every open platform connection of each of ``usernames``, and ``mastodon``'s frames
    to their Mastodon streaming connections (none without it) and those of ``mastodon_also`` (looked up in the
    same batch: a post's author, whose Mastodon home holds their own post); gone connections are removed."""
    platform_users = list(dict.fromkeys(usernames))
    wanted = list(dict.fromkeys([*platform_users, *(mastodon_also if mastodon is not None else ())]))
    report = PushReport(users=len(wanted), lookups=-(-len(wanted) // connections.BATCH_KEYS))
    if not wanted:
        return report
    targets: list[tuple[str, str, bytes]] = []
    if mastodon is None:  # the platform's connections alone
        present = connections.connected(wanted) if message is not None else {}
        data = encode(message) if message is not None else b""
        targets = [(user, cid, data) for user, ids in present.items() for cid in sorted(ids)]
    else:
        everyone = connections.presence(wanted)
        if message is not None:
            data = encode(message)
            targets = [(user, cid, data) for user in platform_users if (found := everyone.get(user))
                       for cid in sorted(found.connections)]
        targets += _mastodon_targets(everyone, mastodon)
    report.connected = len({user for user, _, _ in targets})
    if not targets:
        return report
    client = management_client()
    # Each task runs in a copy of this context: whatever judges this function's calls (the local
    # platform's grants) judges the posts made on the pool's threads too.
    with ThreadPoolExecutor(max_workers=min(PARALLEL_POSTS, len(targets))) as pool:
        futures = [pool.submit(contextvars.copy_context().run, _post, client, cid, data) for _, cid, data in targets]
        outcomes = [f.result() for f in futures]
    report.posts = len(targets)
    gone: dict[str, set[str]] = {}
    for (user, cid, _), outcome in zip(targets, outcomes, strict=True):
        if outcome == "gone":
            gone.setdefault(user, set()).add(cid)
        setattr(report, outcome, getattr(report, outcome) + 1)
    for user, ids in gone.items():
        connections.drop(user, ids)
        report.cleanups += 1
    return report
