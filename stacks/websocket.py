"""WebSocket: the API Gateway v2 WebSocket API and its stage, created only when the app has WebSocket handlers.

Its routes and integrations are added by ``Triggers`` once the handler functions
exist; the functions need this API's execution ARN first (to post to connections).

Usage::

    ws = WebSocketApi("social-dev-websocket", WebSocketArgs(settings), opts)
    ws.api.id, ws.api.execution_arn, ws.url, ws.management_endpoint
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from stacks.settings import StackSettings

STAGE = "api"


@dataclass(frozen=True)
class WebSocketArgs:
    """The environment (throttling, naming)."""

    settings: StackSettings


class WebSocketApi(pulumi.ComponentResource):
    """A WebSocket API routed on ``$request.body.action`` with one auto-deploying stage."""

    api: aws.apigatewayv2.Api
    stage: aws.apigatewayv2.Stage
    url: pulumi.Output[str]
    management_endpoint: pulumi.Output[str]

    def __init__(self, name: str, args: WebSocketArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("social:websocket:WebSocketApi", name, None, opts)
        settings = args.settings
        namer = settings.namer
        self.api = aws.apigatewayv2.Api(
            namer.name("websocket"),
            name=namer.name("websocket", 128),
            protocol_type="WEBSOCKET",
            route_selection_expression="$request.body.action",
            tags=namer.tags(component="websocket"),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.stage = aws.apigatewayv2.Stage(
            namer.name("websocket-stage"),
            api_id=self.api.id,
            name=STAGE,
            # Routes are added later by Triggers; auto-deploy publishes each change.
            auto_deploy=True,
            default_route_settings=aws.apigatewayv2.StageDefaultRouteSettingsArgs(
                throttling_rate_limit=settings.throttle_rate_limit,
                throttling_burst_limit=settings.throttle_burst_limit,
            ),
            tags=namer.tags(component="websocket"),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.url = pulumi.Output.concat("wss://", self.api.id, ".execute-api.", settings.region,
                                        ".amazonaws.com/", STAGE)
        # What a handler posts to (the API Gateway Management API) to push to a connection.
        self.management_endpoint = pulumi.Output.concat("https://", self.api.id, ".execute-api.", settings.region,
                                                        ".amazonaws.com/", STAGE)
        self.register_outputs({"url": self.url, "executionArn": self.api.execution_arn})
