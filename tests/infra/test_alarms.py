"""The alarms: what each watches, when it fires, that it notifies the alarm topic and says what to do."""

from __future__ import annotations

import re
from typing import Any

import pytest

from app import app as real_app
from chalicelib.resources import MANIFEST
from stacks.appgraph import StreamTrigger, plan_app
from stacks.mocks import RecordedResource, Rendering
from stacks.observability import free_storage_threshold, max_connections
from stacks.settings import StackSettings
from tests.infra.conftest import arn_of

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
COMPOSITE = "aws:cloudwatch/compositeAlarm:CompositeAlarm"
PLAN = plan_app(real_app, MANIFEST)


def alarms(rendering: Rendering) -> dict[str, RecordedResource]:
    return {a.inputs["name"].removeprefix(f"social-{rendering.stack}-"): a for a in rendering.of_type(ALARM)}


def queries(alarm: RecordedResource) -> dict[str, dict[str, Any]]:
    return {q["id"]: q for q in alarm.inputs.get("metricQueries") or []}


def watched(alarm: RecordedResource, dimension: str) -> set[str]:
    """The values of ``dimension`` an alarm reads, whether one metric or metric math over several."""
    if "dimensions" in alarm.inputs:
        return {alarm.inputs["dimensions"][dimension]}
    return {q["metric"]["dimensions"][dimension] for q in queries(alarm).values() if "metric" in q}


@pytest.mark.parametrize("stack", ["dev", "prod", "fixture_dev"])
def test_every_alarm_notifies_the_topic_and_says_what_to_do(stack: str, request: pytest.FixtureRequest) -> None:
    rendering: Rendering = request.getfixturevalue(stack)
    topic = arn_of(rendering.named(f"social-{rendering.stack}-alarms"))
    everything = rendering.of_type(ALARM) + rendering.of_type(COMPOSITE)
    assert len(everything) > len(rendering.of_type("aws:lambda/function:Function"))
    for alarm in everything:
        assert alarm.inputs["alarmActions"] == [topic] and alarm.inputs["okActions"] == [topic], alarm.name
        description = alarm.inputs["alarmDescription"]
        meaning, _, runbook = description.partition("Runbook: ")
        assert meaning.strip() and len(runbook) > 40 and len(description) <= 1024, alarm.name


def test_prod_pages_someone(prod: Rendering) -> None:
    [subscription] = [s for s in prod.of_type("aws:sns/topicSubscription:TopicSubscription")
                      if s.inputs["protocol"] == "email"]
    assert subscription.inputs["topic"] == arn_of(prod.named("social-prod-alarms"))
    assert subscription.inputs["endpoint"] == "oncall@example.org"  # Pulumi.prod.yaml's (a placeholder up refuses)


def test_the_api_5xx_rate_is_a_percentage_of_enough_requests(dev: Rendering) -> None:
    alarm = alarms(dev)["api-5xx-rate"]
    [api] = dev.of_type("aws:apigateway/restApi:RestApi")
    found = queries(alarm)
    assert {q: found[q]["metric"]["metricName"] for q in ("requests", "errors")} == {
        "requests": "Count", "errors": "5XXError"}
    for query in ("requests", "errors"):
        metric = found[query]["metric"]
        assert metric["dimensions"] == {"ApiName": api.inputs["name"], "Stage": "api"}
        assert (metric["namespace"], metric["stat"], metric["period"]) == ("AWS/ApiGateway", "Sum", 300)
    minimum = int(re.search(r"requests >= (\d+)", found["rate"]["expression"]).group(1))  # type: ignore[union-attr]
    assert found["rate"]["returnData"] is True and "100 * errors / requests" in found["rate"]["expression"]
    assert minimum >= 20  # one error among a handful of requests is no 1% rate
    assert (alarm.inputs["threshold"], alarm.inputs["comparisonOperator"]) == (1.0, "GreaterThanThreshold")
    assert alarm.inputs["evaluationPeriods"] == 1 and alarm.inputs["treatMissingData"] == "notBreaching"


def test_api_latency_fires_on_p95_over_200_ms_for_3_of_5_minutes(dev: Rendering) -> None:
    alarm = alarms(dev)["api-latency-p95"].inputs
    assert (alarm["namespace"], alarm["metricName"], alarm["extendedStatistic"]) == ("AWS/ApiGateway", "Latency", "p95")
    assert (alarm["threshold"], alarm["comparisonOperator"]) == (200, "GreaterThanThreshold")
    assert (alarm["period"], alarm["evaluationPeriods"], alarm["datapointsToAlarm"]) == (60, 5, 3)
    assert alarm["treatMissingData"] == "notBreaching"


def test_api_degraded_is_any_of_5xx_latency_or_the_api_functions_throttles(dev: Rendering) -> None:
    [composite] = dev.of_type(COMPOSITE)
    named = alarms(dev)
    members = set(re.findall(r'ALARM\("([^"]+)"\)', composite.inputs["alarmRule"]))
    assert members == {named[n].inputs["name"] for n in ("api-5xx-rate", "api-latency-p95", "throttles-api")}
    assert composite.inputs["alarmRule"].count(" OR ") == 2 and " AND " not in composite.inputs["alarmRule"]
    assert composite.inputs["alarmName"] == "social-dev-api-degraded"
    api_functions = {f"social-dev-{f.name.replace('_', '-')}" for f in PLAN.apis}
    assert watched(named["throttles-api"], "FunctionName") == api_functions


