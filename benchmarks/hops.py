"""Event hops on the local platform: how long an event takes to reach its handler.

* DynamoDB write -> stream handler, SNS publish -> subscribed queue handler, and
  write -> stream handler -> publish -> queue handler, on ``benchmarks/hop_app``
  with the pump's idle poll at 5 s (so only moto's poke can make them fast);
* with the real app: a post -> the follower's feed (POST /v1/posts answered to
  the first GET /v1/feed that lists it, the feed read in a tight loop).

Usage::

    python -m benchmarks.hops
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import requests

from benchmarks.hop_app import ARRIVALS, EVENTS, MANIFEST, PostModel, app
from local.platform import LocalPlatform

IDLE_INTERVAL = 5.0
SAMPLES = 20
FEED_SAMPLES = 10


def _report(name: str, seconds: list[float]) -> None:
    ordered = sorted(seconds)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    print(f"  {name:<52} median {statistics.median(ordered) * 1000:6.1f} ms, p95 {p95 * 1000:6.1f} ms, "
          f"max {ordered[-1] * 1000:6.1f} ms over {len(ordered)}")


def _hop(platform: LocalPlatform, send: Callable[[str], object], arrival: str) -> list[float]:
    delays = []
    for n in range(SAMPLES):
        platform.pump.drain(10)  # every source idle again: the next event must be poked through
        key = f"{uuid.uuid4().hex[:8]}-{n}"
        began = time.perf_counter()
        send(key)
        delays.append(ARRIVALS.wait(arrival.format(key=key)) - began)
    return delays


def event_hops() -> None:
    with LocalPlatform(port=0, app=app, manifest=MANIFEST, prefix="hops-", idle_interval=IDLE_INTERVAL) as platform:
        topic_arn = platform.provisioned.topics[EVENTS.name].arn  # type: ignore[union-attr]

        def publish(key: str) -> None:
            platform.clients.sns.publish(TopicArn=topic_arn, Message=json.dumps({"post": key}), MessageAttributes={
                "type": {"DataType": "String", "StringValue": "post.created"}})

        PostModel(pk="chain-warm-up").save()  # PynamoDB's first request builds its client
        ARRIVALS.wait("sqs:chain-warm-up")
        print(f"event hops (pump idle poll {IDLE_INTERVAL:.0f} s; moto's poke carries them):")
        _report("DynamoDB write -> stream handler",
                _hop(platform, lambda key: PostModel(pk=f"write-{key}").save(), "stream:write-{key}"))
        _report("SNS publish -> subscribed SQS handler", _hop(platform, publish, "sqs:{key}"))
        _report("write -> stream handler -> publish -> SQS handler",
                _hop(platform, lambda key: PostModel(pk=f"chain-{key}").save(), "sqs:chain-{key}"))
    ARRIVALS.clear()


def _user(base: str, session: requests.Session) -> tuple[str, dict[str, str]]:
    name = f"hop_{uuid.uuid4().hex[:10]}"
    body = {"username": name, "email": f"{name}@example.org", "password": "Correct-horse-42"}
    assert session.post(f"{base}/v1/auth/register", json=body, timeout=10).status_code == 201
    tokens = session.post(f"{base}/v1/auth/login", json={"username": name, "password": body["password"]},
                          timeout=10).json()
    return name, {"Authorization": f"Bearer {tokens['access_token']}"}


def feed_hop() -> None:
    with tempfile.TemporaryDirectory() as scratch, \
            LocalPlatform(port=0, sqlite_file=Path(scratch) / "ledger.db", admin=False) as platform:
        base, session = platform.url, requests.Session()
        author, author_auth = _user(base, session)
        _, follower_auth = _user(base, session)
        assert session.put(f"{base}/v1/users/{author}/follow", headers=follower_auth, timeout=10).status_code == 200
        delays = []
        for n in range(FEED_SAMPLES + 1):  # the first one warms the handlers' imports and clients up
            post = session.post(f"{base}/v1/posts", json={"content": f"hop {n}"}, headers=author_auth, timeout=10)
            assert post.status_code == 201, post.text
            began, post_id = time.perf_counter(), post.json()["id"]
            while time.perf_counter() - began < 30:
                feed = session.get(f"{base}/v1/feed", params={"limit": 5}, headers=follower_auth, timeout=10)
                if any(item["id"] == post_id for item in feed.json()["items"]):
                    delays.append(time.perf_counter() - began)
                    break
            else:
                raise TimeoutError(f"post {post_id} never reached the follower's feed")
        print("with the real app (pump idle poll 1 s):")
        _report("POST /v1/posts -> in the follower's GET /v1/feed", delays[1:])


def main() -> None:
    event_hops()
    feed_hop()


if __name__ == "__main__":
    main()
