"""Wiring each Chalice event handler to what feeds it on moto.

Handlers name resources by logical name; ``stacks.appgraph.plan_app`` resolves
those names (against the manifest rebuilt from what was provisioned) and
refuses an undeclared one with ``UndeclaredResourceError``, exactly as it does
before a deploy. This module maps each planned function's trigger to what was
provisioned and creates the plumbing the pump reads:

* ``on_sqs_message``: the declared queue itself;
* ``on_s3_event``: an internal queue that receives the bucket's notifications;
* ``on_sns_message``: an internal queue subscribed to the topic;
* ``on_dynamodb_record``: the table's stream;
* ``schedule``: the parsed expression (no AWS resource: moto's rules never fire).

Pure ``lambda_function`` functions have no event source and are not wired
(``pure_functions`` lists them for the banner); neither are ``on_cw_event``
patterns, routes and WebSocket handlers. Grants are not checked here: what was
provisioned has no databases, and the deploy checks them.

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

from chalice.app import Chalice

from chalicelib.core.declarations import Manifest
from local.aws import ACCOUNT_ID
from local.clients import Clients
from local.provision import Provisioned
from local.schedule import Cron, Rate, parse_schedule
from stacks.appgraph import AppPlan, S3Trigger, ScheduleTrigger, SnsTrigger, SqsTrigger, StreamTrigger, plan_app

ASYNC_ATTEMPTS = 3  # Lambda retries an asynchronous invocation twice
INTERNAL_VISIBILITY_SECONDS = 5  # the delay before an internal retry


@dataclass(frozen=True)
class QueueWire:
    """Messages of a declared queue, delivered in batches."""

    handler: str
    queue: str
    url: str
    arn: str
    batch_size: int
    visibility_timeout: int
    topics: frozenset[str] = frozenset()  # the ARNs of the topics subscribed to deliver to it

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


def wire(app: Chalice, manifest: Manifest, provisioned: Provisioned, clients: Clients,
         plan: AppPlan | None = None) -> list[Wire]:
    """The wires of every event source of ``app`` that the pump supports, creating the plumbing.

    The plan is the deploy's own (``stacks.appgraph.plan_app``): it raises
    ``UndeclaredResourceError`` (before anything is created) when a handler names, or is
    granted, a resource ``manifest`` does not declare, and ``AppGraphError`` for what the
    deploy refuses, so the local platform accepts exactly the apps the stack deploys. ``plan``, when
    given, is that plan already made (the platform makes one for the wires, the gateway and the grants).
    """
    plan = plan if plan is not None else plan_app(app, manifest)
    wires: list[Wire] = []
    s3_configs: dict[str, list[tuple[str, S3Trigger, str]]] = defaultdict(list)
    for function in plan.functions:
        name, trigger = function.name, function.trigger
        if isinstance(trigger, SqsTrigger):
            queue = provisioned.queues[trigger.queue.name]
            topics = frozenset(provisioned.topics[s.topic].arn for s in provisioned.subscriptions
                               if s.queue == trigger.queue.name)
            wires.append(QueueWire(name, trigger.queue.name, queue.url, queue.arn, trigger.batch_size,
                                   queue.visibility_timeout, topics))
        elif isinstance(trigger, S3Trigger):
            url, arn = _internal_queue(clients, provisioned.prefix, f"s3-{name}")
            s3_configs[trigger.bucket.name].append((name, trigger, arn))
            wires.append(S3Wire(name, trigger.bucket.name, provisioned.buckets[trigger.bucket.name].name, url,
                                trigger.events))
        elif isinstance(trigger, SnsTrigger):
            wires.append(_sns_wire(name, trigger, provisioned, clients))
        elif isinstance(trigger, StreamTrigger):
            wires.append(_stream_wire(name, trigger, provisioned))
        elif isinstance(trigger, ScheduleTrigger):
            rule_arn = f"arn:aws:events:{provisioned.region}:{ACCOUNT_ID}:rule/{provisioned.prefix}{name}"
            wires.append(ScheduleWire(name, parse_schedule(trigger.expression), rule_arn))
    for bucket, configs in s3_configs.items():
        _notify(clients, provisioned.buckets[bucket].name, configs)
    return wires


def pure_functions(app: Chalice) -> list[str]:
    """The names of ``@app.lambda_function`` functions: nothing feeds them, the stack invokes them at deploy."""
    return [function.name for function in app.pure_lambda_functions]


def _sns_wire(name: str, trigger: SnsTrigger, provisioned: Provisioned, clients: Clients) -> SnsWire:
    topic_arn = provisioned.topics[trigger.topic.name].arn
    url, arn = _internal_queue(clients, provisioned.prefix, f"sns-{name}")
    subscription = clients.sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=arn,
                                         ReturnSubscriptionArn=True)["SubscriptionArn"]
    return SnsWire(name, trigger.topic.name, topic_arn, url, subscription)


def _stream_wire(name: str, trigger: StreamTrigger, provisioned: Provisioned) -> StreamWire:
    stream_arn = provisioned.tables[trigger.table.name].stream_arn
    if stream_arn is None:  # the plan refused a table that declares no stream: moto did not make one
        raise RuntimeError(f"table {trigger.table.name!r} declares a stream but was provisioned without one")
    return StreamWire(name, trigger.table.name, stream_arn, trigger.batch_size, trigger.starting_position)


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


def _notify(clients: Clients, bucket: str, configs: list[tuple[str, S3Trigger, str]]) -> None:
    """One notification configuration per bucket (S3 replaces it whole), one entry per handler.

    The declared notifications (``local.provision``) are kept: they are read back and extended.
    """
    current = clients.s3.get_bucket_notification_configuration(Bucket=bucket)
    entries: list[dict[str, Any]] = list(current.get("QueueConfigurations") or [])
    for name, trigger, arn in configs:
        entry: dict[str, Any] = {"Id": name, "QueueArn": arn, "Events": list(trigger.events)}
        rules = [{"Name": rule, "Value": value}
                 for rule, value in (("prefix", trigger.prefix), ("suffix", trigger.suffix)) if value]
        if rules:
            entry["Filter"] = {"Key": {"FilterRules": rules}}
        entries.append(entry)
    clients.s3.put_bucket_notification_configuration(
        Bucket=bucket, NotificationConfiguration={"QueueConfigurations": entries})
