"""Queues subscribed to a topic: raw delivery, filtered on the ``type`` message attribute by moto itself."""

from __future__ import annotations

import json
from typing import Any

from local.platform import LocalPlatform
from tests.local import fixture_app
from tests.local.fixture_app import Recorder


def _publish(platform: LocalPlatform, message: dict[str, Any], event_type: str | None) -> str:
    topic_arn = platform.provisioned.topics["events"].arn  # type: ignore[union-attr]
    attributes = {"type": {"DataType": "String", "StringValue": event_type}} if event_type else {}
    return str(platform.clients.sns.publish(TopicArn=topic_arn, Message=json.dumps(message),
                                            MessageAttributes=attributes)["MessageId"])


def _records(recorder: Recorder, handler: str) -> list[dict[str, Any]]:
    return [record for event in recorder.events(handler) for record in event["Records"]]


def test_subscriptions_are_raw_and_filtered_as_declared(platform: LocalPlatform) -> None:
    provisioned = platform.provisioned
    assert provisioned is not None
    by_queue = {s.queue: s for s in provisioned.subscriptions}
    assert set(by_queue) == {"post-events", "all-events"}
    for queue in ("post-events", "all-events"):
        attributes = platform.clients.sns.get_subscription_attributes(
            SubscriptionArn=by_queue[queue].arn)["Attributes"]
        assert attributes["TopicArn"] == provisioned.topics["events"].arn
        assert attributes["Endpoint"] == provisioned.queues[queue].arn
        assert attributes["RawMessageDelivery"] == "true"
        policy = json.loads(attributes["FilterPolicy"]) if attributes.get("FilterPolicy") else None
        assert policy == fixture_app.MANIFEST.queue(queue).subscriptions[0].filter_policy()
    assert by_queue["post-events"].declaration.filter_policy() == {"type": ["post.created", "post.deleted"]}
    assert by_queue["all-events"].declaration.filter_policy() is None


def test_a_type_in_the_filter_reaches_the_queue_handler_with_the_raw_message(
        platform: LocalPlatform, recorder: Recorder) -> None:
    message = {"type": "post.created", "post_id": "p1", "author": "alice"}
    _publish(platform, message, "post.created")

    recorder.wait("post_events", 1)
    [record] = _records(recorder, "post_events")

    assert json.loads(record["body"]) == message  # the published message itself, no SNS envelope
    assert record["body"] == json.dumps(message)
    assert record["messageAttributes"]["type"]["stringValue"] == "post.created"
    assert record["eventSourceARN"] == platform.provisioned.queues["post-events"].arn  # type: ignore[union-attr]
    recorder.wait("all_events", 1)


def test_a_type_outside_the_filter_does_not_reach_the_filtered_queue(
        platform: LocalPlatform, recorder: Recorder) -> None:
    _publish(platform, {"type": "like.created", "post_id": "p1"}, "like.created")
    _publish(platform, {"untyped": True}, None)

    recorder.wait("all_events", 1)
    platform.pump.wait_for(lambda: len(_records(recorder, "all_events")) == 2)
    platform.pump.drain(5)

    assert recorder.events("post_events") == []
    for url in (platform.provisioned.queues["post-events"].url,  # type: ignore[union-attr]
                platform.provisioned.queues["post-events"].dlq_url):  # type: ignore[union-attr]
        assert "Messages" not in platform.clients.sqs.receive_message(QueueUrl=url, VisibilityTimeout=0)


def test_a_queue_without_types_gets_every_message(platform: LocalPlatform, recorder: Recorder) -> None:
    kinds = ["post.created", "post.deleted", "like.created", None]
    for n, kind in enumerate(kinds):
        _publish(platform, {"n": n}, kind)

    platform.pump.wait_for(lambda: len(_records(recorder, "all_events")) == len(kinds))
    platform.pump.wait_for(lambda: len(_records(recorder, "post_events")) == 2)
    platform.pump.drain(5)

    everything = _records(recorder, "all_events")
    assert sorted(json.loads(r["body"])["n"] for r in everything) == [0, 1, 2, 3]
    assert {r["messageAttributes"].get("type", {}).get("stringValue") for r in everything} == set(kinds)
    assert sorted(json.loads(r["body"])["n"] for r in _records(recorder, "post_events")) == [0, 1]
