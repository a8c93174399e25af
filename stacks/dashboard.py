"""The stack's CloudWatch dashboard, generated from what the app declares and the stack created.

Rows, top to bottom: the alarms' states; the REST API (latency p50/p95/p99 against the 200 ms target,
4xx/5xx rates, requests) and the WebSocket API; the functions, one row per group (API, WebSocket, queue
workers, stream consumers, scheduled and event, invoked directly) with invocations, errors, throttles,
p95 duration and concurrency; the queues and their dead letters; the DynamoDB streams' iterator age; the
tables; the database (and its RDS Proxy, where the stack has one); the business metrics of
``chalicelib.core.metric_names``. ``dashboard_body`` is pure (resolved names in, the body out) and checks
CloudWatch's limits; ``Dashboard`` resolves the names and creates the resource.

Usage::

    Dashboard("social-dev-dashboard", DashboardArgs(settings, plan, functions.functions, ...), opts)
    body = dashboard_body(Watched(stage="dev", region="us-east-1", ...))  # tests, offline
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from chalicelib.core import metric_names
from stacks.appgraph import AppPlan, FunctionPlan, StreamTrigger
from stacks.settings import StackSettings

# CloudWatch's limits (PutDashboard: a body of at most 1 MB, 500 widgets; a graph of at most 500 metrics;
# an alarm status widget of at most 100 alarms). Graphs are split well before that to stay readable.
MAX_BODY_BYTES = 1_000_000
MAX_WIDGETS = 500
MAX_METRICS_PER_WIDGET = 500
MAX_ALARMS_PER_WIDGET = 100
METRICS_PER_GRAPH = 40  # a legend of more than this is unreadable: the graph is split
SEARCH_CHARACTERS = 1024  # a SEARCH expression's own limit
LATENCY_TARGET_MS = 200  # the seed's API target (p95), drawn on the latency graph and alarmed on
PERIOD = 300
GRID_WIDTH = 24
HEIGHT = 6



@dataclass(frozen=True)
class FunctionGroup:
    """Functions watched together: a row of the dashboard, a throttles alarm (stacks/observability.py)."""

    key: str  # in alarm names: throttles-<key>
    title: str
    kinds: tuple[str, ...]  # trigger kinds (stacks/appgraph.py)


# In the order of their rows.
GROUPS: tuple[FunctionGroup, ...] = (
    FunctionGroup("api", "API functions", ("api",)),
    FunctionGroup("websocket", "WebSocket functions", ("websocket",)),
    FunctionGroup("workers", "Queue workers", ("sqs",)),
    FunctionGroup("streams", "Stream consumers", ("dynamodb_stream",)),
    FunctionGroup("scheduled", "Scheduled and event functions", ("schedule", "event_pattern", "s3", "sns")),
    FunctionGroup("direct", "Functions invoked directly", ("none",)),
)


def function_groups(plan: AppPlan) -> list[tuple[FunctionGroup, list[FunctionPlan]]]:
    """The plan's functions by group (non-empty groups only), each in the plan's order."""
    known = {kind for group in GROUPS for kind in group.kinds}
    unknown = [f.name for f in plan.functions if f.trigger.kind not in known]
    if unknown:
        raise ValueError(f"functions {unknown} have a trigger no function group takes: add it to GROUPS")
    grouped = [(group, [f for f in plan.functions if f.trigger.kind in group.kinds]) for group in GROUPS]
    return [(group, functions) for group, functions in grouped if functions]


@dataclass(frozen=True)
class Watched:
    """Everything the dashboard shows, by physical name (resolved)."""

    stage: str
    region: str
    function_groups: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (group title, function names)
    stream_consumers: tuple[tuple[str, str], ...] = ()  # (table logical name, consuming function's name)
    queues: tuple[str, ...] = ()
    dead_letters: tuple[str, ...] = ()  # the queues' DLQs and the functions' failure queues
    tables: tuple[str, ...] = ()
    rest_api: tuple[str, str] | None = None  # (API name, stage name): API Gateway's REST metrics' dimensions
    websocket: tuple[str, str] | None = None  # (API id, stage name)
    databases: tuple[tuple[str, str], ...] = ()  # (title, DB instance identifier)
    proxies: tuple[str, ...] = ()  # RDS Proxy names
    channels: tuple[str, ...] = ()  # notification channels (NotificationsSent's Channel dimension)
    alarms: tuple[str, ...] = ()  # alarm ARNs, for the status widget
    latency_target_ms: int = LATENCY_TARGET_MS


@dataclass
class _Grid:
    """Packs widgets left to right, a new row when the width is used up."""

    widgets: list[dict[str, Any]] = field(default_factory=list)
    x: int = 0
    y: int = 0
    row_height: int = 0

    def header(self, markdown: str) -> None:
        self._newline()
        self.widgets.append({"type": "text", "x": 0, "y": self.y, "width": GRID_WIDTH, "height": 1,
                             "properties": {"markdown": markdown}})
        self.y += 1

    def add(self, properties: dict[str, Any], width: int = 6, height: int = HEIGHT, kind: str = "metric") -> None:
        if self.x + width > GRID_WIDTH:
            self._newline()
        self.widgets.append({"type": kind, "x": self.x, "y": self.y, "width": width, "height": height,
                             "properties": properties})
        self.x += width
        self.row_height = max(self.row_height, height)

    def _newline(self) -> None:
        if self.x:
            self.y += self.row_height
        self.x, self.row_height = 0, 0


def _chunks(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [items[i:i + size] for i in range(0, len(items), size)] or [items]


def _graph(watched: Watched, title: str, metrics: list[list[Any]], *, stat: str = "Sum", period: int = PERIOD,
           **extra: Any) -> dict[str, Any]:
    return {"title": title, "region": watched.region, "view": "timeSeries", "stacked": False, "stat": stat,
            "period": period, "metrics": metrics, **extra}


def _per_name(watched: Watched, grid: _Grid, title: str, namespace: str, metric: str, dimension: str,
              names: Sequence[str], *, stat: str = "Sum", width: int = 6, **extra: Any) -> None:
    """One metric of many resources (one line each), split into graphs of METRICS_PER_GRAPH lines."""
    parts = _chunks(names, METRICS_PER_GRAPH)
    for index, part in enumerate(parts):
        suffix = f" ({index + 1}/{len(parts)})" if len(parts) > 1 else ""
        metrics = [[namespace, metric, dimension, name, {"label": name}] for name in part]
        grid.add(_graph(watched, f"{title}{suffix}", metrics, stat=stat, **extra), width=width)


def _search_or(dimension: str, names: Sequence[str]) -> list[str]:
    """``(Dim="a" OR Dim="b" ...)`` clauses, each short enough for a SEARCH expression."""
    clauses: list[str] = []
    current: list[str] = []
    for name in names:
        term = f'{dimension}="{name}"'
        if current and len(" OR ".join([*current, term])) > SEARCH_CHARACTERS - 200:
            clauses.append(f"({' OR '.join(current)})")
            current = []
        current.append(term)
    if current:
        clauses.append(f"({' OR '.join(current)})")
    return clauses


def _api_rows(watched: Watched, grid: _Grid) -> None:
    if watched.rest_api is not None:
        api, stage = watched.rest_api
        dims = ["ApiName", api, "Stage", stage]
        grid.header(f"## REST API `{api}` (stage `{stage}`): latency against the {watched.latency_target_ms} ms "
                    "target, error rates, requests")
        grid.add(_graph(watched, "API latency p50 / p95 / p99 (ms)", [
            ["AWS/ApiGateway", "Latency", *dims, {"stat": "p50", "label": "p50"}],
            ["AWS/ApiGateway", "Latency", *dims, {"stat": "p95", "label": "p95"}],
            ["AWS/ApiGateway", "Latency", *dims, {"stat": "p99", "label": "p99"}],
        ], stat="p95", period=60, annotations={"horizontal": [
            {"label": f"p95 target {watched.latency_target_ms} ms", "value": watched.latency_target_ms}]}),
            width=8)
        grid.add(_graph(watched, "API error rates (% of requests)", [
            [{"expression": "100 * errors4 / requests", "label": "4xx %", "id": "rate4"}],
            [{"expression": "100 * errors5 / requests", "label": "5xx %", "id": "rate5"}],
            ["AWS/ApiGateway", "Count", *dims, {"id": "requests", "visible": False}],
            ["AWS/ApiGateway", "4XXError", *dims, {"id": "errors4", "visible": False}],
            ["AWS/ApiGateway", "5XXError", *dims, {"id": "errors5", "visible": False}],
        ], period=60, annotations={"horizontal": [{"label": "5xx alarm", "value": 1}]}), width=8)
        grid.add(_graph(watched, "API requests", [
            ["AWS/ApiGateway", "Count", *dims, {"label": "requests"}],
            ["AWS/ApiGateway", "IntegrationLatency", *dims, {"stat": "p95", "label": "integration p95 (ms)",
                                                               "yAxis": "right"}],
        ], period=60), width=8)
    if watched.websocket is not None:
        api_id, stage = watched.websocket
        dims = ["ApiId", api_id, "Stage", stage]
        grid.header(f"## WebSocket API `{api_id}` (stage `{stage}`)")
        grid.add(_graph(watched, "WebSocket connections and messages", [
            ["AWS/ApiGateway", "ConnectCount", *dims, {"label": "connects"}],
            ["AWS/ApiGateway", "MessageCount", *dims, {"label": "messages"}],
        ]), width=8)
        grid.add(_graph(watched, "WebSocket errors", [
            ["AWS/ApiGateway", "ClientError", *dims, {"label": "client (4xx)"}],
            ["AWS/ApiGateway", "ExecutionError", *dims, {"label": "execution"}],
            ["AWS/ApiGateway", "IntegrationError", *dims, {"label": "integration (function)"}],
        ]), width=8)
        grid.add(_graph(watched, "WebSocket integration latency p95 (ms)", [
            ["AWS/ApiGateway", "IntegrationLatency", *dims, {"label": "p95"}]], stat="p95"), width=8)


def _function_rows(watched: Watched, grid: _Grid) -> None:
    for title, names in watched.function_groups:
        grid.header(f"## {title}: invocations, errors, throttles, p95 duration, concurrency")
        for label, metric, stat in (("Invocations", "Invocations", "Sum"), ("Errors", "Errors", "Sum"),
                                    ("Throttles", "Throttles", "Sum"), ("Duration p95 (ms)", "Duration", "p95"),
                                    ("Concurrent executions", "ConcurrentExecutions", "Maximum")):
            _per_name(watched, grid, f"{title}: {label}", "AWS/Lambda", metric, "FunctionName", names, stat=stat,
                      width=GRID_WIDTH // 5 if metric != "ConcurrentExecutions" else GRID_WIDTH - 4 * (GRID_WIDTH // 5))


def _queue_rows(watched: Watched, grid: _Grid) -> None:
    if not watched.queues and not watched.dead_letters:
        return
    grid.header("## Queues: backlog and the age of the oldest message; dead letters (any message there is a "
                "failure: see the alarm's runbook)")
    if watched.queues:
        _per_name(watched, grid, "Queue backlog (messages visible)", "AWS/SQS", "ApproximateNumberOfMessagesVisible",
                  "QueueName", watched.queues, stat="Maximum", width=8)
        _per_name(watched, grid, "Oldest message (s)", "AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName",
                  watched.queues, stat="Maximum", width=8)
    if watched.dead_letters:
        _per_name(watched, grid, "Dead letters (messages visible)", "AWS/SQS", "ApproximateNumberOfMessagesVisible",
                  "QueueName", watched.dead_letters, stat="Maximum", width=8)


def _stream_rows(watched: Watched, grid: _Grid) -> None:
    if not watched.stream_consumers:
        return
    grid.header("## DynamoDB streams: how far behind each consumer reads (iterator age; alarm over 60 s)")
    metrics = [["AWS/Lambda", "IteratorAge", "FunctionName", function, {"label": f"{table} -> {function}"}]
               for table, function in watched.stream_consumers]
    for index, part in enumerate(_chunks(metrics, METRICS_PER_GRAPH)):
        grid.add(_graph(watched, "Stream iterator age (ms)" + (f" ({index + 1})" if index else ""), list(part),
                        stat="Maximum", period=60, annotations={"horizontal": [{"label": "alarm", "value": 60_000}]}),
                 width=12)


def _table_rows(watched: Watched, grid: _Grid) -> None:
    if not watched.tables:
        return
    grid.header("## Tables: consumed capacity, throttled reads and writes, system errors")
    for label, metric in (("Consumed read units", "ConsumedReadCapacityUnits"),
                          ("Consumed write units", "ConsumedWriteCapacityUnits"),
                          ("Read throttle events", "ReadThrottleEvents"),
                          ("Write throttle events", "WriteThrottleEvents")):
        _per_name(watched, grid, label, "AWS/DynamoDB", metric, "TableName", watched.tables, width=6)
    # SystemErrors is reported per TableName and Operation: a search finds every operation of these tables.
    searches = [{"expression": f"SEARCH('{{AWS/DynamoDB,Operation,TableName}} MetricName=\"SystemErrors\" "
                               f"{clause}', 'Sum', {PERIOD})", "id": f"errors{index}"}
                for index, clause in enumerate(_search_or("TableName", watched.tables))]
    grid.add(_graph(watched, "System errors (by table and operation)", [[s] for s in searches]), width=12)
    searches = [{"expression": f"SEARCH('{{AWS/DynamoDB,Operation,TableName}} MetricName=\"SuccessfulRequestLatency\""
                               f" {clause}', 'Average', {PERIOD})", "id": f"latency{index}"}
                for index, clause in enumerate(_search_or("TableName", watched.tables))]
    grid.add(_graph(watched, "Request latency (ms, by table and operation)", [[s] for s in searches]), width=12)


def _database_rows(watched: Watched, grid: _Grid) -> None:
    for title, identifier in watched.databases:
        dims = ["DBInstanceIdentifier", identifier]
        grid.header(f"## Database `{identifier}` ({title}): CPU, connections, free storage, latency")
        grid.add(_graph(watched, "Database CPU (%)", [["AWS/RDS", "CPUUtilization", *dims]], stat="Average",
                        annotations={"horizontal": [{"label": "alarm", "value": 80}]}))
        grid.add(_graph(watched, "Database connections", [["AWS/RDS", "DatabaseConnections", *dims]],
                        stat="Maximum"))
        grid.add(_graph(watched, "Free storage (bytes)", [["AWS/RDS", "FreeStorageSpace", *dims]], stat="Minimum"))
        grid.add(_graph(watched, "Read / write latency (s)", [
            ["AWS/RDS", "ReadLatency", *dims, {"label": "read"}],
            ["AWS/RDS", "WriteLatency", *dims, {"label": "write"}]], stat="Average"))
    for proxy in watched.proxies:
        dims = ["ProxyName", proxy]
        grid.header(f"## RDS Proxy `{proxy}`: client and database connections, latency")
        grid.add(_graph(watched, "Proxy connections", [
            ["AWS/RDS", "ClientConnections", *dims, {"label": "client"}],
            ["AWS/RDS", "DatabaseConnections", *dims, {"label": "database"}]], stat="Maximum"), width=8)
        grid.add(_graph(watched, "Proxy latency (µs)", [
            ["AWS/RDS", "QueryDatabaseResponseLatency", *dims, {"label": "query (database response)"}],
            ["AWS/RDS", "DatabaseConnectionsBorrowLatency", *dims, {"label": "borrow a connection"}]],
            stat="Average"), width=8)
        grid.add(_graph(watched, "Proxy connection failures", [
            ["AWS/RDS", "ClientConnectionsSetupFailedAuth", *dims, {"label": "client auth failed"}],
            ["AWS/RDS", "DatabaseConnectionsSetupFailed", *dims, {"label": "database setup failed"}]]), width=8)


def _business_rows(watched: Watched, grid: _Grid) -> None:
    namespace, stage = metric_names.NAMESPACE, metric_names.STAGE
    grid.header(f"## Business metrics (`{namespace}`, {stage}={watched.stage})")
    for name in metric_names.BUSINESS_METRICS:
        if name in metric_names.PER_CHANNEL:
            metrics = [[namespace, name, stage, watched.stage, metric_names.CHANNEL, channel, {"label": channel}]
                       for channel in watched.channels]
            if not metrics:
                continue
        else:
            metrics = [[namespace, name, stage, watched.stage, {"label": name}]]
        grid.add(_graph(watched, name, metrics, period=3600 if name != metric_names.SEARCH_QUERIES else PERIOD),
                 width=6)


def dashboard_body(watched: Watched) -> dict[str, Any]:
    """The dashboard's body (``DashboardBody`` JSON as a dict); raises if it would break CloudWatch's limits."""
    grid = _Grid()
    grid.header(f"# {watched.stage}: read top to bottom. Alarms first, then the API users see, then what serves "
                "it (functions, queues, streams, tables, database), then what users did. Runbook: README, "
                "\"Operating the stack\".")
    for index, part in enumerate(_chunks(watched.alarms, MAX_ALARMS_PER_WIDGET) if watched.alarms else []):
        grid.add({"title": "Alarms" + (f" ({index + 1})" if index else ""), "alarms": list(part),
                  "sortBy": "stateUpdatedTimestamp"}, width=GRID_WIDTH, height=HEIGHT, kind="alarm")
    _api_rows(watched, grid)
    _function_rows(watched, grid)
    _queue_rows(watched, grid)
    _stream_rows(watched, grid)
    _table_rows(watched, grid)
    _database_rows(watched, grid)
    _business_rows(watched, grid)
    body = {"start": "-PT6H", "periodOverride": "inherit", "widgets": grid.widgets}
    check_limits(body)
    return body


def check_limits(body: Mapping[str, Any]) -> None:
    """Refuse a body CloudWatch would refuse (or cut): its size, its widget count, metrics and alarms per widget."""
    size = len(json.dumps(body, sort_keys=True).encode())
    if size > MAX_BODY_BYTES:
        raise ValueError(f"the dashboard body is {size} bytes; CloudWatch takes at most {MAX_BODY_BYTES}")
    widgets = body["widgets"]
    if len(widgets) > MAX_WIDGETS:
        raise ValueError(f"the dashboard has {len(widgets)} widgets; CloudWatch takes at most {MAX_WIDGETS}")
    for widget in widgets:
        properties = widget["properties"]
        if len(properties.get("metrics", [])) > MAX_METRICS_PER_WIDGET:
            raise ValueError(f"widget {properties.get('title')!r} has more than {MAX_METRICS_PER_WIDGET} metrics")
        if len(properties.get("alarms", [])) > MAX_ALARMS_PER_WIDGET:
            raise ValueError(f"widget {properties.get('title')!r} has more than {MAX_ALARMS_PER_WIDGET} alarms")


@dataclass(frozen=True)
class DashboardArgs:
    """What the stack created, by logical name, for the dashboard to name."""

    settings: StackSettings
    plan: AppPlan
    functions: Mapping[str, aws.lambda_.Function]
    queues: Mapping[str, aws.sqs.Queue] = field(default_factory=dict)
    dead_letters: Mapping[str, aws.sqs.Queue] = field(default_factory=dict)  # DLQs and failure queues
    tables: Mapping[str, aws.dynamodb.Table] = field(default_factory=dict)
    rest_api: tuple[pulumi.Input[str], pulumi.Input[str]] | None = None  # (API name, stage name)
    websocket: tuple[pulumi.Input[str], pulumi.Input[str]] | None = None  # (API id, stage name)
    databases: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)  # title -> DB instance identifier
    proxies: Sequence[pulumi.Input[str]] = ()
    channels: tuple[str, ...] = ()
    alarms: Sequence[pulumi.Input[str]] = ()  # ARNs


class Dashboard(pulumi.ComponentResource):
    """One CloudWatch dashboard named like the stack (``social-dev``), generated from the plan and resources."""

    dashboard: aws.cloudwatch.Dashboard
    name: str

    def __init__(self, name: str, args: DashboardArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("social:dashboard:Dashboard", name, None, opts)
        settings = args.settings
        groups = [(group.title, [f.name for f in functions]) for group, functions in function_groups(args.plan)]
        consumers = [(f.trigger.table.name, f.name) for f in args.plan.functions
                     if isinstance(f.trigger, StreamTrigger)]
        # Every name the body needs, resolved together: the body is written once they are all known.
        names: dict[str, pulumi.Input[str]] = {f"function:{n}": args.functions[n].name
                                               for _, members in groups for n in members}
        names |= {f"queue:{n}": q.name for n, q in args.queues.items()}
        names |= {f"dead:{n}": q.name for n, q in args.dead_letters.items()}
        names |= {f"table:{n}": t.name for n, t in args.tables.items()}
        names |= {f"database:{title}": identifier for title, identifier in args.databases.items()}
        names |= {f"proxy:{i}": proxy for i, proxy in enumerate(args.proxies)}
        names |= {f"alarm:{i}": arn for i, arn in enumerate(args.alarms)}
        if args.rest_api is not None:
            names |= {"rest:api": args.rest_api[0], "rest:stage": args.rest_api[1]}
        if args.websocket is not None:
            names |= {"ws:api": args.websocket[0], "ws:stage": args.websocket[1]}

        def body(resolved: dict[str, str]) -> str:
            watched = Watched(
                stage=settings.stack,
                region=settings.region,
                function_groups=tuple((title, tuple(resolved[f"function:{n}"] for n in members))
                                      for title, members in groups),
                stream_consumers=tuple((table, resolved[f"function:{n}"]) for table, n in consumers),
                queues=tuple(resolved[f"queue:{n}"] for n in args.queues),
                dead_letters=tuple(resolved[f"dead:{n}"] for n in args.dead_letters),
                tables=tuple(resolved[f"table:{n}"] for n in args.tables),
                rest_api=(resolved["rest:api"], resolved["rest:stage"]) if args.rest_api is not None else None,
                websocket=(resolved["ws:api"], resolved["ws:stage"]) if args.websocket is not None else None,
                databases=tuple((title, resolved[f"database:{title}"]) for title in args.databases),
                proxies=tuple(resolved[f"proxy:{i}"] for i in range(len(args.proxies))),
                channels=args.channels,
                alarms=tuple(resolved[f"alarm:{i}"] for i in range(len(args.alarms))),
            )
            return json.dumps(dashboard_body(watched), sort_keys=True)

        # Dashboards have no tags; the name carries the project and the stack.
        self.name = settings.namer.prefix
        self.dashboard = aws.cloudwatch.Dashboard(
            settings.namer.name("dashboard"),
            dashboard_name=self.name,
            dashboard_body=pulumi.Output.all(**names).apply(body),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"dashboardName": self.name})
