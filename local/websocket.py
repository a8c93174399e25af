"""The WebSocket API locally: API Gateway's event shapes to the app's handlers, and its Management API back.

Clients connect to ``ws://<host>:<port>/<stage>`` (any path works: the stage's, and ``/api/v1/streaming``,
which Mastodon clients open and CloudFront rewrites to the stage in AWS, ``stacks/web.py``).
Each connection gets an id like API Gateway's; the handshake runs the app's ``$connect`` handler with
API Gateway's ``CONNECT`` event (headers, ``queryStringParameters``, ``requestContext`` with
``routeKey``, ``eventType``, ``connectionId``, ``domainName``, ``stage``, ``apiId``...), and a non-2xx
answer refuses the handshake with that status and body, as API Gateway does; a ``Sec-WebSocket-Protocol``
header in a 2xx answer chooses that subprotocol, as API Gateway passes it on. With ``forwarded_host``, the
event's ``X-Forwarded-Host`` names the platform's HTTP host, as CloudFront's function names the site's (so
the Mastodon face's entities pushed on a stream name the host clients use for the API). Each text frame runs
``$default`` (``MESSAGE``: the frame in ``body``); the end of the connection, however it ends, runs
``$disconnect`` (``DISCONNECT``, with the close code). API Gateway selects routes on
``$request.body.action``, but Chalice only declares ``$default`` for messages: every frame goes there.

The Management API is served on its own HTTP port, at ``/<stage>/@connections/<id>``:
``POST`` (the body becomes one text frame), ``GET`` (``connectedAt``, ``identity``, ``lastActiveAt``),
``DELETE`` (closes it); an unknown or closed connection answers 410 ``GoneException`` in the
rest-json shape botocore parses, so boto3's ``apigatewaymanagementapi`` client works unchanged against
``management_endpoint`` (which the platform puts in ``WEBSOCKET_ENDPOINT``). ``app.websocket_api``
(which Chalice points at ``https://<api-id>.execute-api.<region>.amazonaws.com/<stage>``) is given a
session whose Management API clients come here: ``app.websocket_api.send`` works unchanged too.

Each handler runs as its planned function (``websocket_connect``, ``websocket_message``,
``websocket_disconnect``) and, with ``grants``, its AWS calls are judged against that function's
policy; the Management API calls are judged as ``execute-api:ManageConnections`` on this API's ARN
(``local.grants``).

Usage::

    with LocalWebSocketApi(app, plan=plan, grants=grants, port=0) as ws:
        ws.url                   # ws://127.0.0.1:PORT/api
        ws.origin                # ws://127.0.0.1:PORT (Mastodon's urls.streaming_api)
        ws.management_endpoint   # http://127.0.0.1:PORT2/api
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import os
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import boto3
from chalice.app import Chalice
from chalice.local import LambdaContext
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.protocol import State
from websockets.typing import Subprotocol

from local.aws import ACCOUNT_ID
from local.grants import LOCAL_WEBSOCKET_API_ID, Grants
from stacks.appgraph import WEBSOCKET_FUNCTIONS, AppPlan
from stacks.websocket import STAGE

log = logging.getLogger("local.websocket")

API_ID = LOCAL_WEBSOCKET_API_ID  # requestContext.apiId; API Gateway's ids are 10 lower-case characters
SEND_TIMEOUT_SECONDS = 10.0
OPEN_TIMEOUT_SECONDS = 5.0  # a push may arrive between $connect and the end of the handshake


def execution_arn(region: str) -> str:
    """The local WebSocket API's execution ARN, which ``ManageConnections`` grants name."""
    return f"arn:aws:execute-api:{region}:{ACCOUNT_ID}:{API_ID}"


def new_connection_id() -> str:
    """An id shaped like API Gateway's (``L0SM9cOFvHcCIhw=``)."""
    return base64.b64encode(os.urandom(10)).decode()


@dataclass
class _Socket:
    """An accepted connection: open once the handshake is done."""

    connection: ServerConnection
    connected_at: datetime
    source_ip: str
    user_agent: str
    opened: asyncio.Event = field(default_factory=asyncio.Event)
    last_active: datetime = field(default_factory=lambda: datetime.now(UTC))


