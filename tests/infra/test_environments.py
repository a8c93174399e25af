"""Settings per environment: previews are cheap and carry their stack name, prod is protected."""

from __future__ import annotations

import pulumi
import pytest

from chalicelib.resources import MANIFEST
from stacks.mocks import Rendering, render
from stacks.settings import SettingsError, StackSettings, environment_of
from tests.infra.conftest import FUNCTION, PREVIEW, TABLE

# Types whose AWS API takes tags (everything else is a sub-resource of one of these).
TAGGABLE = {"aws:dynamodb/table:Table", "aws:sqs/queue:Queue", "aws:sns/topic:Topic", "aws:s3/bucket:Bucket",
            "aws:lambda/function:Function", "aws:iam/role:Role", "aws:cloudwatch/logGroup:LogGroup",
            "aws:cognito/userPool:UserPool", "aws:cognito/identityPool:IdentityPool",
            "aws:apigateway/restApi:RestApi", "aws:apigateway/stage:Stage", "aws:apigatewayv2/api:Api",
            "aws:apigatewayv2/stage:Stage", "aws:cloudwatch/eventRule:EventRule",
            "aws:cloudwatch/metricAlarm:MetricAlarm"}


# Names that live inside a parent that carries the stack name, and that the app or clients rely on
# verbatim: a Cognito group ('admins') and the WebSocket stage (a URL path segment).
# Names scoped by something that carries the stack already, and the account stack's name, which is shared.
SCOPED_NAMES = {"aws:cognito/userGroup:UserGroup", "aws:apigatewayv2/stage:Stage", "pulumi:pulumi:StackReference"}


@pytest.mark.parametrize("stack", ["preview", "fixture_preview"])
def test_preview_resources_carry_the_stack_name_in_name_and_tags(stack: str, request: pytest.FixtureRequest) -> None:
    rendering: Rendering = request.getfixturevalue(stack)
    for resource in rendering.resources:
        assert PREVIEW in resource.name, resource.name
        physical = resource.inputs.get("name")
        if isinstance(physical, str) and resource.type not in SCOPED_NAMES:
            assert PREVIEW in physical, (resource.type, physical)
    taggable = [r for r in rendering.custom if r.type in TAGGABLE]
    assert len(taggable) >= 10
    for resource in taggable:
        assert resource.inputs.get("tags", {}).get("stack") == PREVIEW, resource.name
        assert resource.inputs["tags"]["environment"] == "preview"


@pytest.mark.parametrize("stack", ["preview", "fixture_preview"])
def test_previews_cost_as_little_as_aws_allows(stack: str, request: pytest.FixtureRequest) -> None:
    rendering: Rendering = request.getfixturevalue(stack)
    for table in rendering.of_type(TABLE):
        assert table.inputs["pointInTimeRecovery"] == {"enabled": False}
        assert table.inputs["deletionProtectionEnabled"] is False
    assert {g.inputs["retentionInDays"] for g in rendering.of_type("aws:cloudwatch/logGroup:LogGroup")} == {1}
    assert all(b.inputs["forceDestroy"] is True for b in rendering.of_type("aws:s3/bucket:Bucket"))
    [pool] = rendering.of_type("aws:cognito/userPool:UserPool")
    assert pool.inputs["deletionProtection"] == "INACTIVE"


def test_prod_is_protected_and_bigger(prod: Rendering, dev: Rendering) -> None:
    tables = prod.of_type(TABLE)
    assert len(tables) == len(MANIFEST.tables)
    for table in tables:
        assert table.inputs["deletionProtectionEnabled"] is True, table.name
        assert table.inputs["pointInTimeRecovery"] == {"enabled": True}, table.name
        assert table.inputs["serverSideEncryption"] == {"enabled": True}, table.name
    [pool] = prod.of_type("aws:cognito/userPool:UserPool")
    assert (pool.inputs["deletionProtection"], pool.inputs["mfaConfiguration"]) == ("ACTIVE", "OPTIONAL")
    functions, dev_functions = prod.of_type(FUNCTION), dev.of_type(FUNCTION)
    assert functions and len(functions) == len(dev_functions)
    routes = [f for f in functions if f.inputs["handler"] == "app.app"]
    dev_routes = [f for f in dev_functions if f.inputs["handler"] == "app.app"]
    assert min(f.inputs["memorySize"] for f in routes) > max(f.inputs["memorySize"] for f in dev_routes)
    retention = {g.inputs["retentionInDays"] for g in prod.of_type("aws:cloudwatch/logGroup:LogGroup")}
    assert min(retention) >= 90
    for dev_table in dev.of_type(TABLE):
        assert dev_table.inputs["deletionProtectionEnabled"] is False, dev_table.name
        assert dev_table.inputs["pointInTimeRecovery"] == {"enabled": False}, dev_table.name


def test_stack_names_map_to_environments() -> None:
    assert [environment_of(s) for s in ("dev", "prod", "preview-x", "account-eu-west-1")] == [
        "dev", "prod", "preview", "account"]
    for bad in ("staging", "preview-", "production", "account-", "account-mars"):
        with pytest.raises(SettingsError):
            environment_of(bad)


@pytest.mark.parametrize("name", ["preview-Feature_X", "preview-feature_x", "preview-feature--x", "preview-x-",
                                  "preview-" + "a" * 40, "preview-ü"])
def test_preview_names_that_would_collide_or_break_resource_names_are_refused(name: str) -> None:
    # 'preview-Feature_X' and 'preview-feature-x' would both become 'social-preview-feature-x-...'.
    with pytest.raises(SettingsError, match=r"e\.g\. 'preview-") as refused:
        environment_of(name)
    suggestion = str(refused.value).rsplit("e.g. ", 1)[1].strip("'")
    assert environment_of(suggestion) == "preview"


