"""Events are carried by moto's poke, not by the pump's idle poll.

The platform here polls an idle source only every 60 s; each event below is
awaited with a deadline far below that, after every source has polled empty
and gone idle, so its arrival proves the poke woke the pump. How fast the
hops are is measured by ``make bench`` (``benchmarks/hops.py``), not here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
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


def _pokes(platform: LocalPlatform) -> dict[str, int]:
    return {worker.name: worker.pokes for worker in platform.pump.threads}  # type: ignore[attr-defined]


def test_a_write_wakes_only_the_sources_it_can_feed(idle: LocalPlatform) -> None:
    # A handler's writes to a table nobody streams, a send to a queue nobody reads, a publish to a topic no
    # source hears and a secret wake no source: before, each of them set every source polling moto.
    quiet, region = idle.clients, idle.clients.region
    loud = {service: boto3.client(service, endpoint_url=idle.aws_endpoint, region_name=region)
            for service in ("dynamodb", "sqs", "sns", "secretsmanager")}
    quiet.dynamodb.create_table(TableName="poke-unstreamed", BillingMode="PAY_PER_REQUEST",
                                KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                                AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    unread = quiet.sqs.create_queue(QueueName="poke-unread")["QueueUrl"]
    unheard = quiet.sns.create_topic(Name="poke-unheard")["TopicArn"]
    before = _pokes(idle)

    loud["dynamodb"].put_item(TableName="poke-unstreamed", Item={"pk": {"S": "1"}})
    loud["dynamodb"].transact_write_items(TransactItems=[{"Put": {"TableName": "poke-unstreamed",
                                                                  "Item": {"pk": {"S": "2"}}}}])
    loud["sqs"].send_message(QueueUrl=unread, MessageBody="nobody reads this")
    loud["sns"].publish(TopicArn=unheard, Message="nobody hears this")
    loud["secretsmanager"].create_secret(Name="poke-secret", SecretString="s")

    assert _pokes(idle) == before
    # The same kinds of write to what a source does read wake that source, and only it.
    topic_arn = idle.provisioned.topics[EVENTS.name].arn  # type: ignore[union-attr]
    loud["sns"].publish(TopicArn=topic_arn, Message=json.dumps({"post": "targeted-1"}),
                        MessageAttributes={"type": {"DataType": "String", "StringValue": "post.created"}})
    woken = {name for name, count in _pokes(idle).items() if count != before[name]}
    assert len(woken) == 1 and "sqs" in next(iter(woken)), woken
    ARRIVALS.wait("sqs:targeted-1", DEADLINE)
