"""The cost model (`make cost`): the price table, the load model and the estimate over real renderings."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from stacks.mocks import RecordedResource, Rendering, render
from tools.cost import main
from tools.pricing import IDLE, LAUNCH, PriceTable, PriceTableError, estimate_cost, unpriced_types
from tools.pricing.inventory import Inventory, runs_per_month
from tools.pricing.kinds import MODELS, alarm_metrics
from tools.pricing.load import HOURS_PER_MONTH

PRICES = PriceTable.load()


def cost(rendering: Rendering, launch_dau: float = LAUNCH.daily_active_users) -> dict[str, float]:
    estimate = estimate_cost(rendering.custom, PRICES, (IDLE, replace(LAUNCH, daily_active_users=launch_dau)))
    assert not estimate.unpriced, estimate.unpriced
    return {"idle": estimate.total("idle"), "launch": estimate.total("launch")}


def line(rendering: Rendering, kind: str, load: str = "idle") -> float:
    estimate = estimate_cost(rendering.custom, PRICES, (IDLE, LAUNCH))
    return next(item.usd[load] for item in estimate.lines if item.kind == kind)


def fake(type_token: str, name: str, inputs: dict[str, Any] | None = None) -> RecordedResource:
    """A resource the real stacks do not render (yet), for the cases they cannot show."""
    return RecordedResource(type_token, name, inputs or {}, {})


def assert_every_type_priced(rendering: Rendering) -> None:
    missing = unpriced_types(rendering.custom, PRICES)
    assert not missing, f"types neither priced nor declared free in tools/prices.toml: {dict(missing)}"


# ---- the price table ----------------------------------------------------------------------------

def test_the_price_table_states_its_date_and_source_for_every_price() -> None:
    assert PRICES.date and PRICES.source and PRICES.region == "us-east-1"
    assert "check before relying" in PRICES.note and "us-east-1" in PRICES.note
    for price in PRICES.prices.values():
        assert price.source.startswith("https://aws.amazon.com/"), price.key
        assert price.date, price.key


def test_every_model_the_table_names_exists_and_every_model_is_used() -> None:
    named = {rule.model for rule in PRICES.types.values() if rule.model}
    assert named == set(MODELS)


def test_a_price_without_a_source_is_refused() -> None:
    with pytest.raises(PriceTableError, match=r"prices\.nat_gateway_hour needs source"):
        PriceTable.parse({"meta": {"region": "r", "currency": "USD", "date": "d", "source": "s", "note": "n"},
                          "prices": {"nat_gateway_hour": {"usd": 0.045, "per": 1, "unit": "hour", "date": "d"}}})


def test_a_free_tier_is_subtracted_only_where_the_table_applies_it() -> None:
    assert PRICES.cost("lambda_requests", 1_000_000) == pytest.approx(0.20)  # stated, not applied
    assert PRICES.cost("cognito_essentials_mau", 10_000) == 0.0  # applied: first 10,000 MAU
    assert PRICES.cost("cognito_essentials_mau", 12_000) == pytest.approx(30.0)


# ---- coverage: nothing in a stack is silently zero ----------------------------------------------

def test_every_type_the_stacks_create_is_priced_or_declared_free(any_rendering: Rendering) -> None:
    # The real app and the fixture app (every handler kind: buckets, WebSocket...) on dev, prod and a preview.
    assert_every_type_priced(any_rendering)
    assert not estimate_cost(any_rendering.custom, PRICES, (IDLE, LAUNCH)).unpriced


def test_a_type_missing_from_the_table_fails_coverage_and_is_reported_unpriced(dev: Rendering) -> None:
    # (the search domain, this test's first example, is priced now: a cache cluster stands in for a new type)
    unknown = fake("aws:elasticache/cluster:Cluster", "cache", {"nodeType": "cache.t4g.micro"})
    with_domain = Rendering("dev", [*dev.custom, unknown])
    with pytest.raises(AssertionError, match="aws:elasticache/cluster:Cluster"):
        assert_every_type_priced(with_domain)
    estimate = estimate_cost(with_domain.custom, PRICES, (IDLE, LAUNCH))
    assert [(u.kind, u.count) for u in estimate.unpriced] == [("aws:elasticache/cluster:Cluster", 1)]
    assert estimate.total("idle") == pytest.approx(cost(dev)["idle"])


def test_an_instance_class_the_table_lacks_is_unpriced_not_zero() -> None:
    db = fake("aws:rds/instance:Instance", "db", {"engine": "postgres", "instanceClass": "db.r7g.large",
                                                    "allocatedStorage": 20})
    estimate = estimate_cost([db], PRICES, (IDLE,))
    assert [u.kind for u in estimate.unpriced] == ["rds:Instance"]
    assert "db.r7g.large" in estimate.unpriced[0].reason


def test_a_stack_reference_costs_nothing_and_is_not_unpriced() -> None:
    reference = fake("pulumi:pulumi:StackReference", "account", {"name": "org/social/account-us-east-1"})
    estimate = estimate_cost([reference], PRICES, (IDLE, LAUNCH))
    assert not estimate.unpriced and estimate.total("launch") == 0.0
    assert estimate.free == {"pulumi:pulumi:StackReference": 1}


# ---- the estimates ------------------------------------------------------------------------------

@pytest.mark.parametrize("stack", ["dev", "prod", "preview"])
def test_totals_are_positive_and_launch_costs_more_than_idle(stack: str, request: pytest.FixtureRequest) -> None:
    totals = cost(request.getfixturevalue(stack))
    assert 0 < totals["idle"] < totals["launch"]


def test_a_preview_without_nat_costs_less_than_dev(dev: Rendering, preview: Rendering) -> None:
    assert not preview.of_type("aws:ec2/natGateway:NatGateway")
    dev_cost, preview_cost = cost(dev), cost(preview)
    assert preview_cost["idle"] < dev_cost["idle"]
    assert preview_cost["launch"] < dev_cost["launch"]


def test_doubling_daily_active_users_raises_the_launch_cost_not_the_idle_one(prod: Rendering) -> None:
    single, double = cost(prod), cost(prod, launch_dau=2 * LAUNCH.daily_active_users)
    assert double["launch"] > single["launch"]
    assert double["idle"] == single["idle"]


def test_idle_is_the_hourly_and_monthly_fixed_costs_only(prod: Rendering) -> None:
    # Two NAT gateways by the hour, their two public addresses (plus what the schedules in the VPC send
    # through them when idle, the ledger's outbox relay every minute among them: a fraction of a cent).
    assert line(prod, "ec2:NatGateway") == pytest.approx(2 * HOURS_PER_MONTH * 0.045, abs=0.01)
    assert line(prod, "ec2:Eip") == pytest.approx(2 * HOURS_PER_MONTH * 0.005)
    assert line(prod, "apigateway:RestApi") == 0.0 and line(prod, "cognito:UserPool") == 0.0
    # An alarm is billed per metric it reads: a metric math alarm over ten metrics as ten.
    alarms = prod.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
    assert line(prod, "cloudwatch:MetricAlarm") == pytest.approx(0.10 * sum(alarm_metrics(a) for a in alarms))
    assert sum(alarm_metrics(a) for a in alarms) > len(alarms)
    assert line(prod, "cloudwatch:CompositeAlarm") == pytest.approx(0.50)
    assert line(prod, "cloudwatch:Dashboard") == pytest.approx(3.00)


def test_multi_az_doubles_the_database_instance_and_storage() -> None:
    single = render("prod", {"dbMultiAz": "false"})
    multi = render("prod", {"dbMultiAz": "true"})
    assert line(multi, "rds:Instance") == pytest.approx(2 * line(single, "rds:Instance"))


def test_interface_endpoints_are_charged_per_subnet(prod: Rendering) -> None:
    # Each interface endpoint is billed per AZ (one network interface per subnet) and hour: three AZs cost
    # half as much again as two.
    per_endpoint = {}
    for rendering in (prod, render("prod", {"availabilityZones": 3, "natGateways": 3})):
        interface = [e for e in rendering.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
                     if e.inputs["vpcEndpointType"] == "Interface"]
        eni = sum(len(e.inputs["subnetIds"]) for e in interface)
        per_endpoint[eni // len(interface)] = line(rendering, "ec2:VpcEndpoint") / len(interface)
        # (plus the GB processed: Secrets Manager's few kilobytes per call, a fraction of a cent)
        assert line(rendering, "ec2:VpcEndpoint") == pytest.approx(eni * HOURS_PER_MONTH * 0.01, abs=0.01)
    assert per_endpoint[3] == pytest.approx(1.5 * per_endpoint[2], abs=0.01)  # the same GB processed in both


def test_an_api_split_in_two_sends_the_ledger_share_to_the_function_in_the_vpc() -> None:
    def function(name: str, vpc: bool) -> RecordedResource:
        inputs: dict[str, Any] = {"name": name, "memorySize": 1024}
        if vpc:
            inputs["vpcConfig"] = {"subnetIds": ["subnet-a", "subnet-b"]}
        return fake("aws:lambda/function:Function", name, inputs)

    def permission(name: str) -> RecordedResource:
        return fake("aws:lambda/permission:Permission", f"{name}-invoke",
                    {"function": name, "principal": "apigateway.amazonaws.com"})

    resources = [function("api", False), function("ledger-api", True), permission("api"), permission("ledger-api")]
    estimate = estimate_cost(resources, PRICES, (LAUNCH,))
    requests = LAUNCH.per_month(LAUNCH.api_requests_per_dau)
    expected_seconds = requests * LAUNCH.api_duration_ms / 1000  # 1 GB each, whichever function serves it
    [lam] = [item for item in estimate.lines if item.kind == "lambda:Function"]
    assert lam.usd["launch"] == pytest.approx(PRICES.cost("lambda_requests", requests)
                                              + PRICES.cost("lambda_gb_seconds_x86_64", expected_seconds))
    inventory = Inventory(resources)
    assert inventory.api_share("ledger-api", LAUNCH) == pytest.approx(LAUNCH.ledger_request_share)
    assert inventory.api_share("api", LAUNCH) == pytest.approx(1 - LAUNCH.ledger_request_share)


def test_a_schedule_firing_every_minute_is_billed_as_a_poller_and_an_hourly_one_as_a_scan() -> None:
    def scheduled(name: str, expression: str) -> list[RecordedResource]:
        return [fake("aws:lambda/function:Function", name, {"name": name, "memorySize": 1024}),
                fake("aws:cloudwatch/eventRule:EventRule", f"{name}-rule",
                     {"name": f"{name}-rule", "scheduleExpression": expression}),
                fake("aws:cloudwatch/eventTarget:EventTarget", f"{name}-target",
                     {"rule": f"{name}-rule", "arn": f"arn:aws:lambda:us-east-1:1:function:{name}"})]

    inventory = Inventory([*scheduled("relay", "rate(1 minute)"), *scheduled("reconcile", "rate(1 hour)")])
    relay, reconcile = (inventory.invocations(inventory.functions[n], IDLE) for n in ("relay", "reconcile"))
    assert relay.by_trigger == {"poll": pytest.approx(runs_per_month("rate(1 minute)"))}
    assert relay.duration_seconds(IDLE) == pytest.approx(relay.total * IDLE.event_duration_ms / 1000)
    assert reconcile.duration_seconds(IDLE) == pytest.approx(reconcile.total * IDLE.scheduled_duration_ms / 1000)


def test_functions_on_graviton_pay_a_fifth_less_per_gb_second_than_on_x86_64(prod: Rendering) -> None:
    arm_rate, x86_rate = (PRICES.price(f"lambda_gb_seconds_{a}").usd for a in ("arm64", "x86_64"))
    assert arm_rate == pytest.approx(0.8 * x86_rate, rel=1e-4)  # AWS's list prices, tools/prices.toml
    functions = prod.of_type("aws:lambda/function:Function")
    assert functions and {tuple(f.inputs["architectures"]) for f in functions} == {("arm64",)}
    on_x86 = [replace(r, inputs={**r.inputs, "architectures": ["x86_64"]}) if r in functions else r
              for r in prod.custom]

    def lambda_line(resources: list[RecordedResource]) -> float:
        lines = estimate_cost(resources, PRICES, (LAUNCH,)).lines
        return next(item.usd["launch"] for item in lines if item.kind == "lambda:Function")

    inventory = Inventory(prod.custom)
    requests = PRICES.cost("lambda_requests", sum(inventory.invocations(f, LAUNCH).total for f in functions))
    arm, x86 = lambda_line(prod.custom), lambda_line(on_x86)
    assert arm == pytest.approx(requests + 0.8 * (x86 - requests), rel=1e-4)  # requests cost the same on both
    assert x86 - arm > 5  # dollars a month at launch: prod's compute is not negligible


def test_cognito_bills_only_the_users_beyond_the_free_tier_on_the_pools_tier() -> None:
    pool = fake("aws:cognito/userPool:UserPool", "users", {"name": "users"})
    lite = fake("aws:cognito/userPool:UserPool", "users", {"name": "users", "userPoolTier": "LITE"})
    mau = LAUNCH.monthly_active_users
    essentials = estimate_cost([pool], PRICES, (LAUNCH,)).total("launch")
    assert essentials == pytest.approx((mau - 10_000) * 0.015)
    assert estimate_cost([lite], PRICES, (LAUNCH,)).total("launch") < essentials
    small = replace(LAUNCH, daily_active_users=3_000)  # 7,500 MAU: inside the free tier
    assert estimate_cost([pool], PRICES, (small,)).total("launch") == 0.0


@pytest.mark.parametrize(("expression", "runs"), [
    ("rate(1 hour)", HOURS_PER_MONTH), ("rate(5 minutes)", HOURS_PER_MONTH * 12), ("rate(1 day)", 30.4),
    ("cron(0 0 ? * MON *)", 30.4 / 7), ("cron(0 20 * * ? *)", 30.4), ("cron(0/15 * * * ? *)", 30.4 * 96),
])
def test_schedules_run_as_often_as_their_expression_says(expression: str, runs: float) -> None:
    assert runs_per_month(expression) == pytest.approx(runs)


# ---- the command ----------------------------------------------------------------------------------

def test_cost_prints_a_table_per_kind_totals_and_the_seeds_figure(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--stack", "prod"]) == 0
    out = capsys.readouterr().out
    assert "IDLE $/MO" in out and "LAUNCH $/MO" in out
    for kind in ("ec2:NatGateway", "rds:Instance", "rds:Proxy", "lambda:Function", "dynamodb:Table", "TOTAL"):
        assert kind in out, kind
    assert "$200-500/month" in out and "check before relying" in out and "Unpriced: none" in out
    assert "At launch: $" in out and "biggest: " in out


def test_cost_json_agrees_with_the_estimate_and_share_divides_it(prod: Rendering,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--stack", "prod", "--json"]) == 0
    whole = json.loads(capsys.readouterr().out)
    assert whole["totals"]["launch"] == pytest.approx(cost(prod)["launch"], abs=0.01)
    assert whole["prices"]["date"] and whole["prices"]["source"] and whole["unpriced"] == []
    assert whole["assumptions"]["launch"]["daily_active_users"] == 10_000
    assert main(["--stack", "prod", "--json", "--share", "4"]) == 0
    quarter = json.loads(capsys.readouterr().out)
    assert quarter["totals"]["idle"] == pytest.approx(whole["totals"]["idle"] / 4, abs=0.01)


def test_a_stack_that_cannot_render_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--stack", "staging"]) == 2
    err = capsys.readouterr().err
    assert "staging" in err and "cannot be rendered" in err


def test_the_account_stack_carries_the_shared_fixed_costs(capsys: pytest.CaptureFixture[str]) -> None:
    account = render("account-us-east-1")
    assert line(account, "ec2:NatGateway") == pytest.approx(HOURS_PER_MONTH * 0.045)
    assert line(account, "rds:Instance") > 0 and not account.of_type("aws:rds/proxy:Proxy")


def test_a_preview_idles_under_five_dollars_with_no_alarms_while_dev_keeps_them(dev: Rendering,
                                                                               preview: Rendering) -> None:
    # A disposable stack pages nobody: its 56 alarms were $5.60 of a $10.12 idle month.
    assert not preview.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
    assert dev.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
    assert cost(preview)["idle"] < 5.0