def test_every_function_is_in_a_throttles_alarm_of_at_most_ten_metrics(dev: Rendering) -> None:
    throttles = [a for name, a in alarms(dev).items() if name.startswith("throttles-")]
    covered: list[str] = []
    for alarm in throttles:
        found = queries(alarm)
        metrics = [q["metric"] for q in found.values() if "metric" in q]
        assert 0 < len(metrics) <= 10 and {m["metricName"] for m in metrics} == {"Throttles"}
        assert [q["expression"] for q in found.values() if "expression" in q] == [
            f"SUM([{', '.join(f'm{i}' for i in range(len(metrics)))}])"]
        assert (alarm.inputs["threshold"], alarm.inputs["comparisonOperator"]) == (0, "GreaterThanThreshold")
        covered += [m["dimensions"]["FunctionName"] for m in metrics]
    assert sorted(covered) == sorted(f.inputs["name"] for f in dev.of_type("aws:lambda/function:Function"))


def test_every_table_is_in_a_dynamodb_throttles_alarm(dev: Rendering) -> None:
    throttles = [a for name, a in alarms(dev).items() if name.startswith("dynamodb-throttles")]
    tables = set().union(*(watched(a, "TableName") for a in throttles))
    assert tables == {f"social-dev-{t.name}" for t in MANIFEST.tables}
    for alarm in throttles:
        metrics = {(q["metric"]["dimensions"]["TableName"], q["metric"]["metricName"])
                   for q in queries(alarm).values() if "metric" in q}
        assert len(metrics) <= 10
        assert {m for _, m in metrics} == {"ReadThrottleEvents", "WriteThrottleEvents"}
        assert alarm.inputs["threshold"] == 0


def test_each_stream_consumer_alarms_when_a_minute_behind(dev: Rendering) -> None:
    consumers = [f for f in PLAN.functions if isinstance(f.trigger, StreamTrigger)]
    assert consumers
    named = alarms(dev)
    for function in consumers:
        alarm = named[f"{function.name.replace('_', '-')}-iterator-age"].inputs
        assert alarm["dimensions"] == {"FunctionName": f"social-dev-{function.name.replace('_', '-')}"}
        assert (alarm["metricName"], alarm["statistic"]) == ("IteratorAge", "Maximum")
        assert (alarm["threshold"], alarm["comparisonOperator"]) == (60_000, "GreaterThanThreshold")
    assert len([n for n in named if n.endswith("-iterator-age")]) == len(consumers)


def test_the_ledger_and_dead_letters_still_page(dev: Rendering) -> None:
    named = alarms(dev)
    ledger = named["ledger-mismatches"].inputs
    assert (ledger["namespace"], ledger["metricName"], ledger["dimensions"]) == (
        "Social/Ledger", "LedgerMismatches", {"Stage": "dev"})
    dead = [a for n, a in named.items() if n.endswith("-dead-letters")]
    assert {a.inputs["dimensions"]["QueueName"] for a in dead} == (
        {f"social-dev-{q.name}-dlq" for q in MANIFEST.queues} | {
            q.inputs["name"] for q in dev.of_type("aws:sqs/queue:Queue") if q.inputs["name"].endswith("-failures")})


def test_prod_watches_its_database_and_proxy(prod: Rendering) -> None:
    named = alarms(prod)
    [instance] = prod.of_type("aws:rds/instance:Instance")
    [proxy] = prod.of_type("aws:rds/proxy:Proxy")
    server = {"DBInstanceIdentifier": instance.outputs["identifier"]}
    settings = StackSettings(stack="prod", environment="prod", alarm_email="a@b.io", shared_network=False)
    cpu, connections, storage = (named[f"ledger-db-{n}"].inputs for n in ("cpu", "connections", "free-storage"))
    assert (cpu["metricName"], cpu["dimensions"], cpu["threshold"], cpu["comparisonOperator"]) == (
        "CPUUtilization", server, 80, "GreaterThanThreshold")
    assert instance.inputs["instanceClass"] == "db.t4g.small" == settings.db_instance_class
    assert (connections["metricName"], connections["dimensions"]) == ("DatabaseConnections", server)
    assert connections["threshold"] == int(0.8 * max_connections("db.t4g.small")) == 158
    assert (storage["metricName"], storage["dimensions"], storage["comparisonOperator"]) == (
        "FreeStorageSpace", server, "LessThanThreshold")
    assert storage["threshold"] == free_storage_threshold(instance.inputs["allocatedStorage"]) == 2 * 2**30
    assert free_storage_threshold(100) == 10 * 10**9  # 10% once that is more than 2 GiB
    borrow, auth = named["ledger-proxy-borrow-latency"].inputs, named["ledger-proxy-auth-failures"].inputs
    assert borrow["dimensions"] == auth["dimensions"] == {"ProxyName": proxy.inputs["name"]}
    assert (borrow["metricName"], borrow["threshold"]) == ("DatabaseConnectionsBorrowLatency", 100_000)  # µs
    assert (auth["metricName"], auth["threshold"]) == ("ClientConnectionsSetupFailedAuth", 0)


def test_dev_does_not_alarm_on_the_shared_server(dev: Rendering) -> None:
    # The account's server is dev's and every preview's: no one stack's alarms speak for it.
    names = set(alarms(dev))
    assert not {n for n in names if "-db-" in n or "proxy" in n}


def test_max_connections_follows_the_instance_class_and_refuses_an_unknown_one() -> None:
    assert max_connections("db.t4g.micro") < max_connections("db.t4g.small") < max_connections("db.t4g.medium")
    with pytest.raises(ValueError, match="INSTANCE_MEMORY_GIB"):
        max_connections("db.x2g.large")


def test_previews_have_no_alarms(preview: Rendering) -> None:
    assert not preview.of_type(ALARM) and not preview.of_type(COMPOSITE)
