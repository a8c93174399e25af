"""The event pump delivers to the fixture app's handlers in Lambda's event shapes, with Lambda's retry rules."""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from local.platform import LocalPlatform
from tests.local import fixture_app
from tests.local.conftest import FakeClock
from tests.local.fixture_app import Recorder


def _send(platform: LocalPlatform, queue: str, body: str, **extra: object) -> str:
    url = platform.provisioned.queues[queue].url  # type: ignore[union-attr]
    return str(platform.clients.sqs.send_message(QueueUrl=url, MessageBody=body, **extra)["MessageId"])


def _messages_left(platform: LocalPlatform, queue: str) -> int:
    """Messages the queue still holds, visible, in flight or delayed: what could still be delivered."""
    url = platform.provisioned.queues[queue].url  # type: ignore[union-attr]
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
             "ApproximateNumberOfMessagesDelayed"]
    attributes = platform.clients.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    return sum(int(attributes[name]) for name in names)


def _dlq_bodies(platform: LocalPlatform, queue: str) -> list[str]:
    url = platform.provisioned.queues[queue].dlq_url  # type: ignore[union-attr]
    answer = platform.clients.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)
    return [m["Body"] for m in answer.get("Messages", [])]


def test_sqs_message_reaches_its_handler_in_the_lambda_shape(platform: LocalPlatform, recorder: Recorder) -> None:
    message_id = _send(platform, "jobs", '{"job": 1}',
                       MessageAttributes={"kind": {"DataType": "String", "StringValue": "resize"}})

    [event] = recorder.wait("take_jobs", 1)

    [record] = event["Records"]
    queue = platform.provisioned.queues["jobs"]  # type: ignore[union-attr]
    assert record["messageId"] == message_id
    assert record["body"] == '{"job": 1}'
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == queue.arn
    assert record["awsRegion"] == "us-east-1"
    assert record["receiptHandle"]
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert record["messageAttributes"]["kind"]["stringValue"] == "resize"
    assert record["messageAttributes"]["kind"]["dataType"] == "String"
    platform.pump.drain(5)
    assert platform.clients.sqs.receive_message(QueueUrl=queue.url).get("Messages") is None, "not deleted"


def test_failing_handler_sends_the_message_to_the_dlq_after_max_receives(
        platform: LocalPlatform, recorder: Recorder, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, logger="local.pump")
    message_id = _send(platform, "flaky", "doomed")
    max_receives = fixture_app.FLAKY.max_receives

    recorder.wait("always_fails", max_receives - 1)
    assert _dlq_bodies(platform, "flaky") == [], "moved to the dead-letter queue too early"

    platform.pump.wait_for(lambda: _dlq_bodies(platform, "flaky") == ["doomed"], timeout=10)
    assert platform.pump.attempts(message_id) == max_receives
    assert len(recorder.events("always_fails")) == max_receives
    receive_counts = [e["Records"][0]["attributes"]["ApproximateReceiveCount"]
                      for e in recorder.events("always_fails")]
    assert receive_counts == [str(n) for n in range(1, max_receives + 1)]
    assert any("always_fails" in r.getMessage() and r.exc_info for r in caplog.records)

    # the pump survived the failures
    _send(platform, "jobs", "still alive")
    assert recorder.wait("take_jobs", 1)[0]["Records"][0]["body"] == "still alive"


