"""Feed pushes on the local platform: from a post to each of 500 connected followers' WebSocket.

The real app in-process (``LocalPlatform``, grants enforced). 500 followers are connected with real
WebSocket clients (tokens signed with moto's pool key, as Cognito's would be), held by a process of
their own (``benchmarks.ws_clients``) so that they do not take the platform's GIL; the author posts
over HTTP, and each client notes (system clock, shared by both processes) when the ``{"type": "post"}``
frame arrives. Printed per post: p50, p95
and max (the last follower) of those delays, and the AWS calls the push made, by operation. A second
run adds followers who are not connected: the lookups grow by pages of 100, the posts not at all.

Usage::

    python -m benchmarks.realtime
"""

from __future__ import annotations

import functools
import gzip
import json
import statistics
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jwt
import moto
import requests
from botocore.client import BaseClient

from benchmarks.ws_clients import ClientProcess
from local.grants import CALLER
from local.platform import LocalPlatform

FOLLOWERS = 500
OFFLINE_FOLLOWERS = 1500  # the second run: followers who are not connected
POSTS = 3
PUSHER = "push_posts"
_PUSH = "push_to_users"  # the feed module's name for it, wrapped to time each push


@functools.lru_cache(maxsize=1)
def _moto_key() -> tuple[Any, str]:
    path = Path(moto.__file__).parent / "cognitoidp" / "resources" / "jwks-private.json.gz"
    document = json.loads(gzip.decompress(path.read_bytes()))
    key = document["keys"][0] if "keys" in document else document
    return jwt.PyJWK(key).key, str(key.get("kid"))


def _token(platform: LocalPlatform, username: str) -> str:
    """An access token as the local pool would sign it (moto ships its pools' one private key)."""
    key, kid = _moto_key()
    pool = platform.provisioned.user_pool  # type: ignore[union-attr]
    assert pool is not None
    now = int(time.time())
    claims = {"sub": str(uuid.uuid4()), "iss": pool.issuer, "client_id": pool.client_id, "token_use": "access",
              "username": username, "iat": now, "exp": now + 3600}
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


class _Calls:
    """Counts the AWS calls the pushing function makes (every botocore call runs through here)."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._original: Callable[..., Any] | None = None

    def __enter__(self) -> _Calls:
        original = self._original = BaseClient._make_api_call

        def counted(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
            caller = CALLER.get()
            if caller is not None and caller.function == PUSHER:
                with self._lock:
                    self.counts[operation] += 1
            return original(client, operation, params)

        BaseClient._make_api_call = counted
        return self

    def __exit__(self, *exc: object) -> None:
        BaseClient._make_api_call = self._original

    def take(self) -> Counter[str]:
        with self._lock:
            taken, self.counts = self.counts, Counter()
        return taken


def _percentiles(delays: list[float]) -> str:
    ordered = sorted(delays)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return (f"p50 {statistics.median(ordered) * 1000:6.0f} ms, p95 {p95 * 1000:6.0f} ms, "
            f"max {ordered[-1] * 1000:6.0f} ms")


def _calls(counts: Counter[str]) -> str:
    return f"{sum(counts.values())} AWS calls (" + ", ".join(f"{op} {n}" for op, n in sorted(counts.items())) + ")"


class _PushTimes:
    """When each push of the feed pusher began and ended (to tell the event's trip from the posting)."""

    def __init__(self) -> None:
        from chalicelib.realtime import feed

        self._feed = feed
        self._original = getattr(feed, _PUSH)
        self.spans: list[tuple[float, float]] = []

    def __enter__(self) -> _PushTimes:
        def timed(usernames: Any, message: Any) -> Any:
            began = time.time()
            try:
                return self._original(usernames, message)
            finally:
                self.spans.append((began, time.time()))

        setattr(self._feed, _PUSH, timed)
        return self

    def __exit__(self, *exc: object) -> None:
        setattr(self._feed, _PUSH, self._original)


def main() -> None:
    from chalicelib.users.models import FollowModel

    with LocalPlatform(port=0, prefix="bench-rt-", admin=False) as platform, _Calls() as calls, \
            _PushTimes() as pushes:
        assert platform.websocket is not None
        base, session = platform.url, requests.Session()
        author = f"star_{uuid.uuid4().hex[:8]}"
        body = {"username": author, "email": f"{author}@example.org", "password": "Correct-horse-42"}
        assert session.post(f"{base}/v1/auth/register", json=body, timeout=30).status_code == 201
        tokens = session.post(f"{base}/v1/auth/login", json={"username": author, "password": body["password"]},
                              timeout=30).json()
        headers = {"Authorization": f"Bearer {tokens['access_token']}"}
        followers = [f"fan_{n:05d}" for n in range(FOLLOWERS + OFFLINE_FOLLOWERS)]
        online = followers[:FOLLOWERS]
        # The graph written straight into the follows table (no counters, no backfill: not what is measured).
        with FollowModel.batch_write() as batch:
            for name in online:
                batch.save(FollowModel(name, author))
        # Each follow is a follow.created event (timelines, notifications): let them settle before measuring.
        began = time.perf_counter()
        platform.pump.drain(1800)
        print(f"realtime feed push: the {FOLLOWERS} follows' events handled in {time.perf_counter() - began:.1f} s")
        clients = ClientProcess()
        seconds = clients.open([f"{platform.websocket.url}?token={_token(platform, name)}" for name in online])
        print(f"realtime feed push: {FOLLOWERS} followers connected over WebSocket in {seconds:.1f} s "
              "(their clients in a process of their own)")
        try:
            print(f"  {FOLLOWERS} followers, all connected:")
            lasts = []
            for n in range(POSTS):
                platform.pump.drain(600)
                calls.take()
                started = time.time()  # the clients' process stamps arrivals with the same clock
                post = session.post(f"{base}/v1/posts", json={"content": f"post {n}"}, headers=headers,
                                    timeout=30).json()
                delays = [t - started for t in clients.wait(post["id"], FOLLOWERS)]
                lasts.append(max(delays))
                platform.pump.drain(600)
                began, ended = pushes.spans[-1] if pushes.spans else (started, started)
                print(f"    post {n + 1}: {_percentiles(delays)} (the push began after "
                      f"{(began - started) * 1000:.0f} ms, posted for {(ended - began) * 1000:.0f} ms); "
                      f"{_calls(calls.take())}")
            print(f"    the last follower, over {POSTS} posts: {_percentiles(lasts)}")
            # The same push with followers who are not connected: called directly, as the pusher's function
            # (the new follows' backfills keep the pump busy meanwhile; only the calls are counted here).
            with FollowModel.batch_write() as batch:
                for name in followers[FOLLOWERS:]:
                    batch.save(FollowModel(name, author))
            from chalicelib.realtime.feed import push_post

            assert platform.grants is not None
            calls.take()
            with platform.grants.calling(PUSHER):
                push_post(post["id"], author, after=None, page=len(followers))
            print(f"  {len(followers)} followers, {FOLLOWERS} connected (one page of {len(followers)}): "
                  f"{_calls(calls.take())}")
        finally:
            clients.close()


if __name__ == "__main__":
    main()
