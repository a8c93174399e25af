"""Messaging: declared queues (each with its dead-letter queue), topics, and EventBridge rules.

A consumed queue's visibility timeout is raised to at least six times its
consumer's timeout (AWS's advice for Lambda event sources), so a slow batch is
never delivered twice while still running. Each DynamoDB stream consumer gets a
failure queue for records that keep failing, and so does each function invoked
asynchronously (rules, topics, buckets) for the events Lambda gives up on.

A queue's declared subscriptions become SNS subscriptions with raw delivery (the
SQS body is the published message) and the declared filter on message
attributes (``type``, and ``channels`` for the notifications topic: see
``Subscription.filter_policy``). Each queue that topics or buckets send to gets one queue policy (SQS
keeps one per queue) holding every sender's statement: SNS on behalf of the topics
it subscribes to, S3 on behalf of the buckets that notify it, from this account.
Queues use SQS-managed SSE, which SNS can publish to (a queue under the
AWS-managed ``alias/aws/sqs`` KMS key would silently drop them).

Usage::

    messaging = Messaging("social-dev-messaging", MessagingArgs(settings, MANIFEST.queues, MANIFEST.topics, plan))
    messaging.queues["fanout"].url, messaging.dead_letters["fanout"].arn, messaging.rules["nightly"].arn
    messaging.subscriptions[("timeline-updates", "domain-events")].filter_policy
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from chalicelib.core.declarations import Bucket, Queue, Topic
from stacks.appgraph import ASYNC_TRIGGERS, AppPlan, EventPatternTrigger, ScheduleTrigger, SqsTrigger, StreamTrigger
from stacks.policies import queue_policy
from stacks.settings import StackSettings

VISIBILITY_FACTOR = 6
FAILURE_RETENTION_SECONDS = 14 * 24 * 3600


def visibility_timeout(queue: Queue, consumer_timeout: int | None) -> int:
    """The queue's visibility timeout: as declared, but at least 6x its consumer's timeout.

    >>> visibility_timeout(Queue("jobs", visibility_timeout=30), consumer_timeout=10)
    60
    """
    if consumer_timeout is None:
        return queue.visibility_timeout
    return max(queue.visibility_timeout, VISIBILITY_FACTOR * consumer_timeout)


@dataclass(frozen=True)
class MessagingArgs:
    """The environment, the declared queues and topics, and the app's plan (for consumers and rules)."""

    settings: StackSettings
    queues: tuple[Queue, ...]
    topics: tuple[Topic, ...]
    plan: AppPlan
    buckets: tuple[Bucket, ...] = ()  # declared: their notifications name queues
    bucket_arns: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)  # by logical bucket name


