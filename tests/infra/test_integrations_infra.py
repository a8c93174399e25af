"""Integration keys and CORS under Pulumi mocks: the usage plan and who may manage its keys, the methods that
require a key, and CORS only where configured."""

from __future__ import annotations

import json
from typing import Any

import pytest

from stacks.mocks import Rendering, render
from stacks.settings import SettingsError, StackSettings
from tests.infra.conftest import function_named

PLAN = "aws:apigateway/usagePlan:UsagePlan"
POLICY = "aws:iam/policy:Policy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
KEYED = {("/v1/integrations/posts/{post_id}", "get"), ("/v1/integrations/users/{username}", "get")}
PARTNER = "https://partner.example"


def _body(rendering: Rendering) -> dict[str, Any]:
    [api] = rendering.of_type("aws:apigateway/restApi:RestApi")
    body: dict[str, Any] = json.loads(api.inputs["body"])
    return body


@pytest.mark.parametrize("stack", ["dev", "prod", "preview"])
def test_the_api_function_finds_the_plan_by_name_and_may_manage_its_keys_only(
        stack: str, request: pytest.FixtureRequest) -> None:
    rendering: Rendering = request.getfixturevalue(stack)
    [plan] = rendering.of_type(PLAN)
    api = function_named(rendering, "api_handler")
    assert api.inputs["environment"]["variables"]["INTEGRATIONS_USAGE_PLAN"] == plan.inputs["name"]
    # Attached once the plan exists (the plan meters the API, which needs the function first).
    [policy] = rendering.of_type(POLICY)
    [attachment] = rendering.of_type(ATTACHMENT)
    assert attachment.inputs["policyArn"] == policy.outputs["arn"]
    assert attachment.inputs["role"] == api.inputs["role"].rsplit("/", 1)[-1]
    region = api.outputs["arn"].split(":")[3]
    root = f"arn:aws:apigateway:{region}::"
    plan_arn = f"{root}/usageplans/{plan.outputs['id']}"
    granted = {(action, resource) for s in json.loads(policy.inputs["policy"])["Statement"]
               for action in s["Action"] for resource in s["Resource"] if s["Effect"] == "Allow"}
    assert granted == {
        ("apigateway:GET", f"{root}/usageplans"), ("apigateway:GET", plan_arn),
        ("apigateway:GET", f"{plan_arn}/keys"), ("apigateway:GET", f"{plan_arn}/keys/*"),
        ("apigateway:GET", f"{plan_arn}/usage"), ("apigateway:POST", f"{plan_arn}/keys"),
        ("apigateway:POST", f"{root}/apikeys"),
        ("apigateway:GET", f"{root}/apikeys/*"), ("apigateway:DELETE", f"{root}/apikeys/*"),
    }
    # No function's own policy names API Gateway's management API.
    own = [p for p in rendering.of_type("aws:iam/rolePolicy:RolePolicy") if "apigateway:" in p.inputs["policy"]]
    assert own == []


def test_only_the_partner_routes_require_a_key_from_the_header(dev: Rendering) -> None:
    body = _body(dev)
    keyed = {(path, method) for path, operations in body["paths"].items() for method, spec in operations.items()
             if spec.get("security")}
    assert keyed == KEYED
    assert all(body["paths"][p][m]["security"] == [{"api_key": []}] for p, m in KEYED)
    assert body["securityDefinitions"]["api_key"] == {"type": "apiKey", "name": "x-api-key", "in": "header"}
    [api] = dev.of_type("aws:apigateway/restApi:RestApi")
    assert api.inputs["apiKeySource"] == "HEADER"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_no_cors_by_default(stack: str, request: pytest.FixtureRequest) -> None:
    rendering: Rendering = request.getfixturevalue(stack)
    body = _body(rendering)
    assert [path for path, operations in body["paths"].items() if "options" in operations] == []
    assert "Access-Control-Allow-Origin" not in json.dumps(body)
    for function in rendering.of_type("aws:lambda/function:Function"):
        assert "CORS_ORIGINS" not in function.inputs["environment"]["variables"], function.name


def test_configured_origins_get_preflights_and_reach_the_runtime() -> None:
    rendering = render("dev", {"corsOrigins": json.dumps([PARTNER, "http://localhost:5173"])})
    body = _body(rendering)
    assert all("options" in operations for operations in body["paths"].values())
    preflight = body["paths"]["/v1/posts"]["options"]
    integration = preflight["x-amazon-apigateway-integration"]
    assert integration["type"] == "mock" and "security" not in preflight  # no key, no Lambda
    parameters = integration["responses"]["default"]["responseParameters"]
    assert parameters["method.response.header.Access-Control-Allow-Methods"] == "'OPTIONS,POST'"
    assert parameters["method.response.header.Access-Control-Allow-Headers"] == (
        "'Authorization,Content-Type,Idempotency-Key,X-API-Key'")
    template = integration["responses"]["default"]["responseTemplates"]["application/json"]
    assert f'$origin == "{PARTNER}"' in template and '$origin == "http://localhost:5173"' in template
    assert "responseOverride.header.Access-Control-Allow-Origin = $origin" in template
    api = function_named(rendering, "api_handler")
    assert json.loads(api.inputs["environment"]["variables"]["CORS_ORIGINS"]) == [PARTNER, "http://localhost:5173"]


@pytest.mark.parametrize("origin", ["https://partner.example/path", "*", "http://partner.example",
                                    'https://a.example" || true', "partner.example"])
def test_a_bad_origin_is_refused(origin: str) -> None:
    with pytest.raises(SettingsError, match="corsOrigins"):
        StackSettings(stack="dev", environment="dev", region="us-east-1", cors_origins=(origin,))
