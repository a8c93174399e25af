"""Observability: the alarm topic and every alarm of the stack, each with a runbook line in its description.

X-Ray is switched on where the resources are (Lambda tracing config, API stage). The alarms:

- per function, any Errors; per dead-letter (and failure) queue, any message;
- the REST API: 5xx over 1% of requests (5 minutes, at least ``MIN_REQUESTS``), p95 latency over the seed's
  200 ms for 3 of 5 minutes; a composite ``api-degraded`` (5xx, latency or the API functions' throttles);
- per function group (``stacks/dashboard.py``'s ``GROUPS``), any Lambda throttle; DynamoDB throttled reads or
  writes of the stack's tables; per DynamoDB stream consumer, an iterator age over a minute;
- per database server of the stack's own (prod): CPU over 80%, connections over 80% of ``max_connections``,
  free storage under 10% (at least 2 GiB); its RDS Proxy: slow connection borrows, failed client logins;
- the ledger's reconciliation (``LedgerMismatches``).

Every alarm notifies the topic (alarm and OK), which prod requires a subscriber of (``alarmEmail``).

Usage::

    Observability("social-dev-observability", ObservabilityArgs(settings, functions.functions,
                  {**messaging.dead_letters}, plan=plan, rest_api=(api.rest_api.name, api.stage.stage_name)), opts)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from chalicelib.core import metric_names
from stacks.appgraph import AppPlan, StreamTrigger
from stacks.dashboard import LATENCY_TARGET_MS, function_groups
from stacks.settings import StackSettings

PERIOD_SECONDS = 300
MAX_DESCRIPTION = 1024  # CloudWatch's limit on an alarm's description
MAX_METRICS_PER_ALARM = 10  # a metric math alarm watches at most 10 metrics
MIN_REQUESTS = 50  # the 5xx rate is judged over at least this many requests in 5 minutes (one error in 10 is not 10%)
ERROR_RATE_PERCENT = 1.0
ITERATOR_AGE_MS = 60_000
DB_CPU_PERCENT = 80
DB_CONNECTIONS_SHARE = 0.8
DB_FREE_STORAGE_SHARE = 0.10
DB_FREE_STORAGE_FLOOR_BYTES = 2 * 2**30
PROXY_BORROW_LATENCY_US = 100_000  # RDS Proxy reports borrow latency in microseconds: 100 ms
# Memory of the RDS instance classes the stacks use (GiB). RDS PostgreSQL's default max_connections is
# LEAST(DBInstanceClassMemory / 9531392, 5000), where DBInstanceClassMemory is the class's memory less what
# RDS keeps for itself: measured 198 connections on 2 GiB, 413 on 4 and 856 on 8, i.e. 88-95% of the nominal
# memory. 88% keeps the alarm's 80% on the safe side for every class.
INSTANCE_MEMORY_GIB = {
    "db.t4g.micro": 1, "db.t4g.small": 2, "db.t4g.medium": 4, "db.t4g.large": 8, "db.t4g.xlarge": 16,
    "db.t4g.2xlarge": 32, "db.m6g.large": 8, "db.m6g.xlarge": 16, "db.m6g.2xlarge": 32, "db.m7g.large": 8,
    "db.m7g.xlarge": 16, "db.m7g.2xlarge": 32, "db.r6g.large": 16, "db.r6g.xlarge": 32, "db.r6g.2xlarge": 64,
    "db.r7g.large": 16, "db.r7g.xlarge": 32, "db.r7g.2xlarge": 64,
}
RESERVED_MEMORY_SHARE = 0.88
BYTES_PER_CONNECTION = 9_531_392


def max_connections(instance_class: str) -> int:
    """RDS PostgreSQL's default ``max_connections`` for an instance class (a conservative estimate).

    >>> max_connections("db.t4g.small")
    198
    """
    try:
        memory = INSTANCE_MEMORY_GIB[instance_class]
    except KeyError:
        raise ValueError(f"instance class {instance_class!r} is not in stacks/observability.py's "
                         "INSTANCE_MEMORY_GIB: add its memory so its connections alarm has a threshold") from None
    return min(int(memory * 2**30 * RESERVED_MEMORY_SHARE / BYTES_PER_CONNECTION), 5000)


def free_storage_threshold(allocated_gb: int) -> int:
    """Bytes of free storage under which the alarm fires: 10% of the allocated storage, never under 2 GiB."""
    return max(int(allocated_gb * 10**9 * DB_FREE_STORAGE_SHARE), DB_FREE_STORAGE_FLOOR_BYTES)


@dataclass(frozen=True)
class WatchedDatabase:
    """A database server of the stack's own: its instance, class and storage, and its proxy if any."""

    instance: aws.rds.Instance
    instance_class: str
    allocated_storage_gb: int
    proxy: aws.rds.Proxy | None = None


