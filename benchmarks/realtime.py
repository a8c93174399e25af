"""Feed pushes on the local platform: from a post to each of 500 connected followers' WebSocket.

The real app in-process (``LocalPlatform``, grants enforced). 500 followers are connected with real
WebSocket clients (tokens signed with moto's pool key, as Cognito's would be); the author posts over
HTTP, and each client notes when the ``{"type": "post"}`` frame arrives. Printed per post: p50, p95
and max (the last follower) of those delays, and the AWS calls the push made, by operation. A second
run adds followers who are not connected: the lookups grow by pages of 100, the posts not at all.

Usage::

    python -m benchmarks.realtime
"""

from __future__ import annotations

import asyncio
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
from websockets.asyncio.client import ClientConnection, connect

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


class _Clients:
    """Many WebSocket clients on one event loop in a thread; each notes when a post's frame arrives."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.connections: list[ClientConnection] = []
        self.arrivals: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def run(self, coroutine: Any, timeout: float = 300) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    async def _open(self, url: str) -> None:
        connection = await connect(url, open_timeout=60, max_queue=None)
        self.connections.append(connection)
        self.loop.create_task(self._listen(connection))

    async def _listen(self, connection: ClientConnection) -> None:
        async for frame in connection:
            arrived = time.perf_counter()
            message = json.loads(frame)
            if message.get("type") == "post":
                with self._lock:
                    self.arrivals.setdefault(message["data"]["id"], []).append(arrived)

    def open(self, urls: list[str], parallel: int = 10) -> None:
        async def open_all() -> None:
            for start in range(0, len(urls), parallel):
                await asyncio.gather(*(self._open(url) for url in urls[start:start + parallel]))

        self.run(open_all())

    def wait(self, post_id: str, count: int, timeout: float = 60) -> list[float]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.arrivals.get(post_id, [])) >= count:
                    return list(self.arrivals[post_id])
            time.sleep(0.005)
        raise TimeoutError(f"{len(self.arrivals.get(post_id, []))} of {count} followers got post {post_id}")

    def close(self) -> None:
        async def close_all() -> None:
            await asyncio.gather(*(c.close() for c in self.connections), return_exceptions=True)

        self.run(close_all())
        self.loop.call_soon_threadsafe(self.loop.stop)


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
            began = time.perf_counter()
            try:
                return self._original(usernames, message)
            finally:
                self.spans.append((began, time.perf_counter()))

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
        clients = _Clients()
        began = time.perf_counter()
        clients.open([f"{platform.websocket.url}?token={_token(platform, name)}" for name in online])
        print(f"realtime feed push: {FOLLOWERS} followers connected over WebSocket in "
              f"{time.perf_counter() - began:.1f} s")
        try:
            print(f"  {FOLLOWERS} followers, all connected:")
            lasts = []
            for n in range(POSTS):
                platform.pump.drain(120)
                calls.take()
                started = time.perf_counter()
                post = session.post(f"{base}/v1/posts", json={"content": f"post {n}"}, headers=headers,
                                    timeout=30).json()
                delays = [t - started for t in clients.wait(post["id"], FOLLOWERS)]
                lasts.append(max(delays))
                platform.pump.drain(120)
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
