"""The HTTP server: API Gateway proxy events, the configured 404, and thread-safe concurrent requests."""

from __future__ import annotations

import json
import selectors
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest
import requests
from chalice.app import Chalice

from chalicelib.core.settings import get_settings
from local.gateway import ApiGateway, HttpServer
from local.platform import LocalPlatform
from tests.local import fixture_app
from tests.local.fixture_app import TOGETHER


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
        answer = requests.get(f"{platform.url}/together/w{n}", params={"n": str(n)}, timeout=20)
        return answer.status_code, answer.json()

    # /together answers only when TOGETHER requests are inside the app at once
    with ThreadPoolExecutor(max_workers=TOGETHER) as pool:
        results = list(pool.map(call, range(2 * TOGETHER)))

    assert [status for status, _ in results] == [200] * 2 * TOGETHER
    assert [body for _, body in results] == [
        {"word": f"w{n}", "query": {"n": str(n)}, "path": "/together/{word}"} for n in range(2 * TOGETHER)]


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


# --- what the gateway answers itself, seen on the wire (requests would hide framing and resets) ---------


def _exchange(url: str, raw: bytes, timeout: float = 10.0) -> bytes:
    """Send ``raw`` on a new connection; everything the server sends until it closes (a timeout fails)."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname or "", parts.port or 80), timeout=timeout) as connection:
        connection.sendall(raw)
        received = []
        while chunk := connection.recv(65536):
            received.append(chunk)
    return b"".join(received)


def _parse(answer: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {name.strip().lower(): value.strip() for name, value in (line.split(":", 1) for line in lines)}
    return int(status_line.split()[1]), headers, body


def _error(answer: bytes) -> tuple[int, str, dict[str, str]]:
    """Status, error code and headers of a JSON error answer in the contract's shape."""
    status, headers, body = _parse(answer)
    assert headers["content-type"] == "application/json", answer
    error = json.loads(body)["error"]
    assert isinstance(error["message"], str) and error["message"]
    return status, error["code"], headers


def test_a_body_over_the_limit_is_refused_from_its_content_length_alone(platform: LocalPlatform) -> None:
    # Headers claiming 1 GB and no body: a server that tried to read it would never answer.
    request = (b"POST /echo/x HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
               b"Content-Length: 1000000000\r\n\r\n")

    status, code, headers = _error(_exchange(platform.url, request))

    assert (status, code) == (413, "payload_too_large")
    assert headers["connection"] == "close"


def test_a_client_that_sends_its_oversized_body_anyway_still_reads_the_413(platform: LocalPlatform) -> None:
    # Closing a socket with unread input resets the connection, which can destroy an answer already sent.
    body = b"x" * (16 * 1024 * 1024)  # more than loopback buffers hold: still being sent when the 413 goes out
    request = f"POST /body HTTP/1.1\r\nHost: t\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body

    status, code, _ = _error(_exchange(platform.url, request))

    assert (status, code) == (413, "payload_too_large")


def test_a_route_with_a_larger_limit_gets_its_upload_and_nothing_beyond(platform: LocalPlatform) -> None:
    # The gateway spares reading only what no route would take; the route's own limit is the app's to apply.
    octets = {"Content-Type": "application/octet-stream"}
    size = fixture_app.UPLOAD_LIMIT - 1
    assert size > get_settings().max_body_bytes
    answer = requests.post(f"{platform.url}/upload", data=b"x" * size, headers=octets, timeout=10)
    assert answer.status_code == 200 and answer.json() == {"size": size}
    request = (f"POST /upload HTTP/1.1\r\nHost: t\r\nContent-Type: application/octet-stream\r\n"
               f"Content-Length: {fixture_app.UPLOAD_LIMIT + 1}\r\n\r\n").encode()
    assert _error(_exchange(platform.url, request))[:2] == (413, "payload_too_large")


def test_a_body_at_the_limit_reaches_the_app(platform: LocalPlatform) -> None:
    text = "x" * get_settings().max_body_bytes

    answer = requests.post(f"{platform.url}/body", data=text, headers={"Content-Type": "text/plain"}, timeout=10)

    assert answer.status_code == 200 and answer.json() == {"body": text}


@pytest.mark.parametrize("length", ["-1", "abc", "1e3", "+5", "5, 6"])
def test_a_malformed_content_length_is_a_400(platform: LocalPlatform, length: str) -> None:
    request = f"POST /body HTTP/1.1\r\nHost: t\r\nContent-Length: {length}\r\n\r\nhello".encode()

    assert _error(_exchange(platform.url, request))[:2] == (400, "bad_request")