class LocalWebSocketApi:
    """The WebSocket endpoint and its Management API, each on a background thread."""

    def __init__(self, app: Chalice, *, plan: AppPlan | None = None, grants: Grants | None = None,
                 host: str = "127.0.0.1", port: int = 0, management_port: int = 0, stage: str = STAGE,
                 region: str = "us-east-1", function_prefix: str = "",
                 forwarded_host: Callable[[], str | None] | None = None) -> None:
        self.app = app
        self._forwarded_host = forwarded_host
        self.grants = grants
        self.host = host
        self.stage = stage
        self.region = region
        self.function_prefix = function_prefix
        self._port = port
        self._handlers = {key: app.handler_map[config.name] for key, config in app.websocket_handlers.items()}
        self._functions = ({f.trigger.route_key: f.name for f in plan.websocket} if plan is not None  # type: ignore[union-attr]
                           else dict(WEBSOCKET_FUNCTIONS))
        self._sockets: dict[str, _Socket] = {}
        self._sending: set[asyncio.Task[None]] = set()
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._server: Server | None = None
        self._bound_port: int | None = None
        self._stopping = False  # the platform stops: connections end without running $disconnect
        self._thread = threading.Thread(target=self._loop.run_forever, name="local-websocket", daemon=True)
        self._management = ThreadingHTTPServer((host, management_port), _ManagementHandler)
        self._management.daemon_threads = True
        self._management.api = self  # type: ignore[attr-defined]
        self._management_thread = threading.Thread(target=self._management.serve_forever,
                                                   kwargs={"poll_interval": 0.1}, name="local-websocket-management",
                                                   daemon=True)

    # --- where ---------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._bound_port is None:
            raise RuntimeError("the WebSocket endpoint is not started")
        return self._bound_port

    @property
    def url(self) -> str:
        return f"ws://{self.host}:{self.port}/{self.stage}"

    @property
    def origin(self) -> str:
        """The server's scheme, host and port, without the stage (where Mastodon clients add their path)."""
        return f"ws://{self.host}:{self.port}"

    @property
    def management_endpoint(self) -> str:
        return f"http://{self.host}:{self._management.server_address[1]}/{self.stage}"

    @property
    def domain_name(self) -> str:
        return f"{self.host}:{self.port}"

    def connection_ids(self) -> list[str]:
        with self._lock:
            return list(self._sockets)

    # --- lifecycle -----------------------------------------------------------------------------

    def start(self) -> LocalWebSocketApi:
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(self._serve(), self._loop).result(10)
        self._bound_port = int(next(iter(self._server.sockets)).getsockname()[1])
        self._management_thread.start()
        # Chalice's own client (app.websocket_api.send) would go to execute-api in AWS: send it here.
        self.app.websocket_api.session = _LocalSession(self.management_endpoint, self.region)
        return self

    async def _serve(self) -> Server:
        # A handshake may take as long as API Gateway gives $connect (its 29 s integration timeout).
        return await serve(self._session, self.host, self._port, process_request=self._connect,
                           select_subprotocol=_chosen_subprotocol, server_header=None, open_timeout=30)

    def stop(self) -> None:
        self._stopping = True
        if self._management_thread.is_alive():
            self._management.shutdown()
        self._management.server_close()
        if self._server is not None and self._thread.is_alive():
            server = self._server

            async def close() -> None:
                server.close()
                await server.wait_closed()

            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(close(), self._loop).result(10)
            # Handlers still waiting (a burst of $disconnect) are cancelled, not left pending on a stopped loop.
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(_cancel_the_rest(), self._loop).result(10)
            self._server = None
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    def __enter__(self) -> LocalWebSocketApi:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # --- API Gateway's side: events to the handlers --------------------------------------------

    def _context(self, connection_id: str, route_key: str, event_type: str, **extra: Any) -> dict[str, Any]:
        now = datetime.now(UTC)
        socket = self._sockets.get(connection_id)
        connected_at = socket.connected_at if socket is not None else now
        return {
            "routeKey": route_key, "eventType": event_type, "messageDirection": "IN",
            "extendedRequestId": str(uuid.uuid4()), "requestId": str(uuid.uuid4()),
            "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"), "requestTimeEpoch": int(now.timestamp() * 1000),
            "connectedAt": int(connected_at.timestamp() * 1000), "stage": self.stage,
            "domainName": self.domain_name, "connectionId": connection_id, "apiId": API_ID,
            "identity": {"sourceIp": socket.source_ip if socket else "127.0.0.1",
                         "userAgent": socket.user_agent if socket else ""},
            **extra,
        }

    def invoke(self, route_key: str, event: dict[str, Any]) -> dict[str, Any] | None:
        """Call the handler of ``route_key`` as its function; None when the app has no such handler."""
        handler = self._handlers.get(route_key)
        if handler is None:
            return None
        function = self._functions.get(route_key, WEBSOCKET_FUNCTIONS.get(route_key, route_key))
        context = LambdaContext(f"{self.function_prefix}{function}", memory_size=512, max_runtime_ms=29_000)
        with self.grants.calling(function) if self.grants is not None else contextlib.nullcontext():
            answer: Any = handler(event, context)
        return answer if isinstance(answer, dict) else {"statusCode": 200}

    async def _connect(self, connection: ServerConnection, request: Request) -> Response | None:
        """``$connect``: its answer decides the handshake (a non-2xx status refuses it)."""
        connection_id = new_connection_id()
        source = connection.remote_address[0] if connection.remote_address else "127.0.0.1"
        socket = _Socket(connection, datetime.now(UTC), source, request.headers.get("User-Agent", ""))
        query = parse_qs(urlsplit(request.path).query, keep_blank_values=True)
        headers = _headers(request.headers)
        forwarded = self._forwarded_host() if self._forwarded_host is not None else None
        if forwarded:
            headers = {k: v for k, v in headers.items() if k.lower() != "x-forwarded-host"}
            headers["X-Forwarded-Host"] = [forwarded]
        event = {
            "headers": {k: v[-1] for k, v in headers.items()}, "multiValueHeaders": headers,
            "queryStringParameters": {k: v[-1] for k, v in query.items()} or None,
            "multiValueQueryStringParameters": query or None,
            "isBase64Encoded": False,
        }
        with self._lock:
            self._sockets[connection_id] = socket
        event["requestContext"] = self._context(connection_id, "$connect", "CONNECT")
        try:
            answer = await asyncio.to_thread(self.invoke, "$connect", event)
        except Exception:
            log.exception("the $connect handler failed")
            answer = {"statusCode": 500, "body": json.dumps({"message": "Internal server error"})}
        status = int((answer or {}).get("statusCode", 200))
        if not 200 <= status < 300:
            with self._lock:
                self._sockets.pop(connection_id, None)
            body = (answer or {}).get("body") or HTTPStatus(status).phrase
            return connection.respond(status, body if isinstance(body, str) else json.dumps(body))
        connection.connection_id = connection_id  # type: ignore[attr-defined]
        answered = {str(k).lower(): str(v) for k, v in ((answer or {}).get("headers") or {}).items()}
        connection.chosen_subprotocol = answered.get("sec-websocket-protocol")  # type: ignore[attr-defined]
        return None

    async def _session(self, connection: ServerConnection) -> None:
        """One connection's life: each text frame to ``$default``, then ``$disconnect``."""
        connection_id: str = connection.connection_id  # type: ignore[attr-defined]
        socket = self._sockets[connection_id]
        socket.opened.set()
        try:
            async for frame in connection:
                socket.last_active = datetime.now(UTC)
                body = frame if isinstance(frame, str) else frame.decode("utf-8", "replace")
                event = {"requestContext": self._context(connection_id, "$default", "MESSAGE",
                                                          messageId=new_connection_id()),
                         "body": body, "isBase64Encoded": False}
                try:
                    await asyncio.to_thread(self.invoke, "$default", event)
                except Exception:  # Lambda's error: API Gateway tells the client, the connection stays
                    log.exception("the $default handler failed")
        except ConnectionClosed:
            pass
        finally:
            with self._lock:
                self._sockets.pop(connection_id, None)
        if self._stopping:
            return
        code = connection.close_code if connection.close_code is not None else 1006
        event = {"headers": {}, "multiValueHeaders": {}, "isBase64Encoded": False,
                 "requestContext": self._context(connection_id, "$disconnect", "DISCONNECT",
                                                 disconnectStatusCode=code,
                                                 disconnectReason=connection.close_reason or "")}
        try:
            await asyncio.to_thread(self.invoke, "$disconnect", event)
        except Exception:
            log.exception("the $disconnect handler failed")

    # --- the Management API ---------------------------------------------------------------------

    def _socket(self, connection_id: str) -> _Socket | None:
        with self._lock:
            return self._sockets.get(connection_id)

    def post(self, connection_id: str, data: bytes) -> bool:
        """Queue one frame (text when it is UTF-8) on the connection; False if the connection is gone.

        The frame is handed to the event loop, not waited for: API Gateway's 200 means it took the
        message, not that the client read it, and waiting here for the loop thread (which needs the GIL
        the caller holds) made each of a push's posts cost two thread switches. Frames to one connection
        keep their order (callbacks, then the tasks they create, run in the order they were queued).
        """
        socket = self._socket(connection_id)
        if socket is None or socket.connection.state is State.CLOSED:
            return False
        try:
            text: str | bytes = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data
        self._loop.call_soon_threadsafe(self._send_soon, socket, text)
        return True

    def _send_soon(self, socket: _Socket, text: str | bytes) -> None:
        task = self._loop.create_task(self._send(socket, text))
        self._sending.add(task)  # the loop keeps only weak references to its tasks
        task.add_done_callback(self._sending.discard)

    @staticmethod
    async def _send(socket: _Socket, text: str | bytes) -> None:
        try:
            # A push may come between $connect (which registered the connection) and the handshake's end.
            if not socket.opened.is_set():  # (awaiting only then keeps a connection's frames in order)
                await asyncio.wait_for(socket.opened.wait(), OPEN_TIMEOUT_SECONDS)
            await socket.connection.send(text)
        except (ConnectionClosed, TimeoutError):  # gone meanwhile: the next post answers GoneException
            log.debug("a frame for a closing connection was dropped")

    def close(self, connection_id: str) -> bool:
        socket = self._socket(connection_id)
        if socket is None:
            return False
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(socket.connection.close(), self._loop).result(SEND_TIMEOUT_SECONDS)
        return True

    def info(self, connection_id: str) -> dict[str, Any] | None:
        socket = self._socket(connection_id)
        if socket is None:
            return None
        # The wire names of the service model (botocore maps them to ConnectedAt, Identity...).
        return {"connectedAt": socket.connected_at.isoformat(), "lastActiveAt": socket.last_active.isoformat(),
                "identity": {"sourceIp": socket.source_ip, "userAgent": socket.user_agent}}


