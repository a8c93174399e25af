"""The REST API: Chalice's Swagger pointing each route at its function, redeployed on change, JSON errors."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

import pytest

import app as runtime_app
from chalicelib.core.declarations import Manifest
from chalicelib.resources import MANIFEST
from stacks.api import GATEWAY_RESPONSES
from stacks.appgraph import ApiTrigger, plan_app
from stacks.mocks import Rendering
from tests.infra import fixture_app
from tests.infra.conftest import TABLE, arn_of, function_named


def _body(rendering: Rendering) -> dict[str, Any]:
    [api] = rendering.of_type("aws:apigateway/restApi:RestApi")
    body: dict[str, Any] = json.loads(api.inputs["body"])
    return body


@pytest.mark.parametrize(("stack", "app", "manifest"), [("dev", runtime_app.app, MANIFEST),
                                                        ("prod", runtime_app.app, MANIFEST),
                                                        ("fixture_dev", fixture_app.app, fixture_app.MANIFEST)])
def test_body_integrates_every_route_with_the_function_that_serves_it(stack: str, app: Any, manifest: Manifest,
                                                                     request: pytest.FixtureRequest) -> None:
    rendering: Rendering = request.getfixturevalue(stack)
    body = _body(rendering)
    plan = plan_app(app, manifest)
    expected = {(path, method.lower()) for path, methods in app.routes.items() for method in methods}
    found = {(path, method) for path, methods in body["paths"].items() for method in methods if method != "options"}
    assert found == expected and expected
    served: dict[str, set[tuple[str, str]]] = {}
    for path, method in expected:
        integration = body["paths"][path][method]["x-amazon-apigateway-integration"]
        uri = integration["uri"]
        [function] = [f for f in plan.apis if function_named(rendering, f.name).outputs["invokeArn"] == uri]
        assert integration["type"] == "aws_proxy"
        served.setdefault(function.name, set()).add((path, method.upper()))
    # Each function gets exactly the routes the plan gave it, and every route group gets its function.
    assert served == {f.name: set(f.trigger.routes) for f in plan.apis if isinstance(f.trigger, ApiTrigger)}
    assert len(served) == len(plan.apis) >= 2


def test_the_ledger_routes_invoke_the_ledger_function_and_no_other_route_does(dev: Rendering) -> None:
    body = _body(dev)
    ledger = function_named(dev, "api_ledger").outputs["invokeArn"]
    handler = function_named(dev, "api_handler").outputs["invokeArn"]
    uris = {(path, method.upper()): spec["x-amazon-apigateway-integration"]["uri"]
            for path, methods in body["paths"].items() for method, spec in methods.items() if method != "options"}
    for route in [("/v1/wallet", "GET"), ("/v1/rewards/{reward_id}/redeem", "POST"), ("/v1/admin/rewards", "POST")]:
        assert uris[route] == ledger, route
    for route in [("/v1/health", "GET"), ("/v1/posts", "POST"), ("/v1/auth/register", "POST")]:
        assert uris[route] == handler, route


def _render_template(template: str) -> Any:
    """What API Gateway would send: $context variables substituted (messageString is already quoted)."""
    text = template.replace("$context.error.messageString", json.dumps("Missing Authentication Token"))
    return json.loads(re.sub(r"\$context\.[A-Za-z.]+", "abc-123", text))


def test_gateway_responses_use_the_contracts_error_shape(dev: Rendering) -> None:
    responses = _body(dev)["x-amazon-apigateway-gateway-responses"]
    assert set(responses) == {"MISSING_AUTHENTICATION_TOKEN", "DEFAULT_4XX", "DEFAULT_5XX", "THROTTLED",
                              "QUOTA_EXCEEDED", "INVALID_API_KEY",
                              "REQUEST_TOO_LARGE"}
    statuses = {name: response.get("statusCode") for name, response in responses.items()}
    assert statuses == {"MISSING_AUTHENTICATION_TOKEN": "404", "THROTTLED": "429", "REQUEST_TOO_LARGE": "413",
                        "QUOTA_EXCEEDED": "429", "INVALID_API_KEY": "403",
                        "DEFAULT_4XX": None, "DEFAULT_5XX": None}
    for name, response in responses.items():
        body = _render_template(response["responseTemplates"]["application/json"])
        assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, name
        assert body["error"]["code"] == GATEWAY_RESPONSES[name][1]
        assert re.fullmatch(r"[a-z_]+", body["error"]["code"])
    assert _render_template(responses["MISSING_AUTHENTICATION_TOKEN"]["responseTemplates"]["application/json"])[
        "error"]["code"] == "not_found"


def test_deployment_is_keyed_on_the_body_and_the_stage_is_traced_logged_and_throttled(prod: Rendering) -> None:
    [api] = prod.of_type("aws:apigateway/restApi:RestApi")
    [deployment] = prod.of_type("aws:apigateway/deployment:Deployment")
    assert deployment.inputs["triggers"] == {"body": hashlib.sha256(api.inputs["body"].encode()).hexdigest()}
    [stage] = prod.of_type("aws:apigateway/stage:Stage")
    assert stage.inputs["deployment"] == deployment.outputs["id"]
    assert stage.inputs["xrayTracingEnabled"] is True
    access_logs = prod.named("social-prod-api-access-logs")
    assert stage.inputs["accessLogSettings"]["destinationArn"] == arn_of(access_logs)
    assert json.loads(stage.inputs["accessLogSettings"]["format"])["requestId"] == "$context.requestId"
    [throttling] = prod.of_type("aws:apigateway/methodSettings:MethodSettings")
    assert throttling.inputs["methodPath"] == "*/*"
    assert (throttling.inputs["settings"]["throttlingRateLimit"],
            throttling.inputs["settings"]["throttlingBurstLimit"]) == (500, 1000)  # Pulumi.prod.yaml


@pytest.mark.parametrize("stack", ["dev", "fixture_dev"])
def test_only_this_api_may_invoke_each_routes_function(stack: str, request: pytest.FixtureRequest) -> None:
    rendering: Rendering = request.getfixturevalue(stack)
    [api] = rendering.of_type("aws:apigateway/restApi:RestApi")
    for logical in ("api_handler", "api_ledger" if stack == "dev" else "api_vault"):
        function = function_named(rendering, logical)
        [permission] = [p for p in rendering.of_type("aws:lambda/permission:Permission")
                        if p.inputs["function"] == function.inputs["name"]]
        assert permission.inputs["principal"] == "apigateway.amazonaws.com"
        assert permission.inputs["sourceArn"] == f"{api.outputs['executionArn']}/*/*/*"


def test_exports_name_the_endpoints(dev: Rendering) -> None:
    [api] = dev.of_type("aws:apigateway/restApi:RestApi")
    assert dev.exports["apiUrl"] == f"https://{api.outputs['id']}.execute-api.us-east-1.amazonaws.com/api"
    assert dev.exports["userPoolId"] == dev.of_type("aws:cognito/userPool:UserPool")[0].outputs["id"]
    assert dev.exports["userPoolClientId"] == dev.of_type("aws:cognito/userPoolClient:UserPoolClient")[0].outputs["id"]
    # One entry per declared table, whatever the manifest declares today.
    assert dev.exports["tableNames"] == {t.name: f"social-dev-{t.name}" for t in MANIFEST.tables}
    assert len(dev.exports["tableNames"]) == len(dev.of_type(TABLE))


def test_multipart_bodies_reach_the_function_intact(dev: Rendering) -> None:
    # Mastodon clients upload media as multipart forms: as a binary media type, API Gateway passes the bytes
    # base64-encoded instead of decoding them as UTF-8 text.
    assert "multipart/form-data" in _body(dev)["x-amazon-apigateway-binary-media-types"]
    assert "/api/v1/apps" in _body(dev)["paths"] and "/oauth/token" in _body(dev)["paths"]
