"""Triggers: wire each planned function to its event source.

SQS and DynamoDB streams become event source mappings that report partial batch
failures; S3 a bucket notification (one per bucket, as S3 allows, holding the
bucket's function triggers and its declared queue notifications) plus an invoke
permission; SNS a subscription plus permission; schedules and event patterns an
EventBridge target plus permission; WebSocket handlers an integration and a route.

Usage::

    Triggers("social-dev-triggers", TriggersArgs(settings, plan, functions.functions, messaging, storage,
             data.tables, websocket), opts)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from chalicelib.core.declarations import Notification
from stacks.appgraph import (
    ASYNC_TRIGGERS,
    AppPlan,
    EventPatternTrigger,
    FunctionPlan,
    S3Trigger,
    ScheduleTrigger,
    SnsTrigger,
    SqsTrigger,
    StreamTrigger,
    WebSocketTrigger,
)
from stacks.settings import StackSettings
from stacks.websocket import WebSocketApi

STREAM_RETRIES = 3  # then the record goes to the function's failure queue instead of blocking the shard
STREAM_MAX_RECORD_AGE_SECONDS = 6 * 3600


@dataclass(frozen=True)
class TriggersArgs:
    """The functions to wire and the resources that trigger them, by logical name."""

    settings: StackSettings
    plan: AppPlan
    functions: Mapping[str, aws.lambda_.Function]
    queues: Mapping[str, aws.sqs.Queue]
    topics: Mapping[str, aws.sns.Topic]
    buckets: Mapping[str, aws.s3.Bucket]
    tables: Mapping[str, aws.dynamodb.Table]
    failure_queues: Mapping[str, aws.sqs.Queue]
    rules: Mapping[str, aws.cloudwatch.EventRule]
    websocket: WebSocketApi | None = None
    notifications: Mapping[str, tuple[Notification, ...]] = field(default_factory=dict)  # declared, by bucket
    queue_policies: Mapping[str, aws.sqs.QueuePolicy] = field(default_factory=dict)  # by queue


class Triggers(pulumi.ComponentResource):
    """Event source mappings, notifications, subscriptions, targets, routes and invoke permissions."""

    mappings: dict[str, aws.lambda_.EventSourceMapping]

    def __init__(self, name: str, args: TriggersArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("social:triggers:Triggers", name, None, opts)
        self._args = args
        self._namer = args.settings.namer
        self.mappings = {}
        s3_functions: dict[str, list[FunctionPlan]] = defaultdict(list)
        for function in args.plan.functions:
            trigger = function.trigger
            if isinstance(trigger, SqsTrigger):
                self._sqs(function, trigger)
            elif isinstance(trigger, StreamTrigger):
                self._stream(function, trigger)
            elif isinstance(trigger, S3Trigger):
                s3_functions[trigger.bucket.name].append(function)
            elif isinstance(trigger, SnsTrigger):
                self._sns(function, trigger)
            elif isinstance(trigger, ScheduleTrigger | EventPatternTrigger):
                self._rule(function)
            elif isinstance(trigger, WebSocketTrigger):
                self._websocket(function, trigger)
            if isinstance(trigger, ASYNC_TRIGGERS):
                self._on_failure(function)
        notified = {b for b, notifications in args.notifications.items() if notifications}
        for bucket in sorted(set(s3_functions) | notified):
            self._s3(bucket, s3_functions.get(bucket, []))
        self.register_outputs({"eventSourceMappings": {k: m.uuid for k, m in self.mappings.items()}})

    def _opts(self, depends_on: list[pulumi.Resource] | None = None) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, depends_on=depends_on)

    def _permission(self, function: FunctionPlan, source: str, principal: str,
                    source_arn: pulumi.Input[str]) -> aws.lambda_.Permission:
        # Scoped to one source ARN: no other bucket, topic or rule may invoke the function.
        return aws.lambda_.Permission(
            self._namer.name(f"{function.name}-allow-{source}", 128),
            action="lambda:InvokeFunction",
            function=self._args.functions[function.name].name,
            principal=principal,
            source_arn=source_arn,
            opts=self._opts(),
        )

    def _sqs(self, function: FunctionPlan, trigger: SqsTrigger) -> None:
        self.mappings[function.name] = aws.lambda_.EventSourceMapping(
            self._namer.name(f"{function.name}-sqs", 128),
            event_source_arn=self._args.queues[trigger.queue.name].arn,
            function_name=self._args.functions[function.name].arn,
            batch_size=trigger.batch_size,
            maximum_batching_window_in_seconds=trigger.batching_window_seconds or None,
            # The handler reports failed message ids; only those return to the queue.
            function_response_types=["ReportBatchItemFailures"],
            scaling_config=(aws.lambda_.EventSourceMappingScalingConfigArgs(
                maximum_concurrency=trigger.maximum_concurrency) if trigger.maximum_concurrency else None),
            opts=self._opts(),
        )

    def _stream(self, function: FunctionPlan, trigger: StreamTrigger) -> None:
        self.mappings[function.name] = aws.lambda_.EventSourceMapping(
            self._namer.name(f"{function.name}-stream", 128),
            event_source_arn=self._args.tables[trigger.table.name].stream_arn,
            function_name=self._args.functions[function.name].arn,
            starting_position=trigger.starting_position,
            batch_size=trigger.batch_size,
            maximum_batching_window_in_seconds=trigger.batching_window_seconds or None,
            function_response_types=["ReportBatchItemFailures"],
            # A poison record is isolated by halving the batch, retried a few times, then parked.
            bisect_batch_on_function_error=True,
            maximum_retry_attempts=STREAM_RETRIES,
            maximum_record_age_in_seconds=STREAM_MAX_RECORD_AGE_SECONDS,
            destination_config=aws.lambda_.EventSourceMappingDestinationConfigArgs(
                on_failure=aws.lambda_.EventSourceMappingDestinationConfigOnFailureArgs(
                    destination_arn=self._args.failure_queues[function.name].arn)),
            opts=self._opts(),
        )

    def _s3(self, bucket_name: str, functions: list[FunctionPlan]) -> None:
        bucket = self._args.buckets[bucket_name]
        permissions = [self._permission(f, f"s3-{bucket_name}", "s3.amazonaws.com", bucket.arn) for f in functions]
        entries = []
        for function in functions:
            trigger = function.trigger
            assert isinstance(trigger, S3Trigger)  # grouped by the caller
            entries.append(aws.s3.BucketNotificationLambdaFunctionArgs(
                lambda_function_arn=self._args.functions[function.name].arn,
                events=list(trigger.events),
                filter_prefix=trigger.prefix,
                filter_suffix=trigger.suffix,
            ))
        queues = []
        policies: list[pulumi.Resource] = []
        for notification in self._args.notifications.get(bucket_name, ()):
            queue = notification.queue.name
            queues.append(aws.s3.BucketNotificationQueueArgs(
                queue_arn=self._args.queues[queue].arn,
                events=list(notification.events),
                filter_prefix=notification.prefix,
            ))
            policies.append(self._args.queue_policies[queue])
        # S3 checks, when the notification is written, that it may invoke each function and send to each queue
        # (it sends a test event): the permissions and the queues' policies come first.
        aws.s3.BucketNotification(
            self._namer.name(f"{bucket_name}-notifications", 128),
            bucket=bucket.id,
            lambda_functions=entries or None,
            queues=queues or None,
            opts=self._opts(depends_on=[*permissions, *policies]),
        )

    def _on_failure(self, function: FunctionPlan) -> None:
        """An asynchronously invoked function's events that still fail after Lambda's two retries (or
        wait past six hours, throttled) go to its failure queue, whose alarm pages, instead of nowhere.
        Lambda sends them as the function's role (policies: ``Failures``)."""
        aws.lambda_.FunctionEventInvokeConfig(
            self._namer.name(f"{function.name}-async", 128),
            function_name=self._args.functions[function.name].name,
            maximum_retry_attempts=2,
            maximum_event_age_in_seconds=6 * 3600,
            destination_config=aws.lambda_.FunctionEventInvokeConfigDestinationConfigArgs(
                on_failure=aws.lambda_.FunctionEventInvokeConfigDestinationConfigOnFailureArgs(
                    destination=self._args.failure_queues[function.name].arn)),
            opts=self._opts(),
        )

    def _sns(self, function: FunctionPlan, trigger: SnsTrigger) -> None:
        topic = self._args.topics[trigger.topic.name]
        permission = self._permission(function, f"sns-{trigger.topic.name}", "sns.amazonaws.com", topic.arn)
        aws.sns.TopicSubscription(
            self._namer.name(f"{function.name}-sns-{trigger.topic.name}", 128),
            topic=topic.arn,
            protocol="lambda",
            endpoint=self._args.functions[function.name].arn,
            opts=self._opts(depends_on=[permission]),
        )

    def _rule(self, function: FunctionPlan) -> None:
        rule = self._args.rules[function.name]
        permission = self._permission(function, "events", "events.amazonaws.com", rule.arn)
        aws.cloudwatch.EventTarget(
            self._namer.name(f"{function.name}-target", 128),
            rule=rule.name,
            arn=self._args.functions[function.name].arn,
            opts=self._opts(depends_on=[permission]),
        )

    def _websocket(self, function: FunctionPlan, trigger: WebSocketTrigger) -> None:
        websocket = self._args.websocket
        if websocket is None:
            raise ValueError(f"function {function.name!r} handles WebSocket route {trigger.route_key} "
                             "but no WebSocket API was created")
        lambda_function = self._args.functions[function.name]
        permission = self._permission(function, "websocket", "apigateway.amazonaws.com",
                                      pulumi.Output.concat(websocket.api.execution_arn, "/*/", trigger.route_key))
        integration = aws.apigatewayv2.Integration(
            self._namer.name(f"{function.name}-integration", 128),
            api_id=websocket.api.id,
            integration_type="AWS_PROXY",
            integration_method="POST",
            integration_uri=lambda_function.invoke_arn,
            opts=self._opts(),
        )
        aws.apigatewayv2.Route(
            self._namer.name(f"{function.name}-route", 128),
            api_id=websocket.api.id,
            route_key=trigger.route_key,
            target=pulumi.Output.concat("integrations/", integration.id),
            opts=self._opts(depends_on=[permission]),
        )
