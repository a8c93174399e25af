"""The user pool's pre-sign-up trigger: wired to the app's function, invocable by this pool only, no cycle."""

from __future__ import annotations

import pytest
from chalice.app import Chalice

import app as runtime_app
from chalicelib.resources import MANIFEST
from stacks.appgraph import AppGraphError, NoTrigger, plan_app
from stacks.mocks import ACCOUNT, Rendering
from tests.infra.conftest import function_named

POOL = "aws:cognito/userPool:UserPool"
PERMISSION = "aws:lambda/permission:Permission"


def test_the_trigger_is_a_pure_function_of_the_plan() -> None:
    function = plan_app(runtime_app.app, MANIFEST).function("pre_sign_up")
    assert isinstance(function.trigger, NoTrigger)
    assert function.handler == "chalicelib.auth.triggers.pre_sign_up"
    assert function.grants == ()


def test_a_pool_naming_a_missing_function_fails_the_plan() -> None:
    with pytest.raises(AppGraphError, match="pre_sign_up='pre_sign_up', which is no @lambda_function"):
        plan_app(Chalice(app_name="bare"), MANIFEST)


@pytest.mark.parametrize("stack", ["dev", "prod", "preview"])
def test_the_pool_calls_the_function_that_only_this_pool_may_invoke(stack: str,
                                                                    request: pytest.FixtureRequest) -> None:
    rendering: Rendering = request.getfixturevalue(stack)
    [pool] = rendering.of_type(POOL)
    function = function_named(rendering, "pre_sign_up")
    region = pool.outputs["arn"].split(":")[3]
    expected = f"arn:aws:lambda:{region}:{ACCOUNT}:function:{function.inputs['name']}"
    assert pool.inputs["lambdaConfig"]["preSignUp"] == expected
    [permission] = [p for p in rendering.of_type(PERMISSION) if p.inputs["principal"] == "cognito-idp.amazonaws.com"]
    assert permission.inputs["action"] == "lambda:InvokeFunction"
    assert permission.inputs["function"] == function.inputs["name"]
    assert permission.inputs["sourceArn"] == pool.outputs["arn"]
    assert permission.inputs["sourceAccount"] == ACCOUNT
