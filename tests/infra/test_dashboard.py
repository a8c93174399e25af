"""The stack's dashboard: it shows every function, queue, dead letter, table and database the app declares."""

from __future__ import annotations

import json
from typing import Any

import pytest
from chalice.app import Chalice

from app import app as real_app
from chalicelib.core import metric_names
from chalicelib.core.declarations import Manifest
from chalicelib.resources import MANIFEST
from stacks.appgraph import ASYNC_TRIGGERS, StreamTrigger, plan_app
from stacks.dashboard import (
    GRID_WIDTH,
    LATENCY_TARGET_MS,
    MAX_BODY_BYTES,
    MAX_WIDGETS,
    Watched,
    check_limits,
    dashboard_body,
)
from stacks.mocks import Rendering
from tests.infra import fixture_app

DASHBOARD = "aws:cloudwatch/dashboard:Dashboard"
APPS: dict[str, tuple[Chalice, Manifest]] = {
    "dev": (real_app, MANIFEST), "prod": (real_app, MANIFEST),
    "fixture_dev": (fixture_app.app, fixture_app.MANIFEST), "fixture_prod": (fixture_app.app, fixture_app.MANIFEST)}


def body_of(rendering: Rendering) -> dict[str, Any]:
    [dashboard] = rendering.of_type(DASHBOARD)
    body: dict[str, Any] = json.loads(dashboard.inputs["dashboardBody"])
    return body


def metric_lines(body: dict[str, Any]) -> list[list[Any]]:
    """Every metric line of every graph (not the expressions)."""
    return [line for widget in body["widgets"] if widget["type"] == "metric"
            for line in widget["properties"]["metrics"] if isinstance(line[0], str)]


def shown(body: dict[str, Any], namespace: str, metric: str, dimension: str) -> set[str]:
    """The values of ``dimension`` that ``metric`` is graphed for."""
    found = set()
    for line in metric_lines(body):
        if line[0] == namespace and line[1] == metric:
            pairs = [item for item in line[2:] if not isinstance(item, dict)]
            found |= {value for key, value in zip(pairs[::2], pairs[1::2], strict=True) if key == dimension}
    return found


def physical(rendering: Rendering, logical: str) -> str:
    return f"social-{rendering.stack}-{logical.replace('_', '-')}"


@pytest.mark.parametrize("stack", list(APPS))
def test_the_dashboard_shows_every_declared_function_queue_dead_letter_and_table(
        stack: str, request: pytest.FixtureRequest) -> None:
    rendering: Rendering = request.getfixturevalue(stack)
    app, manifest = APPS[stack]
    plan = plan_app(app, manifest)
    body = body_of(rendering)
    functions = {physical(rendering, f.name) for f in plan.functions}
    assert functions == {f.inputs["name"] for f in rendering.of_type("aws:lambda/function:Function")}
    for metric in ("Invocations", "Errors", "Throttles", "Duration", "ConcurrentExecutions"):
        assert shown(body, "AWS/Lambda", metric, "FunctionName") == functions, metric
    queues = {physical(rendering, q.name) + (".fifo" if q.fifo else "") for q in manifest.queues}
    for metric in ("ApproximateAgeOfOldestMessage",):
        assert shown(body, "AWS/SQS", metric, "QueueName") == queues
    dead_letters = ({physical(rendering, q.name) + "-dlq" + (".fifo" if q.fifo else "") for q in manifest.queues}
                    | {physical(rendering, f.name) + "-failures" for f in plan.functions
                       if isinstance(f.trigger, (StreamTrigger, *ASYNC_TRIGGERS))})
    assert shown(body, "AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName") == queues | dead_letters
    tables = {physical(rendering, t.name) for t in manifest.tables}
    for metric in ("ConsumedReadCapacityUnits", "ConsumedWriteCapacityUnits", "ReadThrottleEvents",
                   "WriteThrottleEvents"):
        assert shown(body, "AWS/DynamoDB", metric, "TableName") == tables, metric
    consumers = {physical(rendering, f.name) for f in plan.functions if isinstance(f.trigger, StreamTrigger)}
    assert shown(body, "AWS/Lambda", "IteratorAge", "FunctionName") == consumers


@pytest.mark.parametrize("stack", ["prod", "fixture_prod"])
def test_prod_shows_its_own_database_and_proxy(stack: str, request: pytest.FixtureRequest) -> None:
    rendering: Rendering = request.getfixturevalue(stack)
    body = body_of(rendering)
    instances = {i.outputs["identifier"] for i in rendering.of_type("aws:rds/instance:Instance")}
    assert len(instances) == len(APPS[stack][1].databases)
    for metric in ("CPUUtilization", "DatabaseConnections", "FreeStorageSpace", "ReadLatency", "WriteLatency"):
        assert shown(body, "AWS/RDS", metric, "DBInstanceIdentifier") == instances, metric
    proxies = {p.inputs["name"] for p in rendering.of_type("aws:rds/proxy:Proxy")}
    assert proxies
    for metric in ("ClientConnections", "DatabaseConnections", "QueryDatabaseResponseLatency",
                   "DatabaseConnectionsBorrowLatency"):
        assert shown(body, "AWS/RDS", metric, "ProxyName") == proxies, metric


