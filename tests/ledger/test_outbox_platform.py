"""The ledger's events reach a queue subscribed to ``domain-events``, through the whole local platform.

The real app on the local platform (moto, the pump, every handler held to the IAM policy the stack
renders for its function) over this module's PostgreSQL database: posts earn coins through the
coin-awards queue, a redemption places an order, and a queue subscribed to the topic with a filter
on ``type`` receives exactly the ledger's events, each once. The pump's clock stands still, so the
every-minute relay runs only when a test fires it: what arrives unasked was published by the
handler that committed it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from chalicelib.core.declarations import Subscription
from chalicelib.events.catalog import DomainEvent
from chalicelib.ledger import outbox
from chalicelib.ledger.db import transaction
from chalicelib.resources import DOMAIN_EVENTS
from local.platform import LocalPlatform
from tests.e2e.conftest import RunningPlatform, register_and_login

LEDGER_TYPES = ("coins.awarded", "order.created")
STOPPED = datetime(2026, 4, 1, 12, 0, 30, tzinfo=UTC)
# Seconds from the request to the event on the queue, through stream, pump, award and relay; the
# schedule's relay would take up to a minute.
PROMPTLY = 10.0


@pytest.fixture(scope="module")
def platform(ledger_url: str) -> Iterator[LocalPlatform]:
    with LocalPlatform(port=0, prefix="outbox-", database_url=ledger_url, visibility_timeout=2,
                       idle_interval=0.25, admin=False, clock=lambda: STOPPED) as running:
        yield running


@pytest.fixture(scope="module")
def queue(platform: LocalPlatform) -> str:
    """A queue of the test's own, subscribed to domain-events as a declared ``Subscription`` would be."""
    clients, provisioned = platform.clients, platform.provisioned
    assert provisioned is not None
    url = clients.sqs.create_queue(QueueName="outbox-test-ledger-events")["QueueUrl"]
    arn = clients.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    policy = Subscription(DOMAIN_EVENTS, types=LEDGER_TYPES).filter_policy()
    clients.sns.subscribe(TopicArn=provisioned.topics[DOMAIN_EVENTS.name].arn, Protocol="sqs", Endpoint=arn,
                          Attributes={"RawMessageDelivery": "true", "FilterPolicy": json.dumps(policy)})
    return str(url)


def _receive(platform: LocalPlatform, url: str, count: int, timeout: float = PROMPTLY) -> list[dict[str, Any]]:
    """``count`` messages from the queue (deleted), then whatever else arrives in the next second."""
    found: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = platform.clients.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                                      MessageAttributeNames=["All"])
        for message in answer.get("Messages", []):
            found.append({"body": json.loads(message["Body"]),
                          "type": message["MessageAttributes"]["type"]["StringValue"]})
            platform.clients.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        if len(found) >= count and not answer.get("Messages"):
            return found
    raise AssertionError(f"{len(found)} of {count} messages after {timeout} s: {found}")


def test_awards_and_an_order_arrive_once_each_on_a_queue_filtered_on_their_types(platform: LocalPlatform,
                                                                                   queue: str) -> None:
    running = RunningPlatform(platform.url, platform.aws_endpoint, Path("/dev/null"))
    ada = register_and_login(running, "ada")
    api = requests.Session()
    api.headers.update(ada.headers)
    for n in range(5):  # 10 coins each: the sticker pack's 50
        assert api.post(f"{platform.url}/v1/posts", json={"content": f"post {n}"}, timeout=20).status_code == 201

    awards = _receive(platform, queue, 5)
    assert [m["type"] for m in awards] == ["coins.awarded"] * 5  # post.created and the rest: filtered out
    assert sorted(m["body"]["data"]["balance"] for m in awards) == [10, 20, 30, 40, 50]
    assert {m["body"]["id"] for m in awards} == {f"coins.awarded:{m['body']['data']['transfer_id']}" for m in awards}
    assert all(m["body"]["actor"] == m["body"]["data"]["user"] == ada.username for m in awards)

    rewards = api.get(f"{platform.url}/v1/rewards", timeout=20).json()["items"]
    sticker = next(r for r in rewards if r["cost"] == 50)
    placed = api.post(f"{platform.url}/v1/rewards/{sticker['id']}/redeem", timeout=20)
    assert placed.status_code == 201, placed.text

    [order] = _receive(platform, queue, 1)
    assert order["type"] == "order.created"
    assert order["body"]["id"] == f"order.created:{placed.json()['id']}"
    assert order["body"]["data"] == {"order_id": placed.json()["id"], "user": ada.username,
                                     "reward_id": sticker["id"], "reward_name": sticker["name"], "cost": 50,
                                     "status": "placed"}


def test_the_scheduled_relay_publishes_what_a_handler_left_behind(platform: LocalPlatform, ledger_url: str,
                                                                  queue: str) -> None:
    left = DomainEvent("coins.awarded:post:left-behind", "coins.awarded", STOPPED.isoformat(), "lena",
                       {"user": "lena", "amount": 10, "reason": "post", "transfer_id": "post:left-behind",
                        "balance": 10})
    with transaction(ledger_url) as session:  # committed, and its handler died before publishing
        outbox.record(session, left)
    with pytest.raises(AssertionError):
        _receive(platform, queue, 1, timeout=2)

    answer = platform.pump.fire("relay_ledger_events")  # as EventBridge would, under the function's own policy

    assert answer["published"] == 1 and answer["failed"] == 0
    [message] = _receive(platform, queue, 1)
    assert (message["type"], message["body"]) == ("coins.awarded", json.loads(left.to_json()))
