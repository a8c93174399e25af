"""Wiring each Chalice event handler to what feeds it on moto.

Handlers name resources by logical name; this module resolves those names
against what was provisioned and creates the plumbing the pump reads:

* ``on_sqs_message``: the declared queue itself;
* ``on_s3_event``: an internal queue that receives the bucket's notifications;
* ``on_sns_message``: an internal queue subscribed to the topic;
* ``on_dynamodb_record``: the table's stream;
* ``schedule``: the parsed expression (no AWS resource: moto's rules never fire).

Pure ``lambda_function`` functions have no event source and are not wired
(``pure_functions`` lists them for the banner).

The internal queues retry a failed delivery twice (three attempts in all, as
Lambda does for asynchronous invocations) and then park it in an internal
dead-letter queue.

Usage::

    wires = wire(app, provisioned, clients)
    for w in wires: print(w.describe())
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from chalice.app import (
    Chalice,
    DynamoDBEventConfig,
    S3EventConfig,
    ScheduledEventConfig,
    SNSEventConfig,
    SQSEventConfig,
)

from local.aws import ACCOUNT_ID
from local.clients import Clients
from local.provision import Provisioned
from local.schedule import Cron, Rate, parse_schedule

ASYNC_ATTEMPTS = 3  # Lambda retries an asynchronous invocation twice
INTERNAL_VISIBILITY_SECONDS = 5  # the delay before an internal retry


class WiringError(LookupError):
    """A handler names a resource the manifest does not declare (or declares without what it needs)."""


@dataclass(frozen=True)
class QueueWire:
    """Messages of a declared queue, delivered in batches."""

    handler: str
    queue: str
    url: str
    arn: str
    batch_size: int
    visibility_timeout: int

    def describe(self) -> str:
        return f"{self.handler} <- sqs queue {self.queue} (batch {self.batch_size})"


@dataclass(frozen=True)
class S3Wire:
    """Notifications of a bucket, through an internal queue."""

    handler: str
    bucket: str
    physical_bucket: str
    url: str
    events: tuple[str, ...]

    def describe(self) -> str:
        return f"{self.handler} <- s3 bucket {self.bucket} ({', '.join(self.events)})"


@dataclass(frozen=True)
class SnsWire:
    """Messages of a topic, through an internal queue subscribed to it."""

    handler: str
    topic: str
    topic_arn: str
    url: str
    subscription_arn: str

    def describe(self) -> str:
        return f"{self.handler} <- sns topic {self.topic}"


@dataclass(frozen=True)
class StreamWire:
    """Records of a table's stream."""

    handler: str
    table: str
    stream_arn: str
    batch_size: int
    starting_position: str

    def describe(self) -> str:
        return f"{self.handler} <- dynamodb stream of {self.table} (batch {self.batch_size}, {self.starting_position})"


@dataclass(frozen=True)
class ScheduleWire:
    """A rate or cron schedule, evaluated by the pump's clock."""

    handler: str
    schedule: Rate | Cron
    rule_arn: str

    def describe(self) -> str:
        return f"{self.handler} <- schedule {self.schedule.expression}"


Wire = QueueWire | S3Wire | SnsWire | StreamWire | ScheduleWire


def wire(app: Chalice, provisioned: Provisioned, clients: Clients) -> list[Wire]:
    """The wires of every event source of ``app`` that the pump supports, creating the plumbing."""
    wires: list[Wire] = []
    s3_configs: dict[str, list[tuple[S3EventConfig, str, str]]] = defaultdict(list)
    for source in app.event_sources:
        if isinstance(source, SQSEventConfig):
            wires.append(_queue_wire(source, provisioned))
        elif isinstance(source, S3EventConfig):
            if source.bucket not in provisioned.buckets:
                raise WiringError(f"handler {source.name} reads bucket {source.bucket!r}, which is not declared")
            url, arn = _internal_queue(clients, provisioned.prefix, f"s3-{source.name}")
            s3_configs[source.bucket].append((source, url, arn))
            wires.append(S3Wire(source.name, source.bucket, provisioned.buckets[source.bucket].name, url,
                                tuple(source.events)))
        elif isinstance(source, SNSEventConfig):
            wires.append(_sns_wire(source, provisioned, clients))
        elif isinstance(source, DynamoDBEventConfig):
            wires.append(_stream_wire(source, provisioned))
        elif isinstance(source, ScheduledEventConfig):
            expression = source.schedule_expression
            text = expression if isinstance(expression, str) else expression.to_string()
            rule_arn = f"arn:aws:events:{provisioned.region}:{ACCOUNT_ID}:rule/{provisioned.prefix}{source.name}"
            wires.append(ScheduleWire(source.name, parse_schedule(text), rule_arn))
    for bucket, configs in s3_configs.items():
        _notify(clients, provisioned.buckets[bucket].name, configs)
    return wires


