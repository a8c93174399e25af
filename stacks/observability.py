"""Observability: an alarm topic, an Errors alarm per function and a backlog alarm per dead-letter queue.

X-Ray is switched on where the resources are (Lambda tracing config, API stage).

Usage::

    Observability("social-dev-observability", ObservabilityArgs(settings, functions.functions,
                  {**messaging.dead_letters}), opts)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from stacks.settings import StackSettings

PERIOD_SECONDS = 300


@dataclass(frozen=True)
class ObservabilityArgs:
    """The environment, the functions to watch and the dead-letter queues to watch (by logical name)."""

    settings: StackSettings
    functions: Mapping[str, aws.lambda_.Function]
    dead_letters: Mapping[str, aws.sqs.Queue]
    ledger: bool = False  # the runtime's reconciliation reports Social/Ledger LedgerMismatches


class Observability(pulumi.ComponentResource):
    """Alarms that fire on any function error and on any message parked in a dead-letter queue."""

    topic: aws.sns.Topic
    alarms: dict[str, aws.cloudwatch.MetricAlarm]

    def __init__(self, name: str, args: ObservabilityArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("social:observability:Observability", name, None, opts)
        settings = args.settings
        namer = self._namer = settings.namer
        child = pulumi.ResourceOptions(parent=self)
        # Unencrypted on purpose: CloudWatch cannot publish to a topic under the AWS-managed SNS key,
        # and alarm notifications carry no user data.
        self.topic = aws.sns.Topic(
            namer.name("alarms"),
            name=namer.name("alarms", 256),
            tags=namer.tags(component="observability"),
            opts=child,
        )
        if settings.alarm_email:
            aws.sns.TopicSubscription(
                namer.name("alarms-email"),
                topic=self.topic.arn,
                protocol="email",
                endpoint=settings.alarm_email,
                opts=child,
            )
        self.alarms = {}
        if not settings.alarms:  # a preview: the topic stays (its ARN is an output), nothing watches
            self.register_outputs({"alarmTopicArn": self.topic.arn})
            return
        for logical, function in args.functions.items():
            self._alarm(settings, f"{logical}-errors", f"function {logical} raised errors",
                        namespace="AWS/Lambda", metric="Errors", statistic="Sum",
                        dimensions={"FunctionName": function.name}, opts=child)
        for logical, queue in args.dead_letters.items():
            self._alarm(settings, f"{logical}-dead-letters",
                        f"messages were parked in the dead-letter queue of {logical}",
                        namespace="AWS/SQS", metric="ApproximateNumberOfMessagesVisible", statistic="Maximum",
                        dimensions={"QueueName": queue.name}, opts=child)
        if args.ledger:
            self._alarm(settings, "ledger-mismatches", "the ledger does not reconcile: a balance differs from its "
                        "entries or the accounts do not sum to zero", namespace="Social/Ledger",
                        metric="LedgerMismatches", statistic="Maximum", dimensions={"Stage": settings.stack},
                        opts=child)
        self.register_outputs({"alarmTopicArn": self.topic.arn})

    def errors_alarm(self, function: str) -> aws.cloudwatch.MetricAlarm:
        """The Errors alarm of a function, by its logical name."""
        return self.alarms[self._namer.name(f"{function}-errors", 255)]

    def _alarm(self, settings: StackSettings, logical: str, description: str, *, namespace: str, metric: str,
               statistic: str, dimensions: Mapping[str, pulumi.Input[str]], opts: pulumi.ResourceOptions) -> None:
        """An alarm that fires, and notifies the topic, as soon as the metric is above zero."""
        namer = settings.namer
        alarm_name = namer.name(logical, 255)
        self.alarms[alarm_name] = aws.cloudwatch.MetricAlarm(
            alarm_name,
            name=alarm_name,
            alarm_description=description,
            namespace=namespace,
            metric_name=metric,
            dimensions=dimensions,
            statistic=statistic,
            period=PERIOD_SECONDS,
            evaluation_periods=1,
            threshold=0,
            comparison_operator="GreaterThanThreshold",
            treat_missing_data="notBreaching",
            alarm_actions=[self.topic.arn],
            ok_actions=[self.topic.arn],
            tags=namer.tags(component="observability"),
            opts=opts,
        )
