"""The HTTP server: API Gateway proxy events, the configured 404, and thread-safe concurrent requests."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import requests
from chalice.app import Chalice

from local.gateway import ApiGateway
from local.platform import LocalPlatform


def test_unknown_route_answers_the_gateway_404_json(platform: LocalPlatform) -> None:
    answer = requests.get(f"{platform.url}/no/such/route", timeout=5)

    assert answer.status_code == 404
    assert answer.headers["Content-Type"] == "application/json"
    body = answer.json()
    assert body["error"]["code"] == "not_found"
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]


def test_a_method_the_path_does_not_define_is_the_same_404_as_on_api_gateway(platform: LocalPlatform) -> None:
    answer = requests.delete(f"{platform.url}/echo/word", timeout=5)

    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "not_found"


def test_a_method_http_server_does_not_know_is_the_same_404_not_a_501(platform: LocalPlatform) -> None:
    for method in ("TRACE", "QUERY", "BREW"):
        answer = requests.request(method, f"{platform.url}/echo/word", timeout=5)
        assert answer.status_code == 404, method
        assert answer.json()["error"]["code"] == "not_found"


def test_route_gets_decoded_path_parameters_and_query(platform: LocalPlatform) -> None:
    answer = requests.get(f"{platform.url}/echo/a%20b", params={"x": ["1", "2"], "y": ""}, timeout=5)

    assert answer.status_code == 200
    assert answer.json() == {"word": "a b", "query": {"x": "2", "y": ""}, "path": "/echo/{word}"}


def test_concurrent_requests_each_see_their_own_request(platform: LocalPlatform) -> None:
    def call(n: int) -> tuple[int, dict[str, object]]:
        answer = requests.get(f"{platform.url}/echo/w{n}", params={"n": str(n)}, timeout=10)
        return answer.status_code, answer.json()

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(call, range(32)))

    assert [status for status, _ in results] == [200] * 32
    assert [body for _, body in results] == [
        {"word": f"w{n}", "query": {"n": str(n)}, "path": "/echo/{word}"} for n in range(32)]


def test_proxy_event_has_api_gateway_shape() -> None:
    app = Chalice(app_name="shape")

    @app.route("/items/{item_id}", methods=["POST"])
    def item(item_id: str) -> dict[str, str]:
        return {}

    gateway = ApiGateway(app, stage="api")
    event = gateway.proxy_event("POST", "/items/a%2Fb?tag=x&tag=y", [("Host", "127.0.0.1:8000"), ("X-Multi", "1"),
                                ("x-multi", "2"), ("Content-Type", "application/json")], b'{"a": 1}',
                                "/items/{item_id}", {"item_id": "a%2Fb"})

    assert event["resource"] == "/items/{item_id}"
    assert event["path"] == "/items/a%2Fb"
    assert event["httpMethod"] == "POST"
    assert event["pathParameters"] == {"item_id": "a/b"}
    assert event["queryStringParameters"] == {"tag": "y"}
    assert event["multiValueQueryStringParameters"] == {"tag": ["x", "y"]}
    assert event["multiValueHeaders"]["X-Multi"] == ["1", "2"]
    assert event["headers"]["X-Multi"] == "2"
    assert event["body"] == '{"a": 1}'
    assert event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["stage"] == "api"
    assert context["path"] == "/api/items/a%2Fb"
    assert context["resourcePath"] == "/items/{item_id}"
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    assert context["requestId"]


def test_binary_body_is_base64_encoded() -> None:
    app = Chalice(app_name="binary")
    app.api.binary_types.append("image/png")

    @app.route("/upload", methods=["PUT"], content_types=["image/png"])
    def upload() -> dict[str, int]:
        request = app.current_request
        assert request is not None
        return {"size": len(request.raw_body)}

    response = ApiGateway(app).handle("PUT", "/upload", [("Content-Type", "image/png")], b"\x89PNG\xff\x00")
    assert response["statusCode"] == 200
    assert response["body"] == '{"size":6}'