def test_a_chunked_body_is_decoded_for_the_app(platform: LocalPlatform) -> None:
    request = (b"POST /body HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n"
               b"Connection: close\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n")

    status, _, body = _parse(_exchange(platform.url, request))

    assert status == 200 and json.loads(body) == {"body": "hello world"}


def test_a_chunked_body_over_the_limit_is_refused_before_its_chunk_is_read(platform: LocalPlatform) -> None:
    size = fixture_app.UPLOAD_LIMIT + 1  # more than any route of the app takes
    request = (b"POST /body HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
               + f"{size:x}\r\n".encode())  # and none of the chunk's data

    assert _error(_exchange(platform.url, request))[:2] == (413, "payload_too_large")


@pytest.mark.parametrize("framing", [b"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n",
                                     b"Transfer-Encoding: gzip, chunked\r\n"])
def test_ambiguous_or_unsupported_framing_is_a_400(platform: LocalPlatform, framing: bytes) -> None:
    request = b"POST /body HTTP/1.1\r\nHost: t\r\n" + framing + b"\r\n5\r\nhello\r\n0\r\n\r\n"

    assert _error(_exchange(platform.url, request))[:2] == (400, "bad_request")


def test_malformed_chunk_framing_is_a_400(platform: LocalPlatform) -> None:
    request = b"POST /body HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"

    assert _error(_exchange(platform.url, request))[:2] == (400, "bad_request")


@pytest.mark.parametrize("method", ["TRACE", "CONNECT", "BREW"])
def test_a_method_api_gateway_does_not_route_is_the_404_json(platform: LocalPlatform, method: str) -> None:
    request = f"{method} /echo/x HTTP/1.1\r\nHost: t\r\n\r\n".encode()

    assert _error(_exchange(platform.url, request))[:2] == (404, "not_found")


@pytest.mark.parametrize("request_line", [b"GARBAGE", b"GET /echo/x HTTP/1.1 extra", b"GET /echo/x HTTP/x.y"])
def test_a_malformed_request_line_is_a_400_json(platform: LocalPlatform, request_line: bytes) -> None:
    assert _error(_exchange(platform.url, request_line + b"\r\nHost: t\r\n\r\n"))[:2] == (400, "bad_request")


def test_an_oversized_header_is_a_431_json(platform: LocalPlatform) -> None:
    request = b"GET /echo/x HTTP/1.1\r\nHost: t\r\nX-Big: " + b"a" * 70_000 + b"\r\n\r\n"

    assert _error(_exchange(platform.url, request))[:2] == (431, "bad_request")


def test_expect_100_continue_for_a_body_over_the_limit_gets_the_413_instead_of_continue(
        platform: LocalPlatform) -> None:
    request = (b"POST /body HTTP/1.1\r\nHost: t\r\nContent-Length: 1000000000\r\n"
               b"Expect: 100-continue\r\n\r\n")

    assert _error(_exchange(platform.url, request))[:2] == (413, "payload_too_large")


BURST = 200


def test_a_burst_of_new_connections_waits_for_the_server_instead_of_being_refused() -> None:
    app = Chalice(app_name="burst")

    @app.route("/ping")
    def ping() -> dict[str, str]:
        return {"pong": "yes"}

    server = HttpServer(app, port=0)  # listening, but accepting nothing until started
    parts = urlsplit(server.url)
    address = (parts.hostname or "", parts.port or 80)
    sockets = [socket.socket() for _ in range(BURST)]
    try:
        # Every connection's handshake completes in the kernel's accept queue, or its SYN is dropped
        # (and it stays unconnected) once the listen backlog is full.
        selector = selectors.DefaultSelector()
        for connection in sockets:
            connection.setblocking(False)
            connection.connect_ex(address)
            selector.register(connection, selectors.EVENT_WRITE)
        connected = 0
        deadline = time.monotonic() + 5
        while connected < BURST and (left := deadline - time.monotonic()) > 0:
            for key, _ in selector.select(left):
                ready = key.fileobj
                assert isinstance(ready, socket.socket)
                selector.unregister(ready)
                assert ready.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0
                connected += 1
        selector.close()
        assert connected == BURST, f"only {connected} of {BURST} connections were queued"
        for n, connection in enumerate(sockets):
            connection.setblocking(True)
            connection.sendall(f"GET /ping?n={n} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".encode())

        server.start()
        statuses, resets = [], 0
        for connection in sockets:
            connection.settimeout(20)
            received = b""
            try:
                while chunk := connection.recv(65536):
                    received += chunk
            except ConnectionResetError:
                resets += 1
                continue
            statuses.append(_parse(received)[0])
    finally:
        for connection in sockets:
            connection.close()
        server.stop()

    assert resets == 0
    assert statuses == [200] * BURST