def pure_functions(app: Chalice) -> list[str]:
    """The names of ``@app.lambda_function`` functions: nothing feeds them, the stack invokes them at deploy."""
    return [function.name for function in app.pure_lambda_functions]


def _queue_wire(source: SQSEventConfig, provisioned: Provisioned) -> QueueWire:
    name = source.queue
    if name is None and source.queue_arn:
        physical = source.queue_arn.rsplit(":", 1)[-1]
        name = next((q.declaration.name for q in provisioned.queues.values() if q.arn.endswith(":" + physical)),
                    physical)
    if name not in provisioned.queues:
        raise WiringError(f"handler {source.name} reads queue {name!r}, which is not declared")
    queue = provisioned.queues[name]
    return QueueWire(source.name, name, queue.url, queue.arn, source.batch_size, queue.visibility_timeout)


def _sns_wire(source: SNSEventConfig, provisioned: Provisioned, clients: Clients) -> SnsWire:
    topic = source.topic
    if topic.startswith("arn:"):
        topic = next((t.declaration.name for t in provisioned.topics.values() if t.arn == topic), topic)
    if topic not in provisioned.topics:
        raise WiringError(f"handler {source.name} reads topic {source.topic!r}, which is not declared")
    topic_arn = provisioned.topics[topic].arn
    url, arn = _internal_queue(clients, provisioned.prefix, f"sns-{source.name}")
    subscription = clients.sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=arn,
                                         ReturnSubscriptionArn=True)["SubscriptionArn"]
    return SnsWire(source.name, topic, topic_arn, url, subscription)


def _stream_wire(source: DynamoDBEventConfig, provisioned: Provisioned) -> StreamWire:
    table = source.stream_arn
    if table.startswith("arn:"):
        table = next((t.declaration.name for t in provisioned.tables.values()
                      if table in (t.stream_arn, t.arn)), table)
    if table not in provisioned.tables:
        raise WiringError(f"handler {source.name} reads the stream of table {source.stream_arn!r}, "
                          "which is not declared")
    stream_arn = provisioned.tables[table].stream_arn
    if stream_arn is None:
        raise WiringError(f"handler {source.name} reads the stream of table {table!r}, which declares no stream")
    return StreamWire(source.name, table, stream_arn, source.batch_size, source.starting_position)


def _internal_queue(clients: Clients, prefix: str, purpose: str) -> tuple[str, str]:
    """A queue only the pump reads, with the asynchronous-invocation retry policy."""
    base = f"{prefix}pump-{purpose}".replace("_", "-")[:72]
    dlq_url = clients.sqs.create_queue(QueueName=f"{base}-failed")["QueueUrl"]
    dlq_arn = _arn(clients, dlq_url)
    url = clients.sqs.create_queue(QueueName=base, Attributes={
        "VisibilityTimeout": str(INTERNAL_VISIBILITY_SECONDS),
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": ASYNC_ATTEMPTS}),
    })["QueueUrl"]
    return url, _arn(clients, url)


def _arn(clients: Clients, url: str) -> str:
    return str(clients.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"])


def _notify(clients: Clients, bucket: str, configs: list[tuple[S3EventConfig, str, str]]) -> None:
    """One notification configuration per bucket (S3 replaces it whole), one entry per handler."""
    entries: list[dict[str, Any]] = []
    for source, _url, arn in configs:
        entry: dict[str, Any] = {"Id": source.name, "QueueArn": arn, "Events": list(source.events)}
        rules = [{"Name": name, "Value": value}
                 for name, value in (("prefix", source.prefix), ("suffix", source.suffix)) if value]
        if rules:
            entry["Filter"] = {"Key": {"FilterRules": rules}}
        entries.append(entry)
    clients.s3.put_bucket_notification_configuration(
        Bucket=bucket, NotificationConfiguration={"QueueConfigurations": entries})
