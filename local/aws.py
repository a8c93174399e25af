"""moto's server in-process, and the environment that points boto3 at it.

The server tells its listeners after every request that was not made by the
event pump (whose clients mark their ``User-Agent`` with ``QUIET_AGENT``) and
may have changed something: a ``Change`` naming the service and, where the
request names them, the tables or queues written (a message sent, an item
written, a topic published to). The pump wakes only the sources that change can
feed, at once instead of at its next tick.

Usage::

    with MotoServer() as moto:
        env = aws_environment(moto.endpoint, region="us-east-1")
        # every boto3 client (and PynamoDB) created with ``env`` in os.environ talks to moto
        moto.on_change(pump.poke)                 # pump.poke(Change("sqs", {"q"})) after each write but the pump's
        moto.reset()                              # forget every resource
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import unquote

import requests
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server

from local import moto_dynamodb, moto_sqs
from local.cognito_triggers import CognitoTriggers, Function

DEFAULT_REGION = "us-east-1"
ACCOUNT_ID = "123456789012"  # moto's default account
QUIET_AGENT = "local-pump"  # in the User-Agent of requests that must not wake the pump (its own polls)

log = logging.getLogger("local.aws")


def aws_environment(endpoint: str, region: str = DEFAULT_REGION) -> dict[str, str]:
    """The variables that send every AWS SDK in this process to ``endpoint`` with fake credentials."""
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
    }


_READ = re.compile(r"\.(Get|BatchGet|Query|Scan|Describe|List)\w*$")


_SCOPE = re.compile(r"Credential=[^/,\s]+/\d{8}/[^/]+/([^/]+)/aws4_request")
_TABLE = re.compile(rb'"TableName"\s*:\s*"([^"]+)"')
_QUEUE = re.compile(rb'QueueUrl"?\s*[:=]\s*"?([^"&,}\s]+)')
_TOPIC = re.compile(rb'TopicArn"?\s*[:=]\s*"?([^"&,}\s]+)')
_TARGET_SERVICES = {"DynamoDB_": "dynamodb", "AmazonSQS.": "sqs", "AWSCognitoIdentityProviderService.": "cognito-idp"}


@dataclass(frozen=True)
class Change:
    """What a request may have changed: a service (the signing name, ``None`` if unknown) and, when the
    request names them, the physical tables, queue names or topic ARNs it wrote to (``None``: any of the
    service's)."""

    service: str | None
    names: frozenset[str] | None = None


def _may_change(environ: dict[str, Any]) -> bool:
    """Whether a request can have changed anything: reads (GET, DynamoDB GetItem/Query, ...) cannot."""
    if environ.get("REQUEST_METHOD") in {"GET", "HEAD"}:
        return False
    return not _READ.search(environ.get("HTTP_X_AMZ_TARGET", ""))


def _service(environ: dict[str, Any]) -> str | None:
    scope = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    if scope:
        return scope.group(1)
    target = environ.get("HTTP_X_AMZ_TARGET", "")  # unsigned calls (Cognito's SignUp, InitiateAuth)
    return next((name for prefix, name in _TARGET_SERVICES.items() if target.startswith(prefix)), None)


def _names(service: str | None, body: bytes) -> frozenset[str] | None:
    """The tables (DynamoDB), queues (SQS, by name) or topics (SNS, by ARN) a write names; None when it names
    none we can read."""
    if service == "dynamodb":
        if b'"RequestItems"' in body:  # BatchWriteItem: the tables are the keys
            try:
                return frozenset(json.loads(body).get("RequestItems") or {})
            except ValueError:
                return None
        return frozenset(m.decode() for m in _TABLE.findall(body)) or None
    if service == "sqs":
        urls = [unquote(m.decode()) for m in _QUEUE.findall(body)]
        return frozenset(url.rstrip("/").rsplit("/", 1)[-1] for url in urls) or None
    if service == "sns":
        return frozenset(unquote(m.decode()) for m in _TOPIC.findall(body)) or None
    return None


def change_of(environ: dict[str, Any], body: bytes) -> Change:
    """The change a write to moto (``_may_change``) may have made, from its headers and ``body``."""
    service = _service(environ)
    return Change(service, _names(service, body))


class _Notifying:
    """WSGI middleware: after each request that may change something and is not marked ``QUIET_AGENT``,
    call every listener with the ``Change``. Reads wake nobody: a burst of them would otherwise set every
    source polling; and a write wakes only the sources it can feed (``EventPump.poke``): a handler's
    every write used to set all twenty-odd sources polling moto, ten polls per call the app made."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.listeners: list[Callable[[Change], None]] = []
        self.hushed = 0  # while above 0 (``MotoServer.quiet``), no write wakes anyone

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if self.hushed or QUIET_AGENT in environ.get("HTTP_USER_AGENT", "") or not _may_change(environ):
            return self.app(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length > 0 else b""
        environ["wsgi.input"] = io.BytesIO(body)  # moto reads it again
        try:
            return self.app(environ, start_response)  # moto has done the work once this returns
        finally:
            change = change_of(environ, body)
            for listener in list(self.listeners):
                try:
                    listener(change)
                except Exception:
                    log.exception("moto change listener failed")


class _Dispatcher(DomainDispatcherApplication):
    """moto's dispatcher, remembering which backend serves each host. moto 5.2 works it out on every request,
    under the dispatcher's one lock: ``list_of_moto_modules()`` (``os.listdir`` and ``isdir`` of 174
    entries, 0.2 ms), then up to some 200 URL patterns. Neither changes while the server runs, and a
    platform sends a handful of hosts, so each is worked out once, by moto's own lookup."""

    def __init__(self, create_app: Callable[..., Any]) -> None:
        super().__init__(create_app)
        self._backends: dict[str | None, Any] = {}  # read and written under self.lock (get_application)

    def get_backend_for_host(self, host: str | None) -> Any:
        if host not in self._backends:
            self._backends[host] = super().get_backend_for_host(host)
        return self._backends[host]