def _chosen_subprotocol(connection: ServerConnection, offered: Sequence[Subprotocol]) -> Subprotocol | None:
    """The subprotocol ``$connect`` answered with, if the client offered it (API Gateway's behaviour)."""
    chosen = getattr(connection, "chosen_subprotocol", None)
    return Subprotocol(chosen) if chosen is not None and chosen in offered else None


async def _cancel_the_rest() -> None:
    tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def _headers(headers: Headers) -> dict[str, list[str]]:
    multi: dict[str, list[str]] = {}
    for name, value in headers.raw_items():
        multi.setdefault(name, []).append(value)
    return multi


class _ManagementHandler(BaseHTTPRequestHandler):
    """``/<stage>/@connections/<id>``: POST, GET, DELETE, answered as API Gateway's Management API."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    @property
    def api(self) -> LocalWebSocketApi:
        return self.server.api  # type: ignore[attr-defined, no-any-return]

    def _connection_id(self) -> str | None:
        parts = urlsplit(self.path).path.strip("/").split("/")
        if len(parts) == 3 and parts[0] == self.api.stage and parts[1] == "@connections" and parts[2]:
            return unquote(parts[2])
        return None

    def _answer(self, status: int, body: dict[str, Any] | None = None, error: str | None = None) -> None:
        payload = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        if error is not None:
            self.send_header("x-amzn-ErrorType", error)  # where botocore's rest-json parser finds the code
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _gone(self, connection_id: str) -> None:
        self._answer(410, {"message": f"connection {connection_id} is gone"}, error="GoneException")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        data = self.rfile.read(length) if length else b""
        connection_id = self._connection_id()
        if connection_id is None:
            self._answer(404, {"message": "not found"}, error="NotFoundException")
        elif len(data) > 128 * 1024:
            self._answer(413, {"message": "payload too large"}, error="PayloadTooLargeException")
        elif self.api.post(connection_id, data):
            self._answer(200)
        else:
            self._gone(connection_id)

    def do_GET(self) -> None:
        connection_id = self._connection_id()
        info = self.api.info(connection_id) if connection_id is not None else None
        if connection_id is None:
            self._answer(404, {"message": "not found"}, error="NotFoundException")
        elif info is None:
            self._gone(connection_id)
        else:
            self._answer(200, info)

    def do_DELETE(self) -> None:
        connection_id = self._connection_id()
        if connection_id is None:
            self._answer(404, {"message": "not found"}, error="NotFoundException")
        elif self.api.close(connection_id):
            self._answer(204)
        else:
            self._gone(connection_id)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)


class _LocalSession:
    """What ``app.websocket_api.session`` needs: ``client("apigatewaymanagementapi", endpoint_url=...)``."""

    def __init__(self, endpoint: str, region: str) -> None:
        self._endpoint = endpoint
        self.region_name = region

    def client(self, service: str, endpoint_url: str | None = None, **kwargs: Any) -> Any:
        if service != "apigatewaymanagementapi":
            return boto3.client(service, endpoint_url=endpoint_url, region_name=self.region_name, **kwargs)
        return boto3.client(service, endpoint_url=self._endpoint, region_name=self.region_name, **kwargs)

