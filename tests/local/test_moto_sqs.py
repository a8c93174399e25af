"""moto's SQS as the local platform runs it (``local.moto_sqs``): a backlog is received as SQS would hand it
out (each message once, retention and delays honoured, the counts right), and a receive walks the queue a
constant number of times, not once per attribute per message handed out; and ``local.aws`` dispatches a
request to moto without listing moto's package each time."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import backends
from moto.sqs.models import Message, sqs_backends

from local.aws import ACCOUNT_ID, MotoServer, aws_environment

COUNTS = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
          "ApproximateNumberOfMessagesDelayed"]


@pytest.fixture(scope="module")
def sqs() -> Iterator[tuple[Any, str]]:
    with MotoServer() as moto:
        region = aws_environment(moto.endpoint)["AWS_REGION"]
        session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=region)
        yield session.client("sqs", endpoint_url=moto.endpoint), region


def _queue(client: Any, count: int, **attributes: str) -> str:
    url: str = client.create_queue(QueueName=f"q-{uuid.uuid4().hex[:8]}", Attributes=attributes)["QueueUrl"]
    for start in range(0, count, 10):
        client.send_message_batch(QueueUrl=url, Entries=[
            {"Id": str(n), "MessageBody": f"m{n}"} for n in range(start, min(start + 10, count))])
    return url


def _counts(client: Any, url: str) -> list[int]:
    attributes = client.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return [int(attributes[name]) for name in COUNTS]


def test_a_backlog_is_handed_out_once_each_with_the_counts_right(sqs: tuple[Any, str]) -> None:
    client, _ = sqs
    url = _queue(client, 120)
    client.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=900)
    assert _counts(client, url) == [120, 0, 1]
    bodies: list[str] = []
    while batch := client.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        bodies += [message["Body"] for message in batch]
        assert _counts(client, url) == [120 - len(bodies), len(bodies), 1]
    assert sorted(bodies) == sorted(f"m{n}" for n in range(120))


def test_a_message_past_its_queues_retention_is_not_handed_out(sqs: tuple[Any, str]) -> None:
    client, region = sqs
    url = _queue(client, 3, MessageRetentionPeriod="60")
    queue = sqs_backends[ACCOUNT_ID][region].get_queue(url.rsplit("/", 1)[1])
    now = int(time.time() * 1000)
    queue._messages[1].sent_timestamp = now - 59_000  # type: ignore[assignment]  # 59 s old: still kept
    queue._messages[2].sent_timestamp = now - 61_000  # type: ignore[assignment]  # past the 60 s kept

    answer = client.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)["Messages"]
    assert [message["Body"] for message in answer] == ["m0", "m1"]


def test_a_receive_walks_the_queue_a_constant_number_of_times(sqs: tuple[Any, str],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    client, _ = sqs
    depth = 300
    url = _queue(client, depth)
    checks = 0
    visible = Message.visible.fget  # type: ignore[attr-defined]

    def counted(message: Message) -> bool:
        nonlocal checks
        checks += 1
        return bool(visible(message))

    monkeypatch.setattr(Message, "visible", property(counted))
    assert len(client.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]) == 10
    # moto's own receive asked for the queue's attributes three times per message handed out, each walking
    # the whole queue twice: 18,000 checks here.
    assert checks <= 3 * depth


def test_a_request_is_dispatched_without_listing_motos_package(sqs: tuple[Any, str],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    client, _ = sqs
    url = _queue(client, 1)

    def listed() -> list[str]:
        raise AssertionError("moto's package listed for a request")

    monkeypatch.setattr(backends, "list_of_moto_modules", listed)
    assert client.receive_message(QueueUrl=url)["Messages"][0]["Body"] == "m0"
