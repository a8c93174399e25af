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
SCOPED_NAMES = {"aws:cognito/userGroup:UserGroup", "aws:apigatewayv2/stage:Stage"}


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
    assert min(f.inputs["memorySize"] for f in functions) > max(f.inputs["memorySize"] for f in dev_functions)
    retention = {g.inputs["retentionInDays"] for g in prod.of_type("aws:cloudwatch/logGroup:LogGroup")}
    assert min(retention) >= 90
    for dev_table in dev.of_type(TABLE):
        assert dev_table.inputs["deletionProtectionEnabled"] is False, dev_table.name
        assert dev_table.inputs["pointInTimeRecovery"] == {"enabled": False}, dev_table.name


def test_stack_names_map_to_environments() -> None:
    assert [environment_of(s) for s in ("dev", "prod", "preview-x")] == ["dev", "prod", "preview"]
    for bad in ("staging", "preview-", "production"):
        with pytest.raises(SettingsError):
            environment_of(bad)


def test_a_preview_stays_cheap_whatever_its_config_says() -> None:
    rendering = render("preview-pricey", {"deletionProtection": True, "pointInTimeRecovery": True,
                                          "logRetentionDays": 365, "lambdaMemoryMb": 256})
    tables = rendering.of_type(TABLE)
    assert len(tables) == len(MANIFEST.tables)
    for table in tables:
        assert table.inputs["deletionProtectionEnabled"] is False, table.name
        assert table.inputs["pointInTimeRecovery"] == {"enabled": False}, table.name
    assert {g.inputs["retentionInDays"] for g in rendering.of_type("aws:cloudwatch/logGroup:LogGroup")} == {1}
    functions = rendering.of_type(FUNCTION)
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


def _config(values: dict[str, str]) -> pulumi.Config:
    pulumi.runtime.set_all_config(values)
    return pulumi.Config("social")
