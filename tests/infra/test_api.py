"""The REST API: Chalice's Swagger pointing at the routes function, redeployed on change, JSON errors."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

import pytest

import app as runtime_app
from chalicelib.resources import MANIFEST
from stacks.api import GATEWAY_RESPONSES
from stacks.mocks import Rendering
from tests.infra import fixture_app
from tests.infra.conftest import TABLE, arn_of, function_named


def _body(rendering: Rendering) -> dict[str, Any]:
    [api] = rendering.of_type("aws:apigateway/restApi:RestApi")
    body: dict[str, Any] = json.loads(api.inputs["body"])
    return body


@pytest.mark.parametrize(("stack", "app"), [("dev", runtime_app.app), ("prod", runtime_app.app),
                                            ("fixture_dev", fixture_app.app)])
def test_body_has_every_route_integrated_with_the_routes_function(stack: str, app: Any,
                                                                  request: pytest.FixtureRequest) -> None:
    rendering: Rendering = request.getfixturevalue(stack)
    body = _body(rendering)
    invoke_arn = function_named(rendering, "api_handler").outputs["invokeArn"]
    expected = {(path, method.lower()) for path, methods in app.routes.items() for method in methods}
    found = {(path, method) for path, methods in body["paths"].items() for method in methods if method != "options"}
    assert found == expected and expected
    for path, method in expected:
        integration = body["paths"][path][method]["x-amazon-apigateway-integration"]
        assert (integration["type"], integration["uri"]) == ("aws_proxy", invoke_arn)


def _render_template(template: str) -> Any:
    """What API Gateway would send: $context variables substituted (messageString is already quoted)."""
    text = template.replace("$context.error.messageString", json.dumps("Missing Authentication Token"))
    return json.loads(re.sub(r"\$context\.[A-Za-z.]+", "abc-123", text))


def test_gateway_responses_use_the_contracts_error_shape(dev: Rendering) -> None:
    responses = _body(dev)["x-amazon-apigateway-gateway-responses"]
    assert set(responses) == {"MISSING_AUTHENTICATION_TOKEN", "DEFAULT_4XX", "DEFAULT_5XX", "THROTTLED",
                              "REQUEST_TOO_LARGE"}
    statuses = {name: response.get("statusCode") for name, response in responses.items()}
    assert statuses == {"MISSING_AUTHENTICATION_TOKEN": "404", "THROTTLED": "429", "REQUEST_TOO_LARGE": "413",
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


def test_only_this_api_may_invoke_the_routes_function(dev: Rendering) -> None:
    [api] = dev.of_type("aws:apigateway/restApi:RestApi")
    function = function_named(dev, "api_handler")
    [permission] = [p for p in dev.of_type("aws:lambda/permission:Permission")
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