class _DynamoDBIsolation:
    """WSGI middleware: one DynamoDB request at a time, as DynamoDB's own isolation would have it.

    moto's backend is not thread-safe, and a transaction writes to the live
    tables before it knows whether it commits: when a condition fails, the
    journal (``local.moto_dynamodb``) puts the items back and drops the stream
    records it appended. Serialising DynamoDB calls, stream reads included,
    means no other request sees a write that is then rolled back.
    """

    _TARGETS = ("DynamoDB_", "DynamoDBStreams_")

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if not environ.get("HTTP_X_AMZ_TARGET", "").startswith(self._TARGETS):
            return self.app(environ, start_response)
        with self._lock:
            return list(self.app(environ, start_response))


class MotoServer:
    """moto's threaded server on ``host:port`` (port 0 picks a free one); werkzeug's request log silenced."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._host = host
        self._port = port
        self._triggers = CognitoTriggers(_DynamoDBIsolation(_Dispatcher(create_backend_app)))
        self._app = _Notifying(self._triggers)
        self._hush = threading.Lock()
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> MotoServer:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        moto_dynamodb.install()  # transactions and key queries that do not slow down as tables grow
        moto_sqs.install()  # receives that do not slow down with the square of a backlog
        # moto accepts any TOTP code unless told to check it (moto/settings.py); checked, a wrong code
        # is refused here as Cognito refuses it. moto's secret is one fixed value for every user.
        os.environ.setdefault("MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP", "true")
        self._server = make_server(self._host, self._port, self._app, threaded=True,
                                   request_handler=MotoRequestHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="local-moto", daemon=True)
        self._thread.start()
        return self

    @property
    def endpoint(self) -> str:
        if self._server is None:
            raise RuntimeError("moto's server is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def lambda_functions(self) -> dict[str, Function]:
        """Functions by name that user pools' triggers may call (moto stores triggers, never calls them)."""
        return self._triggers.functions

    def on_change(self, listener: Callable[[Change], None]) -> None:
        """Call ``listener`` (quickly: it runs on the request's thread) after every write but the pump's."""
        self._app.listeners.append(listener)

    @contextlib.contextmanager
    def quiet(self) -> Iterator[None]:
        """No write wakes the listeners meanwhile: the pump takes what is written at its idle interval, a
        batch at a time, instead of polling after each of a bulk load's thousands of writes."""
        with self._hush:
            self._app.hushed += 1
        try:
            yield
        finally:
            with self._hush:
                self._app.hushed -= 1

    def reset(self) -> None:
        """Clear every moto backend (they are process-wide, shared by all servers in this process)."""
        requests.post(f"{self.endpoint}/moto-api/reset", timeout=10).raise_for_status()

    def stop(self) -> None:
        if self._server is None:
            return
        self._app.listeners.clear()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(10)
        self._server = None
        self._thread = None

    def __enter__(self) -> MotoServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
