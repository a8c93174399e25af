"""The notifications topic's channel filters on the local platform: moto's SNS delivers to SQS by ``channels``.

A throwaway manifest declares the topic and one queue per delivery channel (the real channel queues
belong to the channel helpers); the message is built by the notifications publisher itself.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.core.declarations import Manifest, Queue, Subscription, Topic
from chalicelib.notifications.publisher import message
from chalicelib.notifications.views import Notification
from local.aws import MotoServer
from local.clients import Clients
from local.provision import Provisioned, provision

TOPIC = Topic("notifications")
QUEUES = {channel: Queue(f"notify-{channel}", subscriptions=(Subscription(TOPIC, channels=(channel,)),))
          for channel in ("email", "push", "realtime")}
MANIFEST = Manifest(queues=tuple(QUEUES.values()), topics=(TOPIC,))


@pytest.fixture(scope="module")
def provisioned() -> Iterator[tuple[Clients, Provisioned]]:
    server = MotoServer().start()
    clients = Clients(server.endpoint, "us-east-1")
    try:
        yield clients, provision(MANIFEST, clients, prefix="channeltest-")
    finally:
        clients.close()
        server.stop()


def _notification(type_: str = "like") -> Notification:
    at = datetime(2026, 11, 30, 10, tzinfo=UTC)
    return Notification(id="YW5uL2xpa2UjUDE", type=type_, actor="ben", actors=["ben"], count=1, post_id="P1",
                        read=False, created_at=at, updated_at=at)


def _received(clients: Clients, provisioned: Provisioned, channel: str) -> list[dict[str, Any]]:
    url = provisioned.queues[f"notify-{channel}"].url
    answer = clients.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0,
                                         MessageAttributeNames=["All"])
    for m in answer.get("Messages", []):
        clients.sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return list(answer.get("Messages", []))


def test_the_subscriptions_filter_on_channels(provisioned: tuple[Clients, Provisioned]) -> None:
    clients, done = provisioned
    for subscription in done.subscriptions:
        attributes = clients.sns.get_subscription_attributes(SubscriptionArn=subscription.arn)["Attributes"]
        channel = subscription.queue.removeprefix("notify-")
        assert json.loads(attributes["FilterPolicy"]) == {"channels": [channel]}
        assert subscription.describe() == f"-> queue notify-{channel} (raw, channels in {channel})"


def test_a_message_for_email_and_realtime_reaches_those_queues_and_not_push(
        provisioned: tuple[Clients, Provisioned]) -> None:
    clients, done = provisioned
    arguments = message("ann", _notification(), "evt-1", frozenset({"in_app", "email", "realtime"}))
    assert arguments["MessageAttributes"]["channels"] == {"DataType": "String.Array",
                                                          "StringValue": '["email", "realtime"]'}
    clients.sns.publish(TopicArn=done.topics["notifications"].arn, **arguments)

    for channel in ("email", "realtime"):
        [received] = _received(clients, done, channel)
        body = json.loads(received["Body"])  # raw delivery: the published body itself
        assert (body["recipient"], body["event_id"], body["notification"]["id"]) == ("ann", "evt-1", "YW5uL2xpa2UjUDE")
        assert received["MessageAttributes"]["type"]["StringValue"] == "like"
    assert _received(clients, done, "push") == []


def test_no_delivery_channel_means_nothing_to_publish() -> None:
    assert message("ann", _notification(), "evt-2", frozenset({"in_app"})) == {}
