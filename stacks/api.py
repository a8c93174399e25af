"""The REST API: its body is Chalice's own Swagger for the app, each route pointing at the function that serves it.

The plan groups routes into functions (``api_handler``, ``api_<database>``:
``stacks/appgraph.py``); each route's integration invokes its own function, and
each of those functions may be invoked by this API only.

Gateway responses (errors API Gateway answers itself, before any Lambda runs)
are part of the body as ``x-amazon-apigateway-gateway-responses``: a body import
(``PutRestApi`` in overwrite mode) drops gateway responses that were created as
separate resources (aws/aws-cdk#28652, aws/serverless-application-model#390),
so they live where every import restores them.

Usage::

    api = RestApi("social-dev-api", RestApiArgs(settings, app, plan, functions.functions), opts)
    api.url  # https://<id>.execute-api.<region>.amazonaws.com/api
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
from chalice.app import Chalice
from chalice.deploy.swagger import SwaggerGenerator

from chalicelib.integrations import cors
from stacks.appgraph import API_FUNCTION, AppPlan
from stacks.settings import StackSettings

STAGE = "api"  # Chalice's api_gateway_stage in runtime/.chalice/config.json
_JSON = "application/json"


def _error(code: str, message: str) -> str:
    """A VTL template for the contract's error shape; ``message`` is a JSON literal or a VTL expression."""
    return '{"error": {"code": "%s", "message": %s}}' % (code, message)  # noqa: UP031  # braces are JSON


# Status None keeps the status API Gateway chose (e.g. 403 or 415 under DEFAULT_4XX).
GATEWAY_RESPONSES: dict[str, tuple[int | None, str, str]] = {
    # API Gateway answers an unknown route with 'Missing Authentication Token'; the contract says 404.
    "MISSING_AUTHENTICATION_TOKEN": (404, "not_found", json.dumps("no such route")),
    "THROTTLED": (429, "throttled", json.dumps("too many requests; retry later")),
    # An integration key over its usage plan's quota, or one API Gateway does not know (stacks/integrations.py).
    "QUOTA_EXCEEDED": (429, "quota_exceeded", json.dumps("this key's quota is used up; it renews with its period")),
    "INVALID_API_KEY": (403, "invalid_api_key", json.dumps("the X-API-Key is unknown or disabled")),
    "REQUEST_TOO_LARGE": (413, "payload_too_large", json.dumps("the request is too large")),
    "DEFAULT_4XX": (None, "bad_request", "$context.error.messageString"),
    "DEFAULT_5XX": (None, "internal_error",
                    json.dumps("something went wrong on our side; reference $context.requestId")),
}


def gateway_responses() -> dict[str, Any]:
    """The ``x-amazon-apigateway-gateway-responses`` extension, in the contract's JSON error shape."""
    responses: dict[str, Any] = {}
    for response_type, (status, code, message) in GATEWAY_RESPONSES.items():
        entry: dict[str, Any] = {
            "responseParameters": {"gatewayresponse.header.Content-Type": f"'{_JSON}'"},
            "responseTemplates": {_JSON: _error(code, message)},
        }
        if status is not None:
            entry["statusCode"] = str(status)
        responses[response_type] = entry
    return responses


def _preflight_template(origins: tuple[str, ...]) -> str:
    """VTL for a preflight's mock integration: ``Access-Control-Allow-Origin`` echoes the request's Origin when it
    is listed, and is absent otherwise (settings check origins: no quote can reach the template)."""
    listed = " || ".join(f'$origin == "{origin}"' for origin in origins)
    expose = ",".join(cors.EXPOSE_HEADERS)
    return ("#set($origin = $input.params().header.get('Origin'))\n"
            "#if(\"$!origin\" == \"\")#set($origin = $input.params().header.get('origin'))#end\n"
            f"#if({listed})\n"
            "#set($context.responseOverride.header.Access-Control-Allow-Origin = $origin)\n"
            f"#set($context.responseOverride.header.Access-Control-Expose-Headers = \"{expose}\")\n"
            "#end\n")


def add_preflights(swagger: dict[str, Any], origins: tuple[str, ...]) -> None:
    """An OPTIONS method (a mock integration: no Lambda runs) on every path, answering CORS preflights as
    ``chalicelib.integrations.cors.preflight_headers`` does; none without origins (OPTIONS stays a 404)."""
    if not origins:
        return
    for operations in swagger["paths"].values():
        methods = [m.upper() for m in operations if m != "options"]
        static = cors.preflight_static(methods)
        operations["options"] = {
            "consumes": [_JSON], "produces": [_JSON],
            "responses": {"200": {"description": "CORS preflight",
                                  "headers": {name: {"type": "string"} for name in (
                                      *static, "Access-Control-Allow-Origin", "Access-Control-Expose-Headers")}}},
            "x-amazon-apigateway-integration": {
                "type": "mock",
                "passthroughBehavior": "when_no_match",
                "requestTemplates": {_JSON: '{"statusCode": 200}'},
                "responses": {"default": {
                    "statusCode": "200",
                    "responseParameters": {f"method.response.header.{name}": f"'{value}'"
                                           for name, value in static.items()},
                    "responseTemplates": {_JSON: _preflight_template(origins)},
                }},
            },
        }


