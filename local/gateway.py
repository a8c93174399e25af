"""The Chalice app over HTTP, called as API Gateway (REST, Lambda proxy) would call it.

Each HTTP request becomes an API Gateway proxy event (``resource``, ``path``,
``httpMethod``, single and multi-value headers and query parameters, decoded
``pathParameters``, a ``requestContext`` with request id, stage and source IP,
the body as text or base64 for the app's binary types) and goes to the app as
its Lambda entry point ``app.app`` would receive it. Unknown paths, and methods a
path does not define (API Gateway answers both with MISSING_AUTHENTICATION_TOKEN),
get the 404 that ``stacks/`` configures on API Gateway:
``{"error": {"code": "not_found", "message": "..."}}``. An OPTIONS preflight on
a path without an OPTIONS route gets the CORS answer API Gateway generates.

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
import socket
import threading
import time
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from socketserver import ThreadingMixIn
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from chalice.app import Chalice
from chalice.local import LambdaContext, LocalChalice, RouteMatcher

from local.aws import ACCOUNT_ID
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
        if method == "OPTIONS" and "OPTIONS" not in routes:
            return self._preflight(routes)
        if method not in routes:
            return not_found_response(method, path)
        event = self.proxy_event(method, target, headers, body, match.route, match.captured, source_ip)
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
    def _preflight(routes: dict[str, Any]) -> dict[str, Any]:
        methods = [m for m, entry in routes.items() if entry.cors is not None]
        headers: dict[str, str] = {"Access-Control-Allow-Methods": "OPTIONS"}
        if methods:
            headers = dict(routes[methods[0]].cors.get_access_control_headers())
            headers["Access-Control-Allow-Methods"] = ",".join([*methods, "OPTIONS"])
        return {"statusCode": 200, "headers": headers, "multiValueHeaders": {}, "body": None}


class _Handler(BaseHTTPRequestHandler):
    """Turns one HTTP request into ``ApiGateway.handle`` and writes the answer back."""

    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle on, a keep-alive client's
    # delayed ACK holds the body back about 40 ms on every request.
    disable_nagle_algorithm = True
    server: _Server

    def _handle(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length > 0 else None
        try:
            response = self.server.gateway.handle(self.command, self.path, list(self.headers.items()), body,
                                                  self.client_address[0])
        except Exception:
            log.exception("the app failed on %s %s", self.command, self.path)
            response = {"statusCode": 502, "headers": {"Content-Type": "application/json"},
                        "body": json.dumps({"message": "Internal server error"})}
        self._send(response)

    def _send(self, response: dict[str, Any]) -> None:
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
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle  # noqa: N815

    def __getattr__(self, name: str) -> Any:
        # Any other method (TRACE, QUERY, made-up ones) goes to the app too, which answers 404 or 405
        # as API Gateway does; http.server itself would answer 501.
        if name.startswith("do_"):
            return self._handle
        raise AttributeError(name)

    def log_message(self, format: str, *args: Any) -> None:
        log.info("%s %s", self.address_string(), format % args)


class _Server(ThreadingMixIn, HTTPServer):
    """One thread per connection; ``server_close`` ends open connections and joins every thread."""

    daemon_threads = False
    block_on_close = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], gateway: ApiGateway) -> None:
        self.gateway = gateway
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, _Handler)

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


class HttpServer:
    """The gateway on ``host:port`` (port 0 picks a free one), served by a background thread."""

    def __init__(self, app: Chalice, host: str = "127.0.0.1", port: int = 8000, *, stage: str = "api",
                 region: str = "us-east-1", plan: AppPlan | None = None, grants: Grants | None = None,
                 function_prefix: str = "") -> None:
        self.gateway = ApiGateway(app, stage=stage, region=region, plan=plan, grants=grants,
                                  function_prefix=function_prefix)
        self._server = _Server((host, port), self.gateway)
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