def test_iam_names_carry_the_region_so_one_stack_name_can_live_in_two_regions() -> None:
    east, west = render("dev"), render("dev", {"aws:region": "eu-west-1"})
    names = {r.inputs["name"] for r in east.of_type("aws:iam/role:Role")}
    assert names and not names & {r.inputs["name"] for r in west.of_type("aws:iam/role:Role")}


def test_prod_refuses_to_render_without_an_alarm_subscriber() -> None:
    with pytest.raises(SettingsError, match="alarmEmail"):
        StackSettings.from_config(_config({"social:sharedNetwork": "false"}), stack="prod")
    with pytest.raises(SettingsError, match="sharedNetwork"):
        StackSettings.from_config(_config({"social:alarmEmail": "ops@corp.io"}), stack="prod")


def test_a_preview_stays_cheap_whatever_its_config_says() -> None:
    rendering = render("preview-pricey", {"deletionProtection": True, "pointInTimeRecovery": True,
                                          "logRetentionDays": 365, "lambdaMemoryMb": 256})
    tables = rendering.of_type(TABLE)
    assert len(tables) == len(MANIFEST.tables)
    for table in tables:
        assert table.inputs["deletionProtectionEnabled"] is False, table.name
        assert table.inputs["pointInTimeRecovery"] == {"enabled": False}, table.name
    assert {g.inputs["retentionInDays"] for g in rendering.of_type("aws:cloudwatch/logGroup:LogGroup")} == {1}
    functions = [f for f in rendering.of_type(FUNCTION) if f.inputs["handler"] == "app.app"]
    assert functions
    # Sizing is still the stack's to choose.
    assert {f.inputs["memorySize"] for f in functions} == {256}


def test_invalid_config_fails_naming_the_key() -> None:
    with pytest.raises(SettingsError, match="logRetentionDays"):
        StackSettings.from_config(_config({"social:logRetentionDays": "13"}), stack="dev")
    with pytest.raises(SettingsError, match="lambdaMemoryMb"):
        StackSettings.from_config(_config({"social:lambdaMemoryMb": "lots"}), stack="dev")
    with pytest.raises(SettingsError, match="backfillPosts"):  # a query limit of 0 would mean no limit
        StackSettings.from_config(_config({"social:backfillPosts": "0"}), stack="dev")
    with pytest.raises(SettingsError, match="timelineDays"):
        StackSettings.from_config(_config({"social:timelineDays": "0"}), stack="dev")
    with pytest.raises(SettingsError, match="fanoutMaxFollowers"):
        StackSettings.from_config(_config({"social:fanoutMaxFollowers": "-1"}), stack="dev")
    with pytest.raises(SettingsError, match="lambdaArchitecture"):  # Lambda's names: not aarch64, not amd64
        StackSettings.from_config(_config({"social:lambdaArchitecture": "aarch64"}), stack="dev")


def _config(values: dict[str, str]) -> pulumi.Config:
    pulumi.runtime.set_all_config(values)
    return pulumi.Config("social")


def test_dev_and_prod_mail_their_users_through_the_account_stacks_ses_identity(
        dev: Rendering, prod: Rendering, preview: Rendering) -> None:
    for rendering in (dev, prod):
        [pool] = rendering.of_type("aws:cognito/userPool:UserPool")
        [reference] = rendering.of_type("pulumi:pulumi:StackReference")
        mail = reference.outputs["outputs"]["mail"]
        assert pool.inputs["emailConfiguration"] == {
            "emailSendingAccount": "DEVELOPER", "sourceArn": mail["identityArn"], "fromEmailAddress": mail["from"]}
        # Lite has what the API uses, at a third of Essentials' price per monthly active user.
        assert pool.inputs["userPoolTier"] == "LITE"
    # A preview confirms sign-ups at once and mails nobody.
    [pool] = preview.of_type("aws:cognito/userPool:UserPool")
    assert "emailConfiguration" not in pool.inputs


def test_a_real_update_refuses_placeholder_addresses(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SettingsError, match="placeholder"):
        render("prod", preview=False)
    with pytest.raises(SettingsError, match="placeholder"):
        render("account-us-east-1", preview=False)
    monkeypatch.setattr(pulumi.runtime, "is_dry_run", lambda: False)
    def prod(address: str) -> StackSettings:
        return StackSettings(stack="prod", environment="prod", alarm_email=address, shared_network=False)

    for address in ("oncall@example.org", "ops@mail.example.com", "a@b.test", "x@y.invalid"):
        with pytest.raises(SettingsError, match="placeholder"):
            prod(address).check_deployable()
    prod("oncall@corp.io").check_deployable()


def test_scheduled_and_queue_functions_get_their_own_timeout_and_memory(dev: Rendering) -> None:
    functions = {f.inputs["name"].removeprefix("social-dev-"): f.inputs for f in dev.of_type(FUNCTION)}
    assert functions["api-handler"]["timeout"] <= 29 and functions["api-ledger"]["timeout"] <= 29
    assert functions["weekly-bonus"]["timeout"] == functions["reconcile-ledger"]["timeout"] == 300
    assert functions["weekly-bonus"]["memorySize"] == 1024 > functions["api-handler"]["memorySize"]
    # A queue's consumer: at most a sixth of its queue's visibility timeout (coin-awards: 60 s).
    assert functions["award-coins"]["timeout"] == 10
    assert functions["migrate-ledger"]["timeout"] == 900
