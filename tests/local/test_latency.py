"""Events reach their handlers within milliseconds because moto pokes the pump, not because the pump spins.

The platform here polls an idle source only every 5 s: every hop below
completing well under a second proves the poke, not the poll interval, moved it.
The figures are printed (``pytest -s``).
"""

from __future__ import annotations

import json
import statistics
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from chalice.app import Chalice, DynamoDBEvent, SQSEvent
from pynamodb.attributes import UnicodeAttribute
from pynamodb.models import Model

from chalicelib.core.declarations import (
    Manifest,
    Queue,
    Subscription,
    Table,
    Topic,
    aws_region,
    table_name_for,
    uses,
)
from local.platform import LocalPlatform

IDLE_INTERVAL = 5.0
HOP_LIMIT_SECONDS = 0.5
SAMPLES = 5


class PostModel(Model):
    class Meta:
        logical_name = "latency-posts"
        table_name = table_name_for(logical_name)
        region = aws_region()

    pk = UnicodeAttribute(hash_key=True)


POSTS = Table(PostModel, stream="NEW_AND_OLD_IMAGES")
EVENTS = Topic("latency-events")
TIMELINE = Queue("latency-timeline", subscriptions=(Subscription(EVENTS, types=("post.created",)),))

app = Chalice(app_name="latency")
arrivals: dict[str, float] = {}
arrived = threading.Condition()


def _arrive(key: str) -> None:
    with arrived:
        arrivals[key] = time.perf_counter()
        arrived.notify_all()


def _wait(key: str, timeout: float = 5.0) -> float:
    with arrived:
        if not arrived.wait_for(lambda: key in arrivals, timeout):
            raise TimeoutError(f"{key} did not arrive within {timeout}s")
        return arrivals[key]


@app.on_dynamodb_record(stream_arn=POSTS.name)
@uses(EVENTS.publish())  # the local platform enforces grants as AWS would
def post_changes(event: DynamoDBEvent) -> None:
    """Records the arrival and publishes ``post.created``, as the runtime's outbox handlers will."""
    import boto3  # the app's own client: a request the pump did not make, so moto pokes the pump

    topic_arn = app_state["topic_arn"]
    for record in event:
        pk = record.keys["pk"]["S"]
        _arrive(f"stream:{pk}")
        if pk.startswith("chain"):
            boto3.client("sns").publish(TopicArn=topic_arn, Message=json.dumps({"post": pk}), MessageAttributes={
                "type": {"DataType": "String", "StringValue": "post.created"}})


@app.on_sqs_message(queue=TIMELINE.name)
def timeline(event: SQSEvent) -> None:
    for record in event:
        _arrive(f"sqs:{json.loads(record.body)['post']}")


app_state: dict[str, Any] = {}


@pytest.fixture(scope="module")
def slow_polling() -> Iterator[LocalPlatform]:
    # moto's backends are process-wide: keep the package platform's (no reset), own prefix.
    with LocalPlatform(port=0, app=app, manifest=Manifest(tables=(POSTS,), queues=(TIMELINE,), topics=(EVENTS,)),
                       prefix="latency-", idle_interval=IDLE_INTERVAL, reset_on_stop=False) as platform:
        app_state["topic_arn"] = platform.provisioned.topics[EVENTS.name].arn  # type: ignore[union-attr]
        time.sleep(0.2)  # every source has made its first (empty) poll and sleeps for IDLE_INTERVAL
        yield platform
    arrivals.clear()
    app_state.clear()


def _report(name: str, seconds: list[float]) -> None:
    print(f"\n{name}: median {statistics.median(seconds) * 1000:.1f} ms, max {max(seconds) * 1000:.1f} ms "
          f"over {len(seconds)} (idle poll interval {IDLE_INTERVAL:.0f} s)")
    assert max(seconds) < HOP_LIMIT_SECONDS, seconds


def test_a_dynamodb_write_reaches_the_stream_handler_at_once(slow_polling: LocalPlatform) -> None:
    PostModel(pk="warm-up").save()  # PynamoDB's first request builds its client: not the pump's delay
    delays = []
    for n in range(SAMPLES):
        time.sleep(0.1)  # let the pump go idle again
        written = time.perf_counter()
        PostModel(pk=f"write-{n}").save()
        delays.append(_wait(f"stream:write-{n}") - written)
    _report("DynamoDB write -> stream handler", delays)


def test_an_sns_publish_reaches_the_subscribed_queue_handler_at_once(slow_polling: LocalPlatform) -> None:
    topic_arn = slow_polling.provisioned.topics[EVENTS.name].arn  # type: ignore[union-attr]
    delays = []
    for n in range(SAMPLES):
        time.sleep(0.1)
        published = time.perf_counter()
        slow_polling.clients.sns.publish(TopicArn=topic_arn, Message=json.dumps({"post": f"publish-{n}"}),
                                         MessageAttributes={"type": {"DataType": "String",
                                                                     "StringValue": "post.created"}})
        delays.append(_wait(f"sqs:publish-{n}") - published)
    _report("SNS publish -> subscribed SQS handler", delays)


def test_a_write_reaches_the_queue_handler_through_stream_and_topic(slow_polling: LocalPlatform) -> None:
    PostModel(pk="chain-warm-up").save()
    _wait("sqs:chain-warm-up")
    delays = []
    for n in range(SAMPLES):
        time.sleep(0.1)
        written = time.perf_counter()
        PostModel(pk=f"chain-{n}").save()
        delays.append(_wait(f"sqs:chain-{n}") - written)
    _report("write -> stream handler -> publish -> SQS handler", delays)
