"""The local WebSocket API: API Gateway's events to a Chalice app's handlers, its Management API back.

A small app of its own: ``$connect`` refuses a handshake without ``?who=``, ``$default`` echoes through
Chalice's own ``app.websocket_api.send`` (unchanged code), ``$disconnect`` records the close code.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from chalice.app import Chalice, Response, WebsocketEvent
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from chalicelib.core.declarations import Manifest, WebSocket, uses
from local.grants import needs_of
from local.platform import LocalPlatform

SOCKETS = WebSocket("websocket")
MANIFEST = Manifest(websocket=SOCKETS)
app = Chalice(app_name="ws-fixture")
EVENTS: list[dict[str, Any]] = []


@app.on_ws_connect()
def connect_handler(event: WebsocketEvent) -> Any:
    EVENTS.append(event.to_dict())
    query = event.to_dict().get("queryStringParameters") or {}
    if not query.get("who"):
        return Response(body=json.dumps({"error": {"code": "who", "message": "say who"}}), status_code=403)
    return {"statusCode": 200}


@app.on_ws_message()
@uses(SOCKETS.manage())
def message_handler(event: WebsocketEvent) -> None:
    EVENTS.append(event.to_dict())
    app.websocket_api.send(event.connection_id, f"echo:{event.body}")


@app.on_ws_disconnect()
def disconnect_handler(event: WebsocketEvent) -> None:
    EVENTS.append(event.to_dict())


@pytest.fixture(scope="module")
def platform() -> Iterator[LocalPlatform]:
    # moto's backends are process-wide: keep the package platform's state (no reset), own prefix.
    with LocalPlatform(port=0, app=app, manifest=MANIFEST, prefix="wstest-", admin=False, pump=False,
                       reset_on_stop=False) as running:
        yield running


def _management(platform: LocalPlatform) -> Any:
    assert platform.websocket is not None
    return boto3.client("apigatewaymanagementapi", endpoint_url=platform.websocket.management_endpoint,
                        region_name="us-east-1")


def _wait_for(predicate: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_handlers_get_api_gateways_events_and_answer_through_chalices_own_client(platform: LocalPlatform) -> None:
    assert platform.websocket is not None
    EVENTS.clear()
    with connect(f"{platform.websocket.url}?who=ada", additional_headers={"X-Test": "1"}) as client:
        client.send("hello")
        assert client.recv(timeout=5) == "echo:hello"
        connection_id = EVENTS[0]["requestContext"]["connectionId"]
    _wait_for(lambda: len(EVENTS) == 3)
    connected, message, disconnected = EVENTS
    assert connected["queryStringParameters"] == {"who": "ada"} and connected["headers"]["X-Test"] == "1"
    for event, route, kind in ((connected, "$connect", "CONNECT"), (message, "$default", "MESSAGE"),
                               (disconnected, "$disconnect", "DISCONNECT")):
        context = event["requestContext"]
        assert (context["routeKey"], context["eventType"], context["connectionId"]) == (route, kind, connection_id)
        assert (context["stage"], context["domainName"]) == ("api", platform.websocket.domain_name)
    assert message["body"] == "hello"
    assert disconnected["requestContext"]["disconnectStatusCode"] == 1000
    assert "WebSocket    ws://" in "\n".join(platform.describe())


def test_a_refused_connect_refuses_the_handshake_with_its_status_and_body(platform: LocalPlatform) -> None:
    assert platform.websocket is not None
    with pytest.raises(InvalidStatus) as refused, connect(platform.websocket.url):
        pass
    assert refused.value.response.status_code == 403
    assert json.loads(refused.value.response.body)["error"]["code"] == "who"
    assert platform.websocket.connection_ids() == []


def test_the_management_api_posts_reads_closes_and_says_gone(platform: LocalPlatform) -> None:
    assert platform.websocket is not None
    management = _management(platform)
    with connect(f"{platform.websocket.url}?who=bo") as client:
        [connection_id] = platform.websocket.connection_ids()
        management.post_to_connection(ConnectionId=connection_id, Data=b'{"type": "pong"}')
        assert client.recv(timeout=5) == '{"type": "pong"}'
        info = management.get_connection(ConnectionId=connection_id)
        assert info["Identity"]["SourceIp"] == "127.0.0.1"
        management.delete_connection(ConnectionId=connection_id)
        _wait_for(lambda: platform.websocket is not None and not platform.websocket.connection_ids())
    with pytest.raises(management.exceptions.GoneException):
        management.post_to_connection(ConnectionId=connection_id, Data=b"{}")
    with pytest.raises(management.exceptions.GoneException):
        management.get_connection(ConnectionId="NeverWasHere=")


def test_posting_to_connections_needs_the_manage_grant(platform: LocalPlatform) -> None:
    assert platform.grants is not None and platform.websocket is not None
    management = _management(platform)
    with platform.grants.calling("websocket_connect"), pytest.raises(ClientError) as denied:
        management.post_to_connection(ConnectionId="Any=", Data=b"{}")
    assert "execute-api:ManageConnections" in str(denied.value)
    with platform.grants.calling("websocket_message"), pytest.raises(management.exceptions.GoneException):
        management.post_to_connection(ConnectionId="Any=", Data=b"{}")  # allowed: AWS's own answer comes back
    assert needs_of("apigatewaymanagementapi", "PostToConnection", {"ConnectionId": "X="}, "us-east-1",
                    "https://abc123defg.execute-api.us-east-1.amazonaws.com/prod") == [
        ("execute-api:ManageConnections",
         "arn:aws:execute-api:us-east-1:123456789012:abc123defg/prod/POST/@connections/X=")]