class InvokeArnSwaggerGenerator(SwaggerGenerator):
    """Chalice's Swagger generator, with each route's integration pointing at its function's invoke ARN.

    Usage::

        arns = {"api_handler": "arn:aws:apigateway:...", "api_ledger": "arn:aws:apigateway:..."}
        body = InvokeArnSwaggerGenerator("us-east-1", plan, arns).render(app)
    """

    def __init__(self, region: str, plan: AppPlan, invoke_arns: Mapping[str, str],
                 cors_origins: tuple[str, ...] = ()) -> None:
        super().__init__(region, {})
        self._plan = plan
        self._invoke_arns = invoke_arns
        self._cors_origins = cors_origins

    def _generate_apig_integ(self, view: Any) -> Any:
        # Chalice points every route at one 'api_handler'; here each route invokes the function the plan gave it.
        integration: dict[str, Any] = super()._generate_apig_integ(view)
        integration["uri"] = self._invoke_arns[self._plan.route_function(view.uri_pattern, view.method).name]
        return integration

    def _uri(self, lambda_arn: str | None = None) -> Any:
        # Only reached through the integration above, which replaces it; there is no single routes function.
        return None

    def render(self, app: Chalice) -> str:
        """The body as canonical JSON (sorted keys: the same app always hashes the same)."""
        swagger: dict[str, Any] = self.generate_swagger(app)
        swagger["x-amazon-apigateway-gateway-responses"] = gateway_responses()
        add_preflights(swagger, self._cors_origins)
        return json.dumps(swagger, sort_keys=True)


@dataclass(frozen=True)
class RestApiArgs:
    """The environment, the Chalice app (for its routes), its plan and the functions (by planned name)."""

    settings: StackSettings
    app: Chalice
    plan: AppPlan
    functions: Mapping[str, aws.lambda_.Function]


class RestApi(pulumi.ComponentResource):
    """REST API from Chalice's Swagger, a body-hashed deployment, a traced and throttled stage with access logs."""

    rest_api: aws.apigateway.RestApi
    stage: aws.apigateway.Stage
    body: pulumi.Output[str]
    url: pulumi.Output[str]

    def __init__(self, name: str, args: RestApiArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("social:api:RestApi", name, None, opts)
        settings, app = args.settings, args.app
        namer = settings.namer
        child = pulumi.ResourceOptions(parent=self)
        apis = [f.name for f in args.plan.apis]
        invoke_arns = pulumi.Output.all(*(args.functions[name].invoke_arn for name in apis))
        self.body = invoke_arns.apply(
            lambda arns: InvokeArnSwaggerGenerator(settings.region, args.plan, dict(zip(apis, arns, strict=True)),
                                                   settings.cors_origins).render(app))
        self.rest_api = aws.apigateway.RestApi(
            namer.name("api"),
            name=namer.name("api", 255),
            body=self.body,
            put_rest_api_mode="overwrite",
            # Integration keys come in the X-API-Key header (stacks/integrations.py); the argument overrides the
            # body's x-amazon-apigateway-api-key-source (pulumi_aws/apigateway/rest_api.py), which Chalice omits.
            api_key_source="HEADER",
            endpoint_configuration=aws.apigateway.RestApiEndpointConfigurationArgs(types="REGIONAL"),
            tags=namer.tags(component="api"),
            opts=child,
        )
        deployment = aws.apigateway.Deployment(
            namer.name("api-deployment"),
            rest_api=self.rest_api.id,
            description="redeployed whenever the body changes",
            # A new deployment exactly when the body changes; otherwise the stage keeps serving the old one.
            triggers={"body": self.body.apply(lambda body: hashlib.sha256(body.encode()).hexdigest())},
            opts=child,
        )
        access_logs = aws.cloudwatch.LogGroup(
            namer.name("api-access-logs"),
            name=f"/aws/apigateway/{namer.name('api')}/access",
            retention_in_days=settings.log_retention_days,
            tags=namer.tags(component="api"),
            opts=child,
        )
        self.stage = aws.apigateway.Stage(
            namer.name("api-stage"),
            rest_api=self.rest_api.id,
            deployment=deployment.id,
            stage_name=STAGE,
            xray_tracing_enabled=settings.tracing,
            access_log_settings=aws.apigateway.StageAccessLogSettingsArgs(
                destination_arn=access_logs.arn,
                format=json.dumps({
                    "requestId": "$context.requestId", "ip": "$context.identity.sourceIp",
                    "method": "$context.httpMethod", "path": "$context.path", "status": "$context.status",
                    "latencyMs": "$context.responseLatency", "error": "$context.error.responseType",
                    "xrayTraceId": "$context.xrayTraceId",
                }, sort_keys=True),
            ),
            tags=namer.tags(component="api"),
            # Access logs need API Gateway's account-wide CloudWatch role: the account stack sets it.
            opts=child,
        )
        aws.apigateway.MethodSettings(
            namer.name("api-throttling"),
            rest_api=self.rest_api.id,
            stage_name=self.stage.stage_name,
            method_path="*/*",
            settings=aws.apigateway.MethodSettingsSettingsArgs(
                throttling_rate_limit=settings.throttle_rate_limit,
                throttling_burst_limit=settings.throttle_burst_limit,
                metrics_enabled=True,
            ),
            opts=child,
        )
        for function in apis:
            aws.lambda_.Permission(
                namer.name("api-invoke") if function == API_FUNCTION else namer.name(f"api-invoke-{function}"),
                action="lambda:InvokeFunction",
                function=args.functions[function].name,
                principal="apigateway.amazonaws.com",
                # Any stage, method and path of this API, and of no other. Per route would be tighter, but a
                # function's routes are its own (the body sends no other route to it) and one statement per
                # route would crowd the function's 20 kB resource policy.
                source_arn=pulumi.Output.concat(self.rest_api.execution_arn, "/*/*/*"),
                opts=child,
            )
        self.url = pulumi.Output.concat("https://", self.rest_api.id, ".execute-api.", settings.region,
                                        ".amazonaws.com/", self.stage.stage_name)
        self.register_outputs({"url": self.url, "restApiId": self.rest_api.id})