@dataclass(frozen=True)
class ObservabilityArgs:
    """The environment and what to watch: functions and dead-letter queues (by logical name), and optionally the
    plan (function groups, stream consumers), the REST API, the tables and the databases of the stack's own."""

    settings: StackSettings
    functions: Mapping[str, aws.lambda_.Function]
    dead_letters: Mapping[str, aws.sqs.Queue]
    ledger: bool = False  # the runtime's reconciliation reports Social/Ledger LedgerMismatches
    plan: AppPlan | None = None
    rest_api: tuple[pulumi.Input[str], pulumi.Input[str]] | None = None  # (API name, stage name)
    tables: Mapping[str, aws.dynamodb.Table] = field(default_factory=dict)
    databases: Mapping[str, WatchedDatabase] = field(default_factory=dict)


class Observability(pulumi.ComponentResource):
    """The alarm topic (and its e-mail subscriber) and every alarm, all notifying the topic."""

    topic: aws.sns.Topic
    alarms: dict[str, aws.cloudwatch.MetricAlarm]
    composites: dict[str, aws.cloudwatch.CompositeAlarm]

    def __init__(self, name: str, args: ObservabilityArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("social:observability:Observability", name, None, opts)
        settings = args.settings
        namer = self._namer = settings.namer
        self._settings = settings
        self._child = child = pulumi.ResourceOptions(parent=self)
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
        self.alarms, self.composites = {}, {}
        if not settings.alarms:  # a preview: the topic stays (its ARN is an output), nothing watches
            self.register_outputs({"alarmTopicArn": self.topic.arn})
            return
        for logical, function in args.functions.items():
            self._any(f"{logical}-errors", f"Function {logical} raised errors (invocations that failed). Runbook: "
                      f"open the log group /aws/lambda/{namer.name(logical, 64)} in Logs Insights (filter "
                      "level=\"ERROR\") and its X-Ray traces; after a deploy or a flag change: roll back (make "
                      "package and pulumi up of the last good commit, or the flag's previous value); a failing "
                      "dependency: see its own alarm.",
                      namespace="AWS/Lambda", metric="Errors", statistic="Sum",
                      dimensions={"FunctionName": function.name})
        for logical, queue in args.dead_letters.items():
            self._any(f"{logical}-dead-letters",
                      f"Messages were parked in the dead-letter (or failure) queue of {logical}: their processing "
                      "failed every retry. Runbook: read a message (SQS console, poll without deleting) and the "
                      f"consumer's errors in its logs; fix the cause, then redrive the messages to the source "
                      "(SQS 'Start DLQ redrive') or, for a failure queue, replay them; never purge before reading.",
                      namespace="AWS/SQS", metric="ApproximateNumberOfMessagesVisible", statistic="Maximum",
                      dimensions={"QueueName": queue.name})
        if args.ledger:
            self._any("ledger-mismatches", "The ledger does not reconcile: a balance differs from its entries or "
                      "the accounts do not sum to zero. Runbook: read reconcile_ledger's last log lines (they name "
                      "the accounts); stop redemptions if coins are being minted (flag), correct with a "
                      "compensating entry, never an UPDATE of a balance.",
                      namespace=metric_names.LEDGER_NAMESPACE, metric=metric_names.LEDGER_MISMATCHES,
                      statistic="Maximum", dimensions={metric_names.STAGE: settings.stack})
        if args.plan is not None:
            self._function_alarms(args.plan, args.functions)
        self._table_alarms(args.tables)
        for logical, database in args.databases.items():
            self._database_alarms(logical, database)
        if args.rest_api is not None:
            self._api_alarms(args.rest_api)
        self.register_outputs({"alarmTopicArn": self.topic.arn})

    def errors_alarm(self, function: str) -> aws.cloudwatch.MetricAlarm:
        """The Errors alarm of a function, by its logical name."""
        return self.alarms[self._namer.name(f"{function}-errors", 255)]

    def alarm(self, logical: str) -> aws.cloudwatch.MetricAlarm:
        """An alarm by its logical name (``api-5xx-rate``, ``throttles-api``...)."""
        return self.alarms[self._namer.name(logical, 255)]

    @property
    def arns(self) -> list[pulumi.Output[str]]:
        """Every alarm's ARN (metric and composite), for the dashboard's status widget."""
        return [a.arn for a in self.alarms.values()] + [c.arn for c in self.composites.values()]

    # ---- the alarms ------------------------------------------------------------------------------------------

    def _function_alarms(self, plan: AppPlan, functions: Mapping[str, aws.lambda_.Function]) -> None:
        for group, members in function_groups(plan):
            chunks = _chunks([m.name for m in members], MAX_METRICS_PER_ALARM)
            for index, chunk in enumerate(chunks):
                logical = f"throttles-{group.key}" + (f"-{index + 1}" if len(chunks) > 1 else "")
                self._sum_of(logical, f"Lambda throttled {group.title.lower()} ({', '.join(chunk)}): invocations "
                             "were refused for want of concurrency. Runbook: the dashboard's concurrency row shows "
                             "which function; check the account's concurrent executions quota and any reserved "
                             "concurrency or queue maximum_concurrency; raise the quota (Service Quotas) or the "
                             "function's limit, or find the loop or burst that caused it.",
                             [("AWS/Lambda", "Throttles", {"FunctionName": functions[n].name}) for n in chunk])
        for function in plan.functions:
            if not isinstance(function.trigger, StreamTrigger):
                continue
            table = function.trigger.table.name
            self._put(f"{function.name}-iterator-age",
                      f"{function.name} reads the {table} stream more than a minute behind (IteratorAge): events "
                      "reach subscribers late and records older than the mapping's maximum age are dropped to its "
                      "failure queue. Runbook: check the function's errors and duration on the dashboard (a "
                      "poison record retries until bisected away; a slow dependency slows every batch); fix or "
                      "raise its memory; the stream keeps 24 hours.",
                      namespace="AWS/Lambda", metric_name="IteratorAge", statistic="Maximum",
                      dimensions={"FunctionName": functions[function.name].name},
                      period=60, evaluation_periods=5, datapoints_to_alarm=3, threshold=ITERATOR_AGE_MS,
                      comparison_operator="GreaterThanThreshold", treat_missing_data="notBreaching")

    def _table_alarms(self, tables: Mapping[str, aws.dynamodb.Table]) -> None:
        per_table = MAX_METRICS_PER_ALARM // 2  # reads and writes of each
        chunks = _chunks(list(tables), per_table)
        for index, chunk in enumerate(chunks if tables else []):
            logical = "dynamodb-throttles" + (f"-{index + 1}" if len(chunks) > 1 else "")
            self._sum_of(logical, f"DynamoDB throttled reads or writes of {', '.join(chunk)}. Runbook: find the "
                         "table and operation on the dashboard's tables row; on-demand tables throttle on a hot "
                         "key (one partition over 3,000 reads or 1,000 writes a second) or past double the previous "
                         "peak: spread the key, or raise the table's maximum throughput; the SDK retries, so users "
                         "see latency first.",
                         [("AWS/DynamoDB", metric, {"TableName": tables[name].name})
                          for name in chunk for metric in ("ReadThrottleEvents", "WriteThrottleEvents")])

    def _database_alarms(self, logical: str, database: WatchedDatabase) -> None:
        identifier = {"DBInstanceIdentifier": database.instance.identifier}
        limit = max_connections(database.instance_class)
        self._put(f"{logical}-db-cpu", f"The {logical} database's CPU is over {DB_CPU_PERCENT}% for 15 minutes. "
                  "Runbook: Performance Insights (top SQL by load) and the proxy's connections; a missing index or "
                  "a runaway query: fix or cancel it (pg_cancel_backend); sustained load: a larger "
                  "dbInstanceClass (a short failover with Multi-AZ).",
                  namespace="AWS/RDS", metric_name="CPUUtilization", statistic="Average", dimensions=identifier,
                  period=PERIOD_SECONDS, evaluation_periods=3, threshold=DB_CPU_PERCENT,
                  comparison_operator="GreaterThanThreshold", treat_missing_data="missing")
        self._put(f"{logical}-db-connections",
                  f"The {logical} database holds over {int(DB_CONNECTIONS_SHARE * 100)}% of its max_connections "
                  f"({limit} estimated for {database.instance_class}). Runbook: the proxy pools Lambda's "
                  "connections: check its database connections and pinned sessions, and functions holding "
                  "connections (long transactions: pg_stat_activity); a larger class raises the limit.",
                  namespace="AWS/RDS", metric_name="DatabaseConnections", statistic="Maximum",
                  dimensions=identifier, period=PERIOD_SECONDS, evaluation_periods=2,
                  threshold=int(limit * DB_CONNECTIONS_SHARE), comparison_operator="GreaterThanThreshold",
                  treat_missing_data="missing")
        threshold = free_storage_threshold(database.allocated_storage_gb)
        self._put(f"{logical}-db-free-storage",
                  f"The {logical} database has under {threshold / 2**30:.1f} GiB of free storage (10% of "
                  f"{database.allocated_storage_gb} GB, at least 2 GiB). Runbook: storage autoscaling grows it "
                  "up to dbMaxAllocatedStorageGb (check whether it is at that ceiling); look for table bloat "
                  "(vacuum) or a log flood; raise dbMaxAllocatedStorageGb.",
                  namespace="AWS/RDS", metric_name="FreeStorageSpace", statistic="Minimum", dimensions=identifier,
                  period=PERIOD_SECONDS, evaluation_periods=1, threshold=threshold,
                  comparison_operator="LessThanThreshold", treat_missing_data="missing")
        if database.proxy is None:
            return
        proxy = {"ProxyName": database.proxy.name}
        self._put(f"{logical}-proxy-borrow-latency",
                  f"The {logical} RDS Proxy takes over {PROXY_BORROW_LATENCY_US // 1000} ms to lend a database "
                  "connection (3 of 5 minutes): its pool is exhausted. Runbook: compare the proxy's database "
                  "connections with the instance's limit and look for pinned sessions; a slow query holding "
                  "connections, or more concurrency than the pool: raise the class (max_connections).",
                  namespace="AWS/RDS", metric_name="DatabaseConnectionsBorrowLatency", statistic="Average",
                  dimensions=proxy, period=60, evaluation_periods=5, datapoints_to_alarm=3,
                  threshold=PROXY_BORROW_LATENCY_US, comparison_operator="GreaterThanThreshold",
                  treat_missing_data="notBreaching")
        self._any(f"{logical}-proxy-auth-failures",
                  f"Clients failed to log in to the {logical} RDS Proxy. Runbook: the functions read the "
                  "database secret at cold start: a rotated or edited secret the proxy does not hold yet, or a "
                  "role dropped; check the proxy's auth configuration and the secret's versions.",
                  namespace="AWS/RDS", metric="ClientConnectionsSetupFailedAuth", statistic="Sum",
                  dimensions=proxy)

    def _api_alarms(self, rest_api: tuple[pulumi.Input[str], pulumi.Input[str]]) -> None:
        dimensions = {"ApiName": rest_api[0], "Stage": rest_api[1]}

        def query(query_id: str, metric: str) -> aws.cloudwatch.MetricAlarmMetricQueryArgs:
            return aws.cloudwatch.MetricAlarmMetricQueryArgs(id=query_id, return_data=False,
                                                             metric=aws.cloudwatch.MetricAlarmMetricQueryMetricArgs(
                                                                 namespace="AWS/ApiGateway", metric_name=metric,
                                                                 dimensions=dimensions, period=PERIOD_SECONDS,
                                                                 stat="Sum"))

        rate = self._put(
            "api-5xx-rate", f"Over {ERROR_RATE_PERCENT:g}% of the API's requests failed with a 5xx in 5 minutes (of "
            f"at least {MIN_REQUESTS} requests). Runbook: the dashboard's API and API functions rows show which "
            "function errs or times out; its Errors alarm and logs say why; a deploy or flag change just before: "
            "roll it back.",
            metric_queries=[
                query("requests", "Count"), query("errors", "5XXError"),
                aws.cloudwatch.MetricAlarmMetricQueryArgs(
                    id="rate", return_data=True, label="5xx % of requests",
                    expression=f"IF(requests >= {MIN_REQUESTS}, 100 * errors / requests, 0)"),
            ],
            evaluation_periods=1, threshold=ERROR_RATE_PERCENT, comparison_operator="GreaterThanThreshold",
            treat_missing_data="notBreaching")
        latency = self._put(
            "api-latency-p95", f"The API's p95 latency is over the seed's {LATENCY_TARGET_MS} ms for 3 of 5 minutes. "
            "Runbook: compare Latency with IntegrationLatency (API Gateway or the function?); on the functions "
            "row, p95 duration and throttles; cold starts after a deploy pass; a slow table, database or search "
            "call shows in X-Ray's service map.",
            namespace="AWS/ApiGateway", metric_name="Latency", extended_statistic="p95", dimensions=dimensions,
            period=60, evaluation_periods=5, datapoints_to_alarm=3, threshold=LATENCY_TARGET_MS,
            comparison_operator="GreaterThanThreshold", treat_missing_data="notBreaching")
        throttles = [alarm for name, alarm in self.alarms.items()
                     if name.startswith(self._namer.name("throttles-api", 255))]
        members = [rate, latency, *throttles]
        logical = "api-degraded"
        name = self._namer.name(logical, 255)
        self.composites[name] = aws.cloudwatch.CompositeAlarm(
            name,
            alarm_name=name,
            alarm_description=_described(
                "Users see a degraded API: 5xx over 1%, p95 latency over target or the API's functions throttled. "
                "Runbook: the member alarm in ALARM says which; follow its runbook; post a status note if it "
                "lasts past 15 minutes."),
            alarm_rule=pulumi.Output.all(*(m.name for m in members)).apply(composite_rule),
            alarm_actions=[self.topic.arn],
            ok_actions=[self.topic.arn],
            tags=self._namer.tags(component="observability"),
            opts=self._child,
        )

    # ---- building blocks ---------------------------------------------------------------------------------------

    def _any(self, logical: str, description: str, *, namespace: str, metric: str, statistic: str,
             dimensions: Mapping[str, pulumi.Input[str]]) -> aws.cloudwatch.MetricAlarm:
        """An alarm that fires as soon as the metric is above zero over 5 minutes."""
        return self._put(logical, description, namespace=namespace, metric_name=metric, dimensions=dimensions,
                         statistic=statistic, period=PERIOD_SECONDS, evaluation_periods=1, threshold=0,
                         comparison_operator="GreaterThanThreshold", treat_missing_data="notBreaching")

    def _sum_of(self, logical: str, description: str,
                metrics: Sequence[tuple[str, str, Mapping[str, pulumi.Input[str]]]]) -> aws.cloudwatch.MetricAlarm:
        """An alarm on the sum of up to 10 metrics (metric math), firing as soon as it is above zero."""
        if len(metrics) > MAX_METRICS_PER_ALARM:
            raise ValueError(f"{logical}: an alarm takes at most {MAX_METRICS_PER_ALARM} metrics")
        ids = [f"m{i}" for i in range(len(metrics))]
        queries = [aws.cloudwatch.MetricAlarmMetricQueryArgs(
            id=query_id, return_data=False, metric=aws.cloudwatch.MetricAlarmMetricQueryMetricArgs(
                namespace=namespace, metric_name=metric, dimensions=dimensions, period=PERIOD_SECONDS, stat="Sum"))
            for query_id, (namespace, metric, dimensions) in zip(ids, metrics, strict=True)]
        queries.append(aws.cloudwatch.MetricAlarmMetricQueryArgs(
            id="total", return_data=True, label="total", expression=f"SUM([{', '.join(ids)}])"))
        return self._put(logical, description, metric_queries=queries, evaluation_periods=1, threshold=0,
                         comparison_operator="GreaterThanThreshold", treat_missing_data="notBreaching")

    def _put(self, logical: str, description: str, **alarm: Any) -> aws.cloudwatch.MetricAlarm:
        namer = self._namer
        alarm_name = namer.name(logical, 255)
        created = self.alarms[alarm_name] = aws.cloudwatch.MetricAlarm(
            alarm_name,
            name=alarm_name,
            alarm_description=_described(description),
            alarm_actions=[self.topic.arn],
            ok_actions=[self.topic.arn],
            tags=namer.tags(component="observability"),
            opts=self._child,
            **alarm,
        )
        return created


def composite_rule(names: Sequence[str]) -> str:
    """``ALARM("a") OR ALARM("b")``: in ALARM while any member is."""
    return " OR ".join(f'ALARM("{name}")' for name in names)


def _described(description: str) -> str:
    if "Runbook: " not in description:
        raise ValueError(f"an alarm's description needs a runbook line: {description!r}")
    if len(description) > MAX_DESCRIPTION:
        raise ValueError(f"an alarm's description is {len(description)} characters (at most {MAX_DESCRIPTION})")
    return description


def _chunks(items: list[str], size: int) -> list[list[str]]:
    return [items[i:i + size] for i in range(0, len(items), size)]
