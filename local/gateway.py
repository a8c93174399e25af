"""The Chalice app over HTTP, called as API Gateway (REST, Lambda proxy) would call it.

Each HTTP request becomes an API Gateway proxy event (``resource``, ``path``,
``httpMethod``, single and multi-value headers and query parameters, decoded
``pathParameters``, a ``requestContext`` with request id, stage and source IP,
the body as text or base64 for the app's binary types) and goes to the app as
its Lambda entry point ``app.app`` would receive it. Unknown paths, and methods a
path does not define (API Gateway answers both with MISSING_AUTHENTICATION_TOKEN),
get the 404 that ``stacks/`` configures on API Gateway:
``{"error": {"code": "not_found", "message": "..."}}``. OPTIONS on a path without
an OPTIONS route is a 404 too, unless the stack's ``corsOrigins`` (``CORS_ORIGINS``)
name origins: then it is the preflight answer of the OPTIONS mock integration
``stacks/api.py`` adds to every path (``chalicelib.integrations.cors``).

On a route that requires an API key (``Router.route(api_key=True)``), the
``X-API-Key`` is checked and metered as API Gateway does (``local.metering``):
403 ``invalid_api_key`` without a valid key, 429 ``quota_exceeded`` over its
plan's quota, in the contract's error shape as ``stacks/api.py`` renders them.

Each route runs as the planned function that serves it (``api_handler``,
``api_<database>``: ``stacks.appgraph.plan_app``), and with ``grants`` its AWS
calls are judged against that function's policy (``local.grants``).

Requests are served on threads; Chalice's ``app.current_request`` is a plain
attribute, so the app's class is swapped for one whose ``current_request`` is
thread-local, as ``chalice local`` does.

Usage::

    with HttpServer(app, port=0) as server:
        requests.get(f"{server.url}/v1/health")
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import re
import socket
import threading
import time
import uuid
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, HTTPServer
from socketserver import ThreadingMixIn
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from chalice.app import Chalice
from chalice.local import LambdaContext, LocalChalice, RouteMatcher

from chalicelib.core.routes import body_limit
from chalicelib.core.settings import get_settings
from chalicelib.integrations.cors import allowed_origins, preflight_headers
from local import metering
from local.aws import ACCOUNT_ID
from local.cdn import LocalAnswers
from local.grants import Grants
from stacks.appgraph import API_FUNCTION, AppPlan

log = logging.getLogger("local.http")

API_ID = "local"


def make_request_thread_local(app: Chalice) -> None:
    """Give ``app`` a thread-local ``current_request`` (what ``chalice.local.create_local_server`` does)."""
    if isinstance(app, LocalChalice):
        return
    app.__class__ = type(f"Local{type(app).__name__}", (LocalChalice, type(app)), {})


def not_found_response(method: str, path: str) -> dict[str, Any]:
    body = {"error": {"code": "not_found", "message": f"no route matches {method} {path}"}}
    return {"statusCode": 404, "headers": {"Content-Type": "application/json"}, "multiValueHeaders": {},
            "body": json.dumps(body)}


class ApiGateway:
    """Routes requests of one app, builds proxy events and calls the app."""

    def __init__(self, app: Chalice, *, stage: str = "api", function_name: str = API_FUNCTION,
                 region: str = "us-east-1", plan: AppPlan | None = None, grants: Grants | None = None,
                 function_prefix: str = "") -> None:
        make_request_thread_local(app)
        self.app = app
        self.stage = stage
        self.function_name = function_name  # without a plan, the one function of every route
        self.region = region
        self.plan = plan if plan is not None else grants.plan if grants is not None else None
        self.grants = grants
        self.function_prefix = function_prefix
        self._matcher = RouteMatcher(list(app.routes))

    def largest_body(self) -> int:
        """The largest body any route accepts (the platform's limit, or a face's upload routes')."""
        return max((body_limit(entry.view_function) for methods in self.app.routes.values()
                    for entry in methods.values()), default=get_settings().max_body_bytes)

    def function_of(self, route: str, method: str) -> str:
        """The planned function that serves ``method route`` (``route`` as declared: ``/v1/posts/{post_id}``)."""
        return self.plan.route_function(route, method).name if self.plan is not None else self.function_name

    def handle(self, method: str, target: str, headers: list[tuple[str, str]], body: bytes | None,
               source_ip: str = "127.0.0.1") -> dict[str, Any]:
        """The app's proxy response (``statusCode``, ``headers``, ``multiValueHeaders``, ``body``)."""
        path = urlsplit(target).path or "/"
        try:
            match = self._matcher.match_route(path)
        except ValueError:
            return not_found_response(method, path)
        routes = self.app.routes[match.route]
        if method == "OPTIONS" and "OPTIONS" not in routes and allowed_origins():
            return self._preflight(routes, _header(headers, "origin"))
        if method not in routes:
            return not_found_response(method, path)
        key_id = None
        if routes[method].api_key_required:
            try:
                key_id = metering.admit(_header(headers, "x-api-key"), self.region)
            except metering.Refusal as refusal:
                return gateway_error(refusal.status, refusal.code, refusal.message)
        event = self.proxy_event(method, target, headers, body, match.route, match.captured, source_ip)
        if key_id is not None:  # what API Gateway tells the function about the key it metered
            event["requestContext"]["identity"]["apiKey"] = _header(headers, "x-api-key")
            event["requestContext"]["identity"]["apiKeyId"] = key_id
        function = self.function_of(match.route, method)
        context = LambdaContext(f"{self.function_prefix}{function}", memory_size=512, max_runtime_ms=29_000)
        with self.grants.calling(function) if self.grants is not None else contextlib.nullcontext():
            response: dict[str, Any] = self.app(event, context)
        return response

    def proxy_event(self, method: str, target: str, headers: list[tuple[str, str]], body: bytes | None,
                    resource: str, captured: dict[str, str], source_ip: str = "127.0.0.1") -> dict[str, Any]:
        """The API Gateway REST proxy event for one request."""
        parts = urlsplit(target)
        path = parts.path or "/"
        if path != "/" and path.endswith("/"):
            path = path[:-1]
        single: dict[str, str] = {}
        multi: dict[str, list[str]] = {}
        for name, value in headers:
            key = next((k for k in multi if k.lower() == name.lower()), name)
            multi.setdefault(key, []).append(value)
            single[key] = value
        query = parse_qs(parts.query, keep_blank_values=True)
        content_type = next((v for k, v in single.items() if k.lower() == "content-type"), "")
        text, encoded = self._body(body, content_type)
        now = datetime.now(UTC)
        host = next((v for k, v in single.items() if k.lower() == "host"), "127.0.0.1")
        request_id = str(uuid.uuid4())
        return {
            "resource": resource,
            "path": path,
            "httpMethod": method,
            "headers": single or None,
            "multiValueHeaders": multi or None,
            "queryStringParameters": {k: v[-1] for k, v in query.items()} or None,
            "multiValueQueryStringParameters": query or None,
            "pathParameters": {k: unquote(v) for k, v in captured.items()} or None,
            "stageVariables": None,
            "requestContext": {
                "resourceId": "local",
                "resourcePath": resource,
                "httpMethod": method,
                "extendedRequestId": request_id,
                "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
                "path": f"/{self.stage}{path}",
                "accountId": ACCOUNT_ID,
                "protocol": "HTTP/1.1",
                "stage": self.stage,
                "domainPrefix": host.split(".")[0].split(":")[0],
                "requestTimeEpoch": int(time.time() * 1000),
                "requestId": request_id,
                "identity": {"sourceIp": source_ip, "userAgent": single.get("User-Agent", single.get("user-agent")),
                             "cognitoIdentityPoolId": None, "accountId": None, "caller": None, "user": None,
                             "userArn": None, "accessKey": None, "apiKey": None},
                "domainName": host,
                "apiId": API_ID,
            },
            "body": text,
            "isBase64Encoded": encoded,
        }

    def _body(self, body: bytes | None, content_type: str) -> tuple[str | None, bool]:
        if not body:
            return None, False
        if content_type.split(";")[0].strip().lower() in self.app.api.binary_types:
            return base64.b64encode(body).decode("ascii"), True
        try:
            return body.decode("utf-8"), False
        except UnicodeDecodeError:
            return base64.b64encode(body).decode("ascii"), True

    @staticmethod
    def _preflight(routes: dict[str, Any], origin: str | None) -> dict[str, Any]:
        headers = preflight_headers(origin, allowed_origins(), routes)
        return {"statusCode": 200, "headers": {"Content-Type": "application/json", **headers},
                "multiValueHeaders": {}, "body": None}


class _Refused(Exception):
    """A request the gateway answers itself, before the app, as API Gateway would."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class _ClientGone(Exception):
    """The client closed the connection before sending the body it announced."""


def _header(headers: list[tuple[str, str]], name: str) -> str | None:
    """The last value of header ``name`` (any case), as API Gateway's single-value view keeps it."""
    found = [value for key, value in headers if key.lower() == name]
    return found[-1] if found else None


def gateway_error(status: int, code: str, message: str) -> dict[str, Any]:
    """A proxy-shaped answer in the contract's error shape, as ``stacks/api.py``'s gateway responses render it."""
    body = {"error": {"code": code, "message": message}}
    return {"statusCode": status, "headers": {"Content-Type": "application/json"}, "multiValueHeaders": {},
            "body": json.dumps(body)}


def _gateway_code(status: int) -> str:
    """The code of ``stacks/api.py``'s GATEWAY_RESPONSES for a status the gateway answers itself."""
    if status == HTTPStatus.REQUEST_ENTITY_TOO_LARGE:
        return "payload_too_large"
    return "internal_error" if status >= 500 else "bad_request"  # DEFAULT_5XX, DEFAULT_4XX


_DIGITS = re.compile(r"[0-9]+")
_HEX = re.compile(rb"[0-9A-Fa-f]+")
_MAX_LINE = 4096  # a chunk-size or trailer line; http.server allows 65536 for a header line
_MAX_TRAILERS = 100  # http.client's limit on header fields
LINGER_SECONDS = 2.0  # at most this long discarding a refused request's body before closing


class _Handler(BaseHTTPRequestHandler):
    """Turns one HTTP request into ``ApiGateway.handle`` and writes the answer back.

    Whatever the gateway refuses itself (a body over ``MAX_BODY_BYTES``, bad
    framing, a malformed request line, oversized headers, a method API Gateway
    does not route) gets the contract's JSON error, never ``http.server``'s HTML
    page, and the connection is closed: the rest of such a request cannot be
    skipped safely.
    """

    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle on, a keep-alive client's
    # delayed ACK holds the body back about 40 ms on every request.
    disable_nagle_algorithm = True
    server: _Server

    def _handle(self) -> None:
        try:
            body = self._read_body()
        except _Refused as refusal:
            self._refuse(refusal)
            return
        except _ClientGone:
            self.close_connection = True
            return
        cdn = self.server.cdn.answer(self.command, self.path) if self.server.cdn is not None else None
        if cdn is not None:
            self._send(cdn)
            return
        try:
            response = self.server.gateway.handle(self.command, self.path, list(self.headers.items()), body,
                                                  self.client_address[0])
        except Exception:
            log.exception("the app failed on %s %s", self.command, self.path)
            response = {"statusCode": 502, "headers": {"Content-Type": "application/json"},
                        "body": json.dumps({"message": "Internal server error"})}
        self._send(response)

    def _framing(self) -> int | None:
        """The body's declared length, None when chunked; ``_Refused`` when it is malformed or too large."""
        encodings = self.headers.get_all("transfer-encoding") or []
        lengths = {value.strip() for value in self.headers.get_all("content-length") or []}
        if encodings:
            if lengths:  # RFC 9112 6.3: a request smuggling vector; refuse rather than pick one
                raise _Refused(400, "bad_request", "send Content-Length or Transfer-Encoding, not both")
            codings = [c.strip().lower() for value in encodings for c in value.split(",") if c.strip()]
            if codings != ["chunked"]:
                raise _Refused(400, "bad_request", "the only transfer coding accepted is chunked")
            return None
        if len(lengths) > 1:
            raise _Refused(400, "bad_request", "conflicting Content-Length headers")
        value = lengths.pop() if lengths else "0"
        if not _DIGITS.fullmatch(value):
            raise _Refused(400, "bad_request", "Content-Length must be a non-negative integer")
        length = int(value)
        self._check_size(length)
        return length

    def _check_size(self, size: int) -> None:
        # The app refuses the same bodies (each route's own limit: core.routes.body_limit): refusing here
        # only spares reading them, so only what no route of the app would take. Read per request, as the app does.
        limit = get_settings().max_body_bytes
        if size > limit and size > (limit := self.server.gateway.largest_body()):
            raise _Refused(413, "payload_too_large", f"the request body exceeds {limit} bytes")

    def _read_body(self) -> bytes | None:
        length = self._framing()
        if length is None:
            return self._read_chunked()
        if length == 0:
            return None
        body = self.rfile.read(length)
        if len(body) < length:
            raise _ClientGone
        return body

    def _read_chunked(self) -> bytes | None:
        """The decoded body of a ``Transfer-Encoding: chunked`` request, its size checked chunk by chunk."""
        chunks: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(_MAX_LINE + 1)
            digits = line.split(b";", 1)[0].strip()  # chunk extensions are ignored
            if not line.endswith(b"\n") or not _HEX.fullmatch(digits):
                raise _Refused(400, "bad_request", "malformed chunked body")
            size = int(digits, 16)
            if size == 0:
                break
            total += size
            self._check_size(total)
            data = self.rfile.read(size)
            if len(data) < size or self.rfile.readline(3).rstrip(b"\r\n") != b"":
                raise _Refused(400, "bad_request", "malformed chunked body")
            chunks.append(data)
        for _ in range(_MAX_TRAILERS):  # the trailer section, up to its empty line; its fields are dropped
            if self.rfile.readline(_MAX_LINE + 1) in (b"\r\n", b"\n", b""):
                return b"".join(chunks) or None
        raise _Refused(400, "bad_request", "too many trailer fields")

    def handle_expect_100(self) -> bool:
        """Refuse a body that is too large before the client sends it, not after ``100 Continue``."""
        try:
            self._framing()
        except _Refused as refusal:
            self._refuse(refusal)
            return False
        return super().handle_expect_100()

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """What ``http.server`` refuses itself (request line, headers, method), in the contract's JSON."""
        self.log_error("code %d, message %s", code, message)
        if self.request_version in ("", "HTTP/0.9"):  # unparsed or 0.9: still answer with a status line
            self.request_version = self.protocol_version
        if code == HTTPStatus.NOT_IMPLEMENTED:  # "Unsupported method": API Gateway routes none of these
            path = (getattr(self, "path", "") or "/").split("?", 1)[0]
            self._close_with(not_found_response(self.command or "", path))
            return
        self._close_with(gateway_error(code, _gateway_code(code), message or self.responses.get(code, ("error",))[0]))

    def _refuse(self, refusal: _Refused) -> None:
        self.log_error("refused: %d %s", refusal.status, refusal.message)
        self._close_with(gateway_error(refusal.status, refusal.code, refusal.message))

    def _close_with(self, response: dict[str, Any]) -> None:
        """Answer, then close without a reset: closing a socket with unread input sends RST, which can
        destroy the answer before the client reads it; so stop writing and discard what still comes
        in, briefly (nginx's "lingering close")."""
        self._send(response, close=True)
        with contextlib.suppress(OSError):
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_WR)
            deadline = time.monotonic() + LINGER_SECONDS
            while (left := deadline - time.monotonic()) > 0:
                self.connection.settimeout(left)
                if not self.connection.recv(65536):
                    break

    def _send(self, response: dict[str, Any], *, close: bool = False) -> None:
        raw = response.get("body")
        if response.get("isBase64Encoded") and raw is not None:
            payload = base64.b64decode(raw)
        else:
            payload = b"" if raw is None else raw.encode("utf-8") if isinstance(raw, str) else bytes(raw)
        self.send_response(int(response["statusCode"]))
        names = set()
        for name, value in (response.get("headers") or {}).items():
            names.add(name.lower())
            self.send_header(name, str(value))
        for name, values in (response.get("multiValueHeaders") or {}).items():
            names.add(name.lower())
            for value in values:
                self.send_header(name, str(value))
        if "content-type" not in names and payload:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        if close:
            self.send_header("Connection", "close")  # also sets close_connection
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle  # noqa: N815

    def log_message(self, format: str, *args: Any) -> None:
        log.info("%s %s", self.address_string(), format % args)


