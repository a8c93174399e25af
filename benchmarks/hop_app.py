"""A small app with one event path of each kind, recording when each event reaches its handler.

A table with a stream whose handler publishes ``post.created`` on a topic, and
a queue subscribed to that topic. ``benchmarks/hops.py`` times the hops;
``tests/local/test_poke.py`` checks that the pump's poke, not its idle poll,
carries them.

Usage::

    with LocalPlatform(port=0, app=app, manifest=MANIFEST, prefix="hops-") as platform:
        PostModel(pk="chain-1").save()
        ARRIVALS.wait("sqs:chain-1")          # perf_counter() when the queue handler got it
"""

from __future__ import annotations

import json
import sys
import threading
import time

from local import RUNTIME_DIR

if str(RUNTIME_DIR) not in sys.path:  # importing local already did it; the runtime imports below need it
    sys.path.insert(0, str(RUNTIME_DIR))

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
    physical_name,
    table_name_for,
    uses,
)


class PostModel(Model):
    class Meta:
        logical_name = "hop-posts"
        table_name = table_name_for(logical_name)
        region = aws_region()

    pk = UnicodeAttribute(hash_key=True)


POSTS = Table.of(PostModel, stream="NEW_AND_OLD_IMAGES")
EVENTS = Topic("hop-events")
TIMELINE = Queue("hop-timeline", subscriptions=(Subscription(EVENTS, types=("post.created",)),))
MANIFEST = Manifest(tables=(POSTS,), queues=(TIMELINE,), topics=(EVENTS,))


class Arrivals:
    """When (``time.perf_counter()``) each keyed event reached its handler; ``wait`` wakes on arrival."""

    def __init__(self) -> None:
        self._arrived = threading.Condition()
        self._at: dict[str, float] = {}

    def arrive(self, key: str) -> None:
        with self._arrived:
            self._at[key] = time.perf_counter()
            self._arrived.notify_all()

    def wait(self, key: str, timeout: float = 10.0) -> float:
        with self._arrived:
            if not self._arrived.wait_for(lambda: key in self._at, timeout):
                raise TimeoutError(f"{key} did not arrive within {timeout} s")
            return self._at[key]

    def clear(self) -> None:
        with self._arrived:
            self._at.clear()


ARRIVALS = Arrivals()
app = Chalice(app_name="hops")


@app.on_dynamodb_record(stream_arn=POSTS.name)
@uses(EVENTS.publish())
def post_changes(event: DynamoDBEvent) -> None:
    """Records the arrival; for keys starting "chain", publishes ``post.created`` as the outbox handlers do."""
    import boto3  # the app's own client: a request the pump did not make, so moto pokes the pump

    for record in event:
        pk = record.keys["pk"]["S"]
        ARRIVALS.arrive(f"stream:{pk}")
        if pk.startswith("chain"):
            boto3.client("sns").publish(TopicArn=physical_name(EVENTS), Message=json.dumps({"post": pk}),
                                        MessageAttributes={"type": {"DataType": "String",
                                                                    "StringValue": "post.created"}})


@app.on_sqs_message(queue=TIMELINE.name)
def timeline(event: SQSEvent) -> None:
    for record in event:
        ARRIVALS.arrive(f"sqs:{json.loads(record.body)['post']}")
