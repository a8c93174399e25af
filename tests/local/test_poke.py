"""Events are carried by moto's poke, not by the pump's idle poll.

The platform here polls an idle source only every 60 s; each event below is
awaited with a deadline far below that, after every source has polled empty
and gone idle, so its arrival proves the poke woke the pump. How fast the
hops are is measured by ``make bench`` (``benchmarks/hops.py``), not here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from benchmarks.hop_app import ARRIVALS, EVENTS, MANIFEST, PostModel, app
from local.platform import LocalPlatform

IDLE_INTERVAL = 60.0
DEADLINE = 10.0  # well below IDLE_INTERVAL: an arrival in time was not the idle poll's doing


@pytest.fixture(scope="module")
def idle_pump() -> Iterator[LocalPlatform]:
    # moto's backends are process-wide: keep the package platform's (no reset), own prefix.
    with LocalPlatform(port=0, app=app, manifest=MANIFEST, prefix="poke-", idle_interval=IDLE_INTERVAL,
                       reset_on_stop=False) as platform:
        yield platform
    ARRIVALS.clear()


@pytest.fixture()
def idle(idle_pump: LocalPlatform) -> LocalPlatform:
    """The platform once every source has polled empty: each now waits for a poke or IDLE_INTERVAL."""
    idle_pump.pump.drain(DEADLINE)
    return idle_pump


def test_a_dynamodb_write_wakes_the_stream_handler(idle: LocalPlatform) -> None:
    PostModel(pk="write-1").save()

    ARRIVALS.wait("stream:write-1", DEADLINE)


def test_an_sns_publish_wakes_the_subscribed_queue_handler(idle: LocalPlatform) -> None:
    topic_arn = idle.provisioned.topics[EVENTS.name].arn  # type: ignore[union-attr]
    idle.clients.sns.publish(TopicArn=topic_arn, Message=json.dumps({"post": "publish-1"}),
                             MessageAttributes={"type": {"DataType": "String", "StringValue": "post.created"}})

    ARRIVALS.wait("sqs:publish-1", DEADLINE)


def test_a_handlers_own_publish_wakes_the_next_hop(idle: LocalPlatform) -> None:
    # The stream handler publishes with its own client: moto pokes for that request too.
    PostModel(pk="chain-1").save()

    ARRIVALS.wait("stream:chain-1", DEADLINE)
    ARRIVALS.wait("sqs:chain-1", DEADLINE)