class Messaging(pulumi.ComponentResource):
    """Queues with redrive to a DLQ and SSE, encrypted topics, schedule and event-pattern rules."""

    queues: dict[str, aws.sqs.Queue]
    dead_letters: dict[str, aws.sqs.Queue]
    failure_queues: dict[str, aws.sqs.Queue]  # by function name: stream consumers, async-invoked functions
    topics: dict[str, aws.sns.Topic]
    subscriptions: dict[tuple[str, str], aws.sns.TopicSubscription]  # by (queue, topic)
    queue_policies: dict[str, aws.sqs.QueuePolicy]  # by queue, for queues topics or buckets send to
    rules: dict[str, aws.cloudwatch.EventRule]  # by function name

    def __init__(self, name: str, args: MessagingArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("social:messaging:Messaging", name, None, opts)
        settings = args.settings
        namer = settings.namer
        child = pulumi.ResourceOptions(parent=self)
        consumers = {f.trigger.queue.name: f for f in args.plan.functions if isinstance(f.trigger, SqsTrigger)}
        self.queues, self.dead_letters, self.failure_queues, self.topics, self.rules = {}, {}, {}, {}, {}
        self.subscriptions, self.queue_policies = {}, {}

        for declared in args.queues:
            check_subscriptions(declared)
            suffix = ".fifo" if declared.fifo else ""
            # SQS names may be 80 long including '.fifo'; '-dlq' must fit as well.
            base = namer.name(declared.name, 80 - len(suffix) - 4)
            dead_letter = aws.sqs.Queue(
                f"{base}-dlq",
                name=f"{base}-dlq{suffix}",
                fifo_queue=declared.fifo or None,
                message_retention_seconds=declared.dlq_retention_seconds,
                sqs_managed_sse_enabled=True,
                tags=namer.tags(component="messaging", queue=declared.name, role="dead-letter"),
                opts=child,
            )
            consumer = consumers.get(declared.name)
            if consumer is not None and isinstance(consumer.trigger, SqsTrigger):
                _check_batch(declared, consumer.trigger, consumer.name)
            self.queues[declared.name] = aws.sqs.Queue(
                base,
                name=f"{base}{suffix}",
                fifo_queue=declared.fifo or None,
                visibility_timeout_seconds=visibility_timeout(
                    declared, settings.lambda_timeout_seconds if consumer is not None else None),
                message_retention_seconds=declared.retention_seconds,
                sqs_managed_sse_enabled=True,
                redrive_policy=_redrive_policy(dead_letter.arn, declared.max_receives),
                tags=namer.tags(component="messaging", queue=declared.name),
                opts=child,
            )
            self.dead_letters[declared.name] = dead_letter

        for function in args.plan.functions:
            if isinstance(function.trigger, (StreamTrigger, *ASYNC_TRIGGERS)):
                failures = namer.name(f"{function.name}-failures", 80)
                self.failure_queues[function.name] = aws.sqs.Queue(
                    failures,
                    name=failures,
                    message_retention_seconds=FAILURE_RETENTION_SECONDS,
                    sqs_managed_sse_enabled=True,
                    tags=namer.tags(component="messaging", function=function.name, role="dead-letter"),
                    opts=child,
                )

        for topic in args.topics:
            self.topics[topic.name] = aws.sns.Topic(
                namer.name(f"{topic.name}-topic"),
                name=namer.name(topic.name, 256),
                # The AWS-managed key: encryption at rest with no key to pay for or rotate.
                kms_master_key_id="alias/aws/sns",
                tags=namer.tags(component="messaging", topic=topic.name),
                opts=child,
            )

        account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id
        for declared in args.queues:
            notifying = sorted({b.name for b in args.buckets for n in b.notifications if n.queue.name == declared.name})
            if declared.subscriptions or notifying:
                self._allow_senders(declared, [args.bucket_arns[b] for b in notifying], account, settings, child)
            if declared.subscriptions:
                self._subscribe(declared, settings)

        for function in args.plan.functions:
            trigger = function.trigger
            if isinstance(trigger, ScheduleTrigger | EventPatternTrigger):
                rule_name = namer.name(function.name, 64)
                self.rules[function.name] = aws.cloudwatch.EventRule(
                    f"{rule_name}-rule",
                    name=rule_name,
                    description=(getattr(trigger, "description", "") or f"triggers {function.handler}")[:512],
                    schedule_expression=trigger.expression if isinstance(trigger, ScheduleTrigger) else None,
                    event_pattern=trigger.pattern if isinstance(trigger, EventPatternTrigger) else None,
                    state="ENABLED",
                    tags=namer.tags(component="messaging", function=function.name),
                    opts=child,
                )

        self.register_outputs({
            "queueUrls": {logical: queue.url for logical, queue in self.queues.items()},
            "deadLetterArns": {logical: queue.arn for logical, queue in self.dead_letters.items()},
            "topicArns": {logical: topic.arn for logical, topic in self.topics.items()},
        })


    def _allow_senders(self, declared: Queue, bucket_arns: list[pulumi.Input[str]], account: pulumi.Output[str],
                       settings: StackSettings, child: pulumi.ResourceOptions) -> None:
        """The queue's one policy: every topic it subscribes to and every bucket that notifies it may send."""
        queue = self.queues[declared.name]
        topic_arns = [self.topics[s.topic.name].arn for s in declared.subscriptions]
        senders = pulumi.Output.all(queue.arn, account, pulumi.Output.all(*topic_arns), pulumi.Output.all(*bucket_arns))
        self.queue_policies[declared.name] = aws.sqs.QueuePolicy(
            settings.namer.name(f"{declared.name}-policy", 128),
            queue_url=queue.url,
            policy=senders.apply(lambda v: json.dumps(queue_policy(v[0], v[2], v[3], account=v[1]), sort_keys=True)),
            opts=child,
        )

    def _subscribe(self, declared: Queue, settings: StackSettings) -> None:
        """One subscription per topic, once the queue's policy lets the topics send."""
        namer = settings.namer
        queue = self.queues[declared.name]
        policy = self.queue_policies[declared.name]
        for subscription in declared.subscriptions:
            topic = subscription.topic.name
            filter_policy = subscription.filter_policy()
            self.subscriptions[(declared.name, topic)] = aws.sns.TopicSubscription(
                namer.name(f"{declared.name}-from-{topic}", 128),
                topic=self.topics[topic].arn,
                protocol="sqs",
                endpoint=queue.arn,
                # The SQS body is the published message itself, not SNS's JSON envelope.
                raw_message_delivery=True,
                filter_policy=json.dumps(filter_policy, sort_keys=True) if filter_policy else None,
                filter_policy_scope="MessageAttributes" if filter_policy else None,
                # Messages published before SNS may send to the queue would be lost.
                opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
            )


def check_subscriptions(queue: Queue) -> None:
    """Refuse subscriptions SNS cannot honour: a FIFO queue on a standard topic, one topic twice."""
    # AWS would refuse these only at deploy time (or, for a topic twice, fail on the duplicate subscription).
    topics = [s.topic.name for s in queue.subscriptions]
    if queue.fifo and topics:
        raise ValueError(f"FIFO queue {queue.name!r} cannot subscribe to standard topics {topics}")
    twice = sorted({t for t in topics if topics.count(t) > 1})
    if twice:
        raise ValueError(f"queue {queue.name!r} subscribes to {twice} more than once; merge the types into one "
                         "Subscription")


def _redrive_policy(dead_letter_arn: pulumi.Output[str], max_receives: int) -> pulumi.Output[str]:
    return dead_letter_arn.apply(lambda arn: json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": max_receives}))


def _check_batch(queue: Queue, trigger: SqsTrigger, function: str) -> None:
    # AWS refuses these at deploy time; say which decorator to fix before anything is created.
    if queue.fifo and trigger.batch_size > 10:
        raise ValueError(f"handler {function!r}: FIFO queue {queue.name!r} allows batch_size up to 10")
    if trigger.batch_size > 10 and trigger.batching_window_seconds < 1:
        raise ValueError(f"handler {function!r}: batch_size {trigger.batch_size} > 10 on queue {queue.name!r} "
                         "needs maximum_batching_window_in_seconds >= 1")
    if not 1 <= trigger.batch_size <= 10000:
        raise ValueError(f"handler {function!r}: batch_size must be within 1..10000")