def test_dev_shows_the_shared_server_and_no_proxy(dev: Rendering) -> None:
    body = body_of(dev)
    assert not dev.of_type("aws:rds/instance:Instance") and not dev.of_type("aws:rds/proxy:Proxy")
    # The account stack's server (mocked: stacks/mocks.py's account_outputs), named by its host's first label.
    assert shown(body, "AWS/RDS", "CPUUtilization", "DBInstanceIdentifier") == {"social-account-us-east-1-shared-db"}
    assert shown(body, "AWS/RDS", "ClientConnections", "ProxyName") == set()
    assert not any("Proxy" in w["properties"].get("title", "") for w in body["widgets"])


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_api_row_comes_first_with_latency_percentiles_and_error_rates(stack: str,
                                                                          request: pytest.FixtureRequest) -> None:
    rendering: Rendering = request.getfixturevalue(stack)
    body = body_of(rendering)
    graphs = [w for w in body["widgets"] if w["type"] == "metric"]
    latency, rates = graphs[0]["properties"], graphs[1]["properties"]
    [api] = rendering.of_type("aws:apigateway/restApi:RestApi")
    [stage] = rendering.of_type("aws:apigateway/stage:Stage")
    dims = ["ApiName", api.inputs["name"], "Stage", stage.inputs["stageName"]]
    assert [(line[1], line[2:6], line[6]["stat"]) for line in latency["metrics"]] == [
        ("Latency", dims, "p50"), ("Latency", dims, "p95"), ("Latency", dims, "p99")]
    assert latency["annotations"]["horizontal"][0]["value"] == LATENCY_TARGET_MS == 200
    expressions = {line[0]["id"]: line[0]["expression"] for line in rates["metrics"] if isinstance(line[0], dict)}
    assert expressions == {"rate4": "100 * errors4 / requests", "rate5": "100 * errors5 / requests"}
    inputs = {line[-1]["id"]: line[:-1] for line in rates["metrics"] if isinstance(line[0], str)}
    assert inputs == {"requests": ["AWS/ApiGateway", "Count", *dims], "errors4": ["AWS/ApiGateway", "4XXError", *dims],
                      "errors5": ["AWS/ApiGateway", "5XXError", *dims]}
    # Above the API: the status of every alarm, composite included.
    [status] = [w for w in body["widgets"] if w["type"] == "alarm"]
    arns = {a.outputs["arn"] for a in rendering.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")}
    arns |= {a.outputs["arn"] for a in rendering.of_type("aws:cloudwatch/compositeAlarm:CompositeAlarm")}
    assert set(status["properties"]["alarms"]) == arns and status["y"] < graphs[0]["y"]
    [websocket] = rendering.of_type("aws:apigatewayv2/api:Api")
    assert shown(body, "AWS/ApiGateway", "MessageCount", "ApiId") == {websocket.outputs["id"]}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_business_metrics_are_graphed_for_the_stage(stack: str, request: pytest.FixtureRequest) -> None:
    body = body_of(request.getfixturevalue(stack))
    for name in metric_names.BUSINESS_METRICS:
        assert shown(body, metric_names.NAMESPACE, name, metric_names.STAGE) == {stack}, name
    channels = {c for q in MANIFEST.queues for s in q.subscriptions for c in s.channels}
    assert channels == {"email", "push", "realtime"}
    assert shown(body, metric_names.NAMESPACE, metric_names.NOTIFICATIONS_SENT, metric_names.CHANNEL) == channels


@pytest.mark.parametrize("stack", ["dev", "prod", "fixture_dev"])
def test_the_body_fits_cloudwatch_and_its_grid(stack: str, request: pytest.FixtureRequest) -> None:
    rendering: Rendering = request.getfixturevalue(stack)
    [dashboard] = rendering.of_type(DASHBOARD)
    assert dashboard.inputs["dashboardName"] == f"social-{rendering.stack}"
    assert len(dashboard.inputs["dashboardBody"].encode()) < MAX_BODY_BYTES / 10
    body = body_of(rendering)
    assert len(body["widgets"]) < MAX_WIDGETS
    cells: set[tuple[int, int]] = set()
    for widget in body["widgets"]:
        assert widget["x"] + widget["width"] <= GRID_WIDTH
        area = {(widget["x"] + dx, widget["y"] + dy) for dx in range(widget["width"]) for dy in range(widget["height"])}
        assert not area & cells, widget["properties"].get("title")  # no widget hides another
        cells |= area


def test_a_body_cloudwatch_would_refuse_is_refused_before_deploying() -> None:
    many = tuple(f"social-dev-function-{i}" for i in range(5000))
    with pytest.raises(ValueError, match="bytes"):
        dashboard_body(Watched(stage="dev", region="us-east-1", function_groups=(("Workers", many),)))
    with pytest.raises(ValueError, match="widgets"):
        check_limits({"widgets": [{"properties": {}}] * (MAX_WIDGETS + 1)})
    too_many_lines = {"widgets": [{"properties": {"title": "t", "metrics": [["AWS/SQS", "m"]] * 501}}]}
    with pytest.raises(ValueError, match="metrics"):
        check_limits(too_many_lines)
    # A graph of many functions is split into readable graphs, well under the limit.
    body = dashboard_body(Watched(stage="dev", region="us-east-1", function_groups=(("Workers", many[:100]),)))
    errors = [w for w in body["widgets"] if w["properties"].get("title", "").startswith("Workers: Errors")]
    assert len(errors) == 3 and sum(len(w["properties"]["metrics"]) for w in errors) == 100


def test_previews_have_no_dashboard(preview: Rendering) -> None:
    assert not preview.of_type(DASHBOARD)
