"""Lambda: traced, logging into a log group the stack manages with a retention, and never dropping what
fails where nobody waits for an answer.

A function's log group is the one its logging config names (``/aws/lambda/<name>`` by default); the stack
creates it (``stacks/functions.py``), else Lambda would create one that never expires. Functions that AWS
services invoke asynchronously (S3, SNS, EventBridge: their invoke permissions say so) send what still fails
after Lambda's retries to an on-failure destination (or a dead-letter queue); stream event source mappings
retry a bounded number of times and then park the batch in theirs.
"""

from __future__ import annotations

from collections.abc import Sequence

from pulumi_policy.policy import PolicyResource

from policy.rules.common import Props, by_type, get, resource_rule, stack_rule

FUNCTION = "aws:lambda/function:Function"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
PERMISSION = "aws:lambda/permission:Permission"
INVOKE_CONFIG = "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig"
EVENT_SOURCE_MAPPING = "aws:lambda/eventSourceMapping:EventSourceMapping"
ASYNC_PRINCIPALS = ("s3.amazonaws.com", "sns.amazonaws.com", "events.amazonaws.com", "scheduler.amazonaws.com",
                    "ses.amazonaws.com")
STREAM_SOURCES = (":dynamodb:", ":kinesis:")


def _traced(props: Props) -> list[str]:
    mode = get(props, "tracingConfig", "mode")
    return [] if mode == "Active" else [f"X-Ray tracing is {mode or 'not configured'}, not Active"]


def _log_group_name(function: PolicyResource) -> str:
    return str(get(function.props, "loggingConfig", "logGroup") or f"/aws/lambda/{function.props.get('name')}")


def _logged(resources: Sequence[PolicyResource]) -> list[tuple[PolicyResource, str]]:
    groups = {str(g.props.get("name")): g for g in by_type(resources, LOG_GROUP)}
    found = []
    for function in by_type(resources, FUNCTION):
        name = _log_group_name(function)
        group = groups.get(name)
        if group is None:
            found.append((function, f"its log group {name} is not a resource of the stack (Lambda would create one "
                                    "that never expires)"))
        elif not group.props.get("retentionInDays"):
            found.append((function, f"its log group {name} has no retention (retentionInDays)"))
    return found


def _names(function: PolicyResource) -> set[str]:
    """How other resources name a function: its name or its ARN (qualified or not)."""
    return {str(v) for v in (function.props.get("name"), function.props.get("arn")) if v}


def _failures_parked(resources: Sequence[PolicyResource]) -> list[tuple[PolicyResource, str]]:
    found = []
    for function in by_type(resources, FUNCTION):
        names = _names(function)
        invokers = sorted({str(p.props.get("principal")) for p in by_type(resources, PERMISSION)
                           if p.props.get("function") in names and p.props.get("principal") in ASYNC_PRINCIPALS})
        if not invokers or get(function.props, "deadLetterConfig", "targetArn"):
            continue
        configs = [c for c in by_type(resources, INVOKE_CONFIG) if c.props.get("functionName") in names]
        if not any(get(c.props, "destinationConfig", "onFailure", "destination") for c in configs):
            found.append((function, f"invoked asynchronously by {', '.join(invokers)} but has no on-failure "
                                    "destination or dead-letter queue: events that keep failing are dropped"))
    for mapping in by_type(resources, EVENT_SOURCE_MAPPING):
        source = str(mapping.props.get("eventSourceArn"))
        if not any(kind in source for kind in STREAM_SOURCES):
            continue  # SQS: the queue's own redrive policy parks what fails (sqs-queue-has-dlq)
        if not get(mapping.props, "destinationConfig", "onFailure", "destinationArn"):
            found.append((mapping, "a stream mapping without an on-failure destination: a failing batch is "
                                   "retried until it expires and is then lost"))
        retries = mapping.props.get("maximumRetryAttempts")
        if not isinstance(retries, int | float) or retries < 0:
            found.append((mapping, "a stream mapping with unbounded retries (maximumRetryAttempts unset or -1): "
                                   "one poison record blocks its shard"))
    return found


LAMBDA_TRACED = resource_rule(
    "lambda-active-tracing", "Every Lambda function has X-Ray active tracing.", (FUNCTION,), _traced)
LAMBDA_LOG_RETENTION = stack_rule(
    "lambda-log-group-retention", "Every Lambda function logs into a log group of the stack with a retention.",
    _logged)
LAMBDA_FAILURES_PARKED = stack_rule(
    "lambda-failures-parked", "Asynchronously invoked functions and stream mappings send what keeps failing to "
    "an on-failure destination, with bounded retries.", _failures_parked)

POLICIES = (LAMBDA_TRACED, LAMBDA_LOG_RETENTION, LAMBDA_FAILURES_PARKED)