class _Server(ThreadingMixIn, HTTPServer):
    """One thread per connection; ``server_close`` ends open connections and joins every thread."""

    daemon_threads = False
    block_on_close = True
    allow_reuse_address = True
    # The listen backlog (socketserver's default is 5): a burst of new connections waits
    # in the kernel's accept queue instead of having its SYNs dropped. Linux caps it at
    # net.core.somaxconn (4096 on this machine, 4096 by default since kernel 5.4).
    request_queue_size = 1024

    def __init__(self, address: tuple[str, int], gateway: ApiGateway, cdn: LocalAnswers | None = None,
                 listener: socket.socket | None = None) -> None:
        self.gateway = gateway
        self.cdn = cdn
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, _Handler, bind_and_activate=listener is None)
        if listener is not None:  # bound and listening already (its port was needed before the app existed)
            self.socket.close()
            self.socket = listener
            self.server_address = listener.getsockname()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def server_close(self) -> None:
        with self._open_lock:
            for connection in list(self._open):
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
        super().server_close()  # joins the connection threads


def listen(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` (0: a free port) and listening, as ``HttpServer`` would bind it."""
    return socket.create_server((host, port), backlog=_Server.request_queue_size, reuse_port=False)


def socket_url(listener: socket.socket) -> str:
    host, port = listener.getsockname()[:2]
    return f"http://{host}:{port}"


class HttpServer:
    """The gateway on ``host:port`` (port 0 picks a free one), served by a background thread.

    With ``cdn``, ``/cdn/<bucket>/<key>`` serves the files of the ``cdn`` buckets (``local.cdn``), and whatever
    else it answers (``local.devroutes``: the outbox, schedules) before the app.
    ``listener`` is a socket bound and listening already (``listen(host, port)``), for a caller
    that needs the URL before it has the app; ``host`` and ``port`` are then ignored.
    """

    def __init__(self, app: Chalice, host: str = "127.0.0.1", port: int = 8000, *, stage: str = "api",
                 region: str = "us-east-1", plan: AppPlan | None = None, grants: Grants | None = None,
                 function_prefix: str = "", cdn: LocalAnswers | None = None,
                 listener: socket.socket | None = None) -> None:
        self.gateway = ApiGateway(app, stage=stage, region=region, plan=plan, grants=grants,
                                  function_prefix=function_prefix)
        self._server = _Server((host, port), self.gateway, cdn, listener)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="local-http", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host if isinstance(host, str) else host.decode()}:{port}"

    @property
    def thread(self) -> threading.Thread:
        return self._thread

    def start(self) -> HttpServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()

    def __enter__(self) -> HttpServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
