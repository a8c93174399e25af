"""Messaging: queues encrypted and each backed by a dead-letter queue; topics that carry application messages
encrypted with KMS.

A queue is a dead-letter queue when something parks messages in it: another queue's redrive policy, a
function's on-failure destination (asynchronous invocations, stream event source mappings) or its dead-letter
config, a subscription's redrive policy. Every other queue must redrive to a queue of the stack.

The alarm topic (``stacks/observability.py``) stays unencrypted on purpose: CloudWatch cannot publish to a topic
under the AWS-managed SNS key, and alarms carry no user data. So the topic rule asks for KMS exactly where the
application can publish: an IAM statement that allows sns:Publish on the topic, an EventBridge target or a
bucket notification naming it, a function's destination.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pulumi_policy.policy import PolicyResource

from policy.rules.common import Props, by_type, document, get, items, resource_rule, stack_rule, statements

QUEUE = "aws:sqs/queue:Queue"
TOPIC = "aws:sns/topic:Topic"
FUNCTION = "aws:lambda/function:Function"
INVOKE_CONFIG = "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig"
EVENT_SOURCE_MAPPING = "aws:lambda/eventSourceMapping:EventSourceMapping"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
EVENT_TARGET = "aws:cloudwatch/eventTarget:EventTarget"
BUCKET_NOTIFICATION = "aws:s3/bucketNotification:BucketNotification"
IDENTITY_POLICIES = {"aws:iam/rolePolicy:RolePolicy": "policy", "aws:iam/policy:Policy": "policy",
                     "aws:iam/userPolicy:UserPolicy": "policy", "aws:iam/groupPolicy:GroupPolicy": "policy"}
PUBLISH_ACTIONS = ("sns:Publish", "sns:*", "*:*", "*")


def _queue_encrypted(props: Props) -> list[str]:
    if props.get("sqsManagedSseEnabled") is True or props.get("kmsMasterKeyId"):
        return []
    return ["neither SQS-managed SSE (sqsManagedSseEnabled) nor a KMS key (kmsMasterKeyId)"]


def _parked_in(resources: Sequence[PolicyResource]) -> set[str]:
    """The ARNs something parks failed messages or events in: the stack's dead-letter queues."""
    targets: list[Any] = []
    for queue in by_type(resources, QUEUE):
        targets.append(get(document(queue.props.get("redrivePolicy")), "deadLetterTargetArn"))
    for subscription in by_type(resources, SUBSCRIPTION):
        targets.append(get(document(subscription.props.get("redrivePolicy")), "deadLetterTargetArn"))
    for config in by_type(resources, INVOKE_CONFIG):
        targets.append(get(config.props, "destinationConfig", "onFailure", "destination"))
    for mapping in by_type(resources, EVENT_SOURCE_MAPPING):
        targets.append(get(mapping.props, "destinationConfig", "onFailure", "destinationArn"))
    for function in by_type(resources, FUNCTION):
        targets.append(get(function.props, "deadLetterConfig", "targetArn"))
    return {str(t) for t in targets if t}


def _dead_letters(resources: Sequence[PolicyResource]) -> list[tuple[PolicyResource, str]]:
    queues = by_type(resources, QUEUE)
    arns = {str(q.props.get("arn")) for q in queues}
    parked = _parked_in(resources)
    found = []
    for queue in queues:
        if str(queue.props.get("arn")) in parked:
            continue  # a dead-letter queue itself
        redrive = document(queue.props.get("redrivePolicy"))
        target = redrive.get("deadLetterTargetArn")
        if not target:
            found.append((queue, "no redrive policy: messages that keep failing have no dead-letter queue"))
        elif target not in arns:
            found.append((queue, f"redrives to {target}, which is not a queue of this stack"))
        elif not isinstance(redrive.get("maxReceiveCount"), int | float) or redrive["maxReceiveCount"] < 1:
            found.append((queue, "its redrive policy has no maxReceiveCount of 1 or more"))
    return found


def _publishers(resources: Sequence[PolicyResource], topic_arn: str) -> list[str]:
    """Who in the stack, besides CloudWatch alarms, may publish to ``topic_arn``."""
    found = []
    for kind, prop in IDENTITY_POLICIES.items():
        for policy in by_type(resources, kind):
            for statement in statements(policy.props.get(prop)):
                resources_named = items(statement.get("Resource"))
                if (statement.get("Effect") == "Allow"
                        and any(a in PUBLISH_ACTIONS for a in items(statement.get("Action")))
                        and (topic_arn in resources_named or "*" in resources_named)):
                    found.append(f"{policy.name} allows sns:Publish")
    found += [f"{t.name} targets it" for t in by_type(resources, EVENT_TARGET) if t.props.get("arn") == topic_arn]
    found += [f"{n.name} notifies it" for n in by_type(resources, BUCKET_NOTIFICATION)
              if topic_arn in [get(t, "topicArn") for t in items(n.props.get("topics"))]]
    found += [f"{c.name} sends failures to it" for c in by_type(resources, INVOKE_CONFIG)
              if topic_arn in (get(c.props, "destinationConfig", "onFailure", "destination"),
                               get(c.props, "destinationConfig", "onSuccess", "destination"))]
    return found


def _topics_encrypted(resources: Sequence[PolicyResource]) -> list[tuple[PolicyResource, str]]:
    found = []
    for topic in by_type(resources, TOPIC):
        if topic.props.get("kmsMasterKeyId"):
            continue
        publishers = _publishers(resources, str(topic.props.get("arn")))
        if publishers:
            found.append((topic, f"carries application messages ({'; '.join(publishers)}) but has no KMS key "
                                 "(kmsMasterKeyId)"))
    return found


SQS_ENCRYPTED = resource_rule(
    "sqs-queue-encrypted", "Every SQS queue is encrypted at rest (SQS-managed SSE or a KMS key).", (QUEUE,),
    _queue_encrypted)
SQS_HAS_DLQ = stack_rule(
    "sqs-queue-has-dlq", "Every SQS queue that is not itself a dead-letter queue redrives to one in the stack.",
    _dead_letters)
SNS_ENCRYPTED = stack_rule(
    "sns-topic-encrypted", "Every SNS topic the application publishes to is encrypted with KMS (alarm-only "
    "topics are exempt: CloudWatch cannot publish under the AWS-managed key).", _topics_encrypted)

POLICIES = (SQS_ENCRYPTED, SQS_HAS_DLQ, SNS_ENCRYPTED)
