"""Feature flags in the stacks: AppConfig application, one environment, the feature-flags profile and its hosted
version, the strategies (all at once in dev and previews, gradual with an alarm to roll back in prod), each
function's grant and variables; a bad document fails the plan."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from chalicelib.flags.document import load
from stacks.mocks import RecordedResource, Rendering
from tests.infra.conftest import FUNCTION, arn_of, policy_of
from tools.plan import main

APPLICATION = "aws:appconfig/application:Application"
ENVIRONMENT = "aws:appconfig/environment:Environment"
PROFILE = "aws:appconfig/configurationProfile:ConfigurationProfile"
VERSION = "aws:appconfig/hostedConfigurationVersion:HostedConfigurationVersion"
STRATEGY = "aws:appconfig/deploymentStrategy:DeploymentStrategy"
DEPLOYMENT = "aws:appconfig/deployment:Deployment"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"


def one(rendering: Rendering, type_token: str) -> RecordedResource:
    found = rendering.of_type(type_token)
    assert len(found) == 1, f"{len(found)} {type_token}"
    return found[0]


@pytest.mark.parametrize("stack", ["dev", "prod", "preview"])
def test_each_stack_has_its_own_application_one_environment_and_the_feature_flags_profile(
        stack: str, request: pytest.FixtureRequest) -> None:
    rendering: Rendering = request.getfixturevalue(stack)
    application = one(rendering, APPLICATION)
    environment, profile = one(rendering, ENVIRONMENT), one(rendering, PROFILE)
    assert application.inputs["name"] == f"social-{rendering.stack}-flags"
    assert environment.inputs["applicationId"] == application.outputs["id"]
    assert profile.inputs["type"] == "AWS.AppConfig.FeatureFlags" and profile.inputs["locationUri"] == "hosted"
    version = one(rendering, VERSION)
    assert version.inputs["configurationProfileId"] == profile.outputs["configurationProfileId"]
    assert version.inputs["contentType"] == "application/json"
    assert json.loads(version.inputs["content"]) == load()  # the repository's document, as it is
    deployment = one(rendering, DEPLOYMENT)
    assert deployment.inputs["environmentId"] == environment.outputs["environmentId"]
    assert deployment.inputs["configurationVersion"] == str(version.outputs["versionNumber"])
    assert deployment.inputs["deploymentStrategyId"] == one(rendering, STRATEGY).outputs["id"]


@pytest.mark.parametrize("stack", ["dev", "preview"])
def test_dev_and_previews_deploy_a_flags_change_all_at_once_without_monitors(
        stack: str, request: pytest.FixtureRequest) -> None:
    rendering: Rendering = request.getfixturevalue(stack)
    strategy = one(rendering, STRATEGY).inputs
    assert (strategy["deploymentDurationInMinutes"], strategy["growthFactor"], strategy["finalBakeTimeInMinutes"]) \
        == (0, 100, 0)
    assert not one(rendering, ENVIRONMENT).inputs.get("monitors")


def test_prod_rolls_a_flags_change_out_gradually_and_an_api_error_alarm_rolls_it_back(prod: Rendering) -> None:
    strategy = one(prod, STRATEGY).inputs
    assert strategy["deploymentDurationInMinutes"] == 20 and strategy["growthFactor"] < 100
    assert strategy["growthType"] == "LINEAR" and strategy["finalBakeTimeInMinutes"] == 10
    monitors = one(prod, ENVIRONMENT).inputs["monitors"]
    # stacks/functions.py describes an API function as "api: app.app serving <n> routes".
    api_functions = [f.inputs["name"] for f in prod.of_type(FUNCTION) if "serving" in f.inputs["description"]]
    alarms = {arn_of(a): a.inputs for a in prod.of_type(ALARM)}
    watched = {alarms[m["alarmArn"]]["dimensions"]["FunctionName"] for m in monitors}
    assert watched and watched == set(api_functions)
    role = next(r for r in prod.of_type("aws:iam/role:Role") if arn_of(r) == monitors[0]["alarmRoleArn"])
    assert json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]["Principal"] == {
        "Service": "appconfig.amazonaws.com"}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_function_may_read_only_its_stacks_flags_and_knows_where_they_are(
        stack: str, request: pytest.FixtureRequest) -> None:
    rendering: Rendering = request.getfixturevalue(stack)
    application, profile = one(rendering, APPLICATION), one(rendering, PROFILE)
    expected = (f"{arn_of(application)}/environment/*/configuration/{profile.outputs['configurationProfileId']}")
    for function in rendering.of_type(FUNCTION):
        statements: list[dict[str, Any]] = policy_of(rendering, function)["Statement"]
        flags = [s for s in statements if s["Sid"] == "ReadFeatureFlags"]
        assert len(flags) == 1, function.name
        assert flags[0]["Action"] == ["appconfig:GetLatestConfiguration", "appconfig:StartConfigurationSession"]
        assert flags[0]["Resource"] == [expected]
        variables = function.inputs["environment"]["variables"]
        assert variables["APPCONFIG_APPLICATION"] == application.outputs["id"]
        assert variables["APPCONFIG_ENVIRONMENT"] == one(rendering, ENVIRONMENT).inputs["name"]
        assert variables["APPCONFIG_PROFILE"] == profile.outputs["configurationProfileId"]
        assert "FLAGS_FILE" not in variables


def test_an_invalid_flags_document_fails_the_plan_naming_the_flag(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    document = load()
    document["values"]["video_uploads"]["percentage"] = "half"
    bad = tmp_path / "flags.json"
    bad.write_text(json.dumps(document))
    assert main(["--stack", "dev", "--config", f"flagsDocument={bad}"]) == 1
    err = capsys.readouterr().err
    assert "plan failed" in err and "'video_uploads'" in err and "percentage" in err
