"""The real app's WebSocket API under Pulumi's mocks: routes, integrations, stage, permissions, grants, tables.

The API, its routes and their functions are derived from ``app.websocket_handlers``; who may post to
connections from the app's ``WEBSOCKET.manage()`` grants, not from being a WebSocket handler.
"""

from __future__ import annotations

import json

import pytest
from chalice.app import Chalice

from chalicelib.core.declarations import Manifest, Queue, Subscription, Table, Topic, WebSocket, uses
from chalicelib.realtime.models import ConnectionModel
from stacks.appgraph import AppGraphError, plan_app
from stacks.mocks import Rendering
from tests.infra.conftest import arn_of, function_named, policy_of

ROUTES = {"$connect": "websocket_connect", "$default": "websocket_message", "$disconnect": "websocket_disconnect"}
MANAGING = {"websocket_message", "push_posts", "push_notifications"}  # the functions that post to connections


def _api(rendering: Rendering) -> tuple[str, str]:
    [api] = rendering.of_type("aws:apigatewayv2/api:Api")
    assert api.inputs["protocolType"] == "WEBSOCKET"
    assert api.inputs["routeSelectionExpression"] == "$request.body.action"
    return api.outputs["id"], api.outputs["executionArn"]


def test_each_websocket_route_invokes_its_own_function(dev: Rendering) -> None:
    api_id, execution_arn = _api(dev)
    integrations = {i.outputs["id"]: i.inputs for i in dev.of_type("aws:apigatewayv2/integration:Integration")}
    routes = {r.inputs["routeKey"]: r.inputs for r in dev.of_type("aws:apigatewayv2/route:Route")}
    assert set(routes) == set(ROUTES)
    permissions = [p.inputs for p in dev.of_type("aws:lambda/permission:Permission")
                   if p.inputs["principal"] == "apigateway.amazonaws.com"]
    for route_key, logical in ROUTES.items():
        function = function_named(dev, logical)
        assert function.inputs["handler"].startswith("chalicelib.realtime.handlers.on_ws_")
        route = routes[route_key]
        assert route["apiId"] == api_id
        integration = integrations[route["target"].removeprefix("integrations/")]
        assert (integration["integrationType"], integration["integrationMethod"]) == ("AWS_PROXY", "POST")
        assert integration["integrationUri"] == function.outputs["invokeArn"]
        # API Gateway may invoke it for this route only.
        [permission] = [p for p in permissions if p["function"] == function.inputs["name"]]
        assert permission["sourceArn"] == f"{execution_arn}/*/{route_key}"


def test_one_auto_deployed_throttled_stage_whose_endpoint_every_function_gets(dev: Rendering) -> None:
    api_id, _ = _api(dev)
    [stage] = dev.of_type("aws:apigatewayv2/stage:Stage")
    assert (stage.inputs["apiId"], stage.inputs["name"], stage.inputs["autoDeploy"]) == (api_id, "api", True)
    assert stage.inputs["defaultRouteSettings"]["throttlingRateLimit"] > 0
    endpoint = f"https://{api_id}.execute-api.us-east-1.amazonaws.com/api"
    for function in dev.of_type("aws:lambda/function:Function"):
        assert function.inputs["environment"]["variables"]["WEBSOCKET_ENDPOINT"] == endpoint, function.name


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_only_functions_granted_manage_may_post_to_connections(stack: str, request: pytest.FixtureRequest) -> None:
    rendering: Rendering = request.getfixturevalue(stack)
    _, execution_arn = _api(rendering)
    posting: set[str] = set()
    for function in rendering.of_type("aws:lambda/function:Function"):
        logical = function.name.removeprefix(f"social-{stack}-").replace("-", "_")
        for statement in policy_of(rendering, function)["Statement"]:
            if any(a.startswith("execute-api:") for a in statement["Action"]):
                assert statement["Action"] == ["execute-api:ManageConnections"]
                assert statement["Resource"] == [f"{execution_arn}/*/*/@connections/*"]
                posting.add(logical)
    assert posting == MANAGING


def test_the_realtime_tables_and_queues(dev: Rendering) -> None:
    tables = {t.inputs["name"]: t.inputs for t in dev.of_type("aws:dynamodb/table:Table")}
    connections = tables["social-dev-connections"]
    assert connections["ttl"] == {"attributeName": "expires_at", "enabled": True}
    assert connections["hashKey"] == "key" and "rangeKey" not in connections
    messages = tables["social-dev-messages"]
    assert (messages["hashKey"], messages["rangeKey"]) == ("conversation_id", "message_id")
    assert (messages["streamEnabled"], messages["streamViewType"]) == (True, "NEW_AND_OLD_IMAGES")
    [by_activity] = tables["social-dev-conversations"]["localSecondaryIndexes"]
    assert (by_activity["name"], by_activity["rangeKey"]) == ("by-activity", "last_message_id")
    subscriptions = {s.inputs["endpoint"]: s.inputs for s in dev.of_type("aws:sns/topicSubscription:TopicSubscription")
                     if s.inputs["protocol"] == "sqs"}
    feed = subscriptions[arn_of(dev.named("social-dev-feed-push"))]
    assert feed["topic"] == arn_of(dev.named("social-dev-domain-events-topic"))
    assert json.loads(feed["filterPolicy"]) == {"type": ["post.created", "post.deleted"]}
    realtime = subscriptions[arn_of(dev.named("social-dev-notify-realtime"))]
    assert realtime["topic"] == arn_of(dev.named("social-dev-notifications-topic"))
    assert json.loads(realtime["filterPolicy"]) == {"channels": ["realtime"]}
    for queue in ("feed-push", "notify-realtime"):  # each with its dead-letter queue
        redrive = json.loads(dev.named(f"social-dev-{queue}").inputs["redrivePolicy"])
        assert redrive["deadLetterTargetArn"] == arn_of(dev.named(f"social-dev-{queue}-dlq"))


def test_managing_connections_without_websocket_handlers_is_refused() -> None:
    socket = WebSocket("websocket")
    jobs = Queue("jobs", subscriptions=(Subscription(Topic("events")),))
    manifest = Manifest(tables=(Table.of(ConnectionModel),), queues=(jobs,), topics=(Topic("events"),),
                        websocket=socket)
    app = Chalice("no-sockets")

    @app.on_sqs_message(queue="jobs")
    @uses(socket.manage())
    def push(event: object) -> None: ...

    with pytest.raises(AppGraphError, match="no on_ws_"):
        plan_app(app, manifest)

    @app.on_ws_message()
    def message(event: object) -> None: ...

    assert {f.name for f in plan_app(app, manifest).functions if f.resources("websocket")} == {"push"}