def test_batch_item_failures_retry_only_those_records(platform: LocalPlatform, recorder: Recorder) -> None:
    url = platform.provisioned.queues["partial"].url  # type: ignore[union-attr]
    bodies = ["good-0", "good-1", "bad-2", "good-3", "bad-4", "good-5"]
    sent = platform.clients.sqs.send_message_batch(
        QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": body} for i, body in enumerate(bodies)])["Successful"]
    ids = {bodies[int(entry["Id"])]: entry["MessageId"] for entry in sent}

    platform.pump.wait_for(lambda: all(platform.pump.attempts(ids[b]) >= 1 for b in bodies)
                           and all(platform.pump.attempts(ids[b]) >= 2 for b in bodies if b.startswith("bad")))
    # Every message deleted (none in flight either): nothing is left that could come back.
    platform.pump.wait_for(lambda: _messages_left(platform, "partial") == 0)

    assert {b: platform.pump.attempts(ids[b]) for b in bodies} == {
        b: 2 if b.startswith("bad") else 1 for b in bodies}
    partial = [d for d in platform.pump.deliveries("fails_some") if d.outcome == "partial"]
    assert partial, "no batch reported failures"
    assert set(partial[0].failed) <= {ids["bad-2"], ids["bad-4"]}
    assert len(partial[0].ids) > len(partial[0].failed), "the failures came alone; nothing proves the rest was kept"
    assert _dlq_bodies(platform, "partial") == []


def test_s3_upload_reaches_its_handler_with_bucket_and_key(platform: LocalPlatform, recorder: Recorder) -> None:
    bucket = platform.provisioned.buckets["uploads"].name  # type: ignore[union-attr]
    platform.clients.s3.put_object(Bucket=bucket, Key="photos/a b+c.jpg", Body=b"\xff\xd8 jpeg")

    [event] = recorder.wait("uploaded", 1)
    platform.pump.drain(5)

    assert len(recorder.events("uploaded")) == 1, "the s3:TestEvent must not reach the handler"
    assert event["bucket"] == bucket
    assert event["key"] == "photos/a b+c.jpg"
    [record] = event["raw"]["Records"]
    assert record["eventSource"] == "aws:s3"
    assert record["eventName"] == "ObjectCreated:Put"
    assert record["s3"]["object"]["key"] == "photos/a+b%2Bc.jpg"  # URL-encoded as S3 sends it
    assert record["s3"]["object"]["size"] == 7
    assert record["s3"]["bucket"]["arn"] == f"arn:aws:s3:::{bucket}"


def test_sns_publish_reaches_its_handler(platform: LocalPlatform, recorder: Recorder) -> None:
    topic_arn = platform.provisioned.topics["news"].arn  # type: ignore[union-attr]
    message_id = platform.clients.sns.publish(
        TopicArn=topic_arn, Message='{"headline": "hi"}', Subject="daily",
        MessageAttributes={"lang": {"DataType": "String", "StringValue": "en"}})["MessageId"]

    [event] = recorder.wait("news", 1)

    assert event["message"] == '{"headline": "hi"}'
    assert event["subject"] == "daily"
    [record] = event["raw"]["Records"]
    assert record["EventSource"] == "aws:sns"
    assert record["Sns"]["TopicArn"] == topic_arn
    assert record["Sns"]["MessageId"] == message_id
    assert record["Sns"]["MessageAttributes"] == {"lang": {"Type": "String", "Value": "en"}}
    assert record["EventSubscriptionArn"].startswith(topic_arn + ":")


def test_dynamodb_write_reaches_the_stream_handler(platform: LocalPlatform, recorder: Recorder) -> None:
    before = time.time()
    fixture_app.ItemModel(pk="item-1", value=1).save()
    fixture_app.ItemModel(pk="item-1", value=2).save()

    recorder.wait("item_changes", 1)
    platform.pump.wait_for(lambda: sum(len(e["Records"]) for e in recorder.events("item_changes")) == 2)

    records = [r for e in recorder.events("item_changes") for r in e["Records"]]
    insert, modify = records
    table = platform.provisioned.tables["pump-items"]  # type: ignore[union-attr]
    assert insert["eventName"] == "INSERT"
    assert insert["eventSource"] == "aws:dynamodb"
    assert insert["eventSourceARN"] == table.stream_arn
    assert insert["dynamodb"]["Keys"] == {"pk": {"S": "item-1"}}
    assert insert["dynamodb"]["NewImage"] == {"pk": {"S": "item-1"}, "value": {"N": "1"}}
    assert "OldImage" not in insert["dynamodb"]
    created = insert["dynamodb"]["ApproximateCreationDateTime"]
    assert isinstance(created, float) and before - 2 <= created <= time.time() + 1  # epoch seconds
    assert modify["eventName"] == "MODIFY"
    assert modify["dynamodb"]["OldImage"]["value"] == {"N": "1"}
    assert modify["dynamodb"]["NewImage"]["value"] == {"N": "2"}


def test_stream_records_keep_flowing_after_a_cancelled_transaction(platform: LocalPlatform,
                                                                     recorder: Recorder) -> None:
    # moto rolls a cancelled transaction back by swapping in a copy of the table,
    # stream shard included: the pump must not be left reading the old shard.
    fixture_app.ItemModel(pk="exists").save()
    recorder.wait("item_changes", 1)
    dynamodb = boto3.client("dynamodb")
    table = platform.provisioned.tables["pump-items"].name  # type: ignore[union-attr]
    with pytest.raises(dynamodb.exceptions.TransactionCanceledException):
        dynamodb.transact_write_items(TransactItems=[{"Put": {
            "TableName": table, "Item": {"pk": {"S": "exists"}}, "ConditionExpression": "attribute_not_exists(pk)"}}])
    fixture_app.ItemModel(pk="after-cancel").save()

    platform.pump.wait_for(lambda: any(r["dynamodb"]["Keys"] == {"pk": {"S": "after-cancel"}}
                                       for e in recorder.events("item_changes") for r in e["Records"]))
    keys = [r["dynamodb"]["Keys"]["pk"]["S"] for e in recorder.events("item_changes") for r in e["Records"]]
    assert keys == ["exists", "after-cancel"]


def test_failing_stream_batch_is_retried_then_skipped(platform: LocalPlatform, recorder: Recorder) -> None:
    fixture_app.ItemModel(pk="poison").save()
    attempts = 1 + platform.pump.stream_retries

    recorder.wait("item_changes", attempts)
    fixture_app.ItemModel(pk="after-poison").save()
    events = recorder.wait("item_changes", attempts + 1)

    assert [e["Records"][0]["dynamodb"]["Keys"]["pk"]["S"] for e in events] == ["poison"] * attempts + ["after-poison"]
    outcomes = [d.outcome for d in platform.pump.deliveries("item_changes")]
    assert outcomes[-attempts - 1:] == ["error"] * attempts + ["ok"]


def test_fire_runs_a_schedule_handler_now(platform: LocalPlatform, recorder: Recorder) -> None:
    assert platform.pump.fire("at_noon") == "noon done"

    [event] = recorder.events("at_noon")
    assert event["detail-type"] == "Scheduled Event"
    assert event["source"] == "aws.events"
    assert event["detail"] == {}
    assert event["resources"] == ["arn:aws:events:us-east-1:123456789012:rule/pumptest-at_noon"]
    with pytest.raises(LookupError):
        platform.pump.fire("take_jobs")


def test_schedules_fire_by_the_pump_clock(platform: LocalPlatform, recorder: Recorder, clock: FakeClock) -> None:
    platform.pump.drain(5)
    assert recorder.events("every_minute") == []

    clock.advance(timedelta(minutes=1))
    [event] = recorder.wait("every_minute", 1)
    platform.pump.drain(5)
    assert recorder.events("at_noon") == [], "the noon cron fired at half past nine"

    now = clock()
    clock.set(datetime(now.year, now.month, now.day, 12, 0, 5, tzinfo=UTC))
    [noon] = recorder.wait("at_noon", 1)
    assert noon["time"].endswith("T12:00:00Z")
    assert event["detail-type"] == "Scheduled Event"
    platform.pump.drain(5)
    assert len(recorder.events("at_noon")) == 1, "fired twice in one minute"


def test_pump_records_every_delivery(platform: LocalPlatform, recorder: Recorder) -> None:
    message_id = _send(platform, "jobs", json.dumps({"n": 1}))
    recorder.wait("take_jobs", 1)
    platform.pump.drain(5)
    [delivery] = [d for d in platform.pump.deliveries("take_jobs") if message_id in d.ids]
    assert delivery.outcome == "ok"
    assert delivery.source == "sqs"
