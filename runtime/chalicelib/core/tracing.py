"""Telemetry around every invocation, and X-Ray subsegments only where they are wanted.

``install_telemetry(app)`` registers one Chalice middleware for every kind of handler: it puts the
Lambda request id and the cold-start marker on each log line (``chalicelib.core.logs``), logs one
line per HTTP request, and flushes the invocation's business metrics (``chalicelib.core.metrics``).

Lambda's active tracing records each invocation without any SDK. The X-Ray SDK adds a subsegment
per AWS call and per SQL statement but costs about 300 ms of cold start to import, so it is patched
in only when ``TRACING`` is on and the code runs in Lambda, and only for botocore (on the first AWS
call: a request that calls AWS pays for the SDK, the import of the app does not) and (once the ledger
connects, ``trace_sql``) SQLAlchemy, never ``patch_all()``. ``traced_step(name)`` names the
domain step (``award``, ``redeem``, ``fanout``) those subsegments hang under; it does nothing while
tracing is off.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from types import ModuleType
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from importlib.abc import Loader
    from importlib.machinery import ModuleSpec

from chalicelib.core import metrics
from chalicelib.core.logs import correlation, get_logger, invocation
from chalicelib.core.settings import get_settings

log = get_logger(__name__)
_installed = False


def install_tracing() -> bool:
    """Have botocore patched for X-Ray when enabled, once it is imported; returns whether it will be (then
    ``trace_sql`` patches SQLAlchemy)."""
    global _installed
    if not get_settings().tracing or "AWS_LAMBDA_FUNCTION_NAME" not in os.environ:
        return False
    _after_import("botocore.client", _patch_on_first_call)
    _installed = True
    return True


def _patch_on_first_call(client_module: ModuleType) -> None:
    """The first API call of any client patches botocore for X-Ray, then goes through the patched method.

    Not at the import of ``botocore.client``: the SDK makes a botocore session as it loads, and
    ``botocore.session`` may be the module still importing ``botocore.client`` (a circular import).
    Two threads' first calls may both patch: the SDK patches a module once.
    """
    client_class = client_module.BaseClient
    original = client_class._make_api_call

    def first_call(self: Any, operation_name: str, api_params: Any) -> Any:
        client_class._make_api_call = original
        from aws_xray_sdk.core import patch

        patch(["botocore"])  # wraps BaseClient._make_api_call (and Endpoint.prepare_request: the trace header)
        return client_class._make_api_call(self, operation_name, api_params)

    client_class._make_api_call = first_call


# The finder and the loader below are the import protocol's duck types, not subclasses of importlib.abc's:
# importing importlib.abc loads importlib.resources (tempfile, shutil, zipfile...), 3 ms of a cold start.
class _AfterImport:
    """Finds module ``name`` as the other finders would, and runs ``callback`` once it has executed."""

    def __init__(self, name: str, callback: Callable[[ModuleType], None]) -> None:
        self.name, self.callback = name, callback

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> ModuleSpec | None:
        if fullname != self.name:
            return None
        sys.meta_path.remove(self)  # once; and the search below must not find this finder again
        spec = importlib.util.find_spec(fullname)
        if spec is not None and spec.loader is not None:
            spec.loader = cast("Loader", _ThenCall(spec.loader, self.callback))  # one by duck type
        return spec


class _ThenCall:
    """The module's own loader, then ``callback(module)``; anything else asked of it (source for tracebacks)
    goes to the real loader."""

    def __init__(self, loader: Loader, callback: Callable[[ModuleType], None]) -> None:
        self.loader, self.callback = loader, callback

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        return self.loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self.loader.exec_module(module)
        self.callback(module)

    def __getattr__(self, name: str) -> Any:
        if name == "loader":  # not set yet (an instance made without __init__, as copy makes one): no recursion
            raise AttributeError(name)
        return getattr(self.loader, name)


def _after_import(name: str, callback: Callable[[ModuleType], None]) -> None:
    """``callback(module)`` as soon as module ``name`` is imported: now if it already is. (wrapt's post-import
    hooks do this too, but importing wrapt costs 80 ms here: asyncio and importlib.metadata.)"""
    if name in sys.modules:
        callback(sys.modules[name])
    else:
        sys.meta_path.insert(0, _AfterImport(name, callback))


def trace_sql() -> bool:
    """Where tracing is installed, a subsegment per SQL statement; called as the ledger makes its engine, so a
    function that never runs SQL never imports SQLAlchemy for it (about 250 ms). Returns whether it patched."""
    if not _installed:
        return False
    from aws_xray_sdk.core import patch

    patch(["sqlalchemy_core"])  # the SDK patches a module once, however often it is asked
    return True


@contextmanager
def traced_step(name: str) -> Iterator[None]:
    """A subsegment named for the domain step, its AWS and SQL calls under it; a no-op untraced."""
    if not _installed:
        yield
        return
    from aws_xray_sdk.core import xray_recorder

    with xray_recorder.in_subsegment(name) as subsegment:
        if subsegment is not None:
            subsegment.put_annotation("step", name)
        yield


def install_telemetry(app: Any) -> None:
    """Every handler of ``app`` (routes, streams, queues, schedules) runs inside ``telemetry``."""
    app.register_middleware(telemetry, "all")


def telemetry(event: Any, get_response: Callable[[Any], Any]) -> Any:
    context = getattr(event, "lambda_context", None) or getattr(event, "context", None)
    http = hasattr(event, "method") and hasattr(event, "path")
    token = metrics.begin()
    try:
        with invocation(getattr(context, "aws_request_id", None), getattr(context, "function_name", None)):
            response = get_response(event)
            if http:
                headers = getattr(response, "headers", None) or {}
                with correlation(headers.get("X-Request-Id") or "", caller=headers.get("X-Correlation-Id")):
                    log.info("request", extra={"method": event.method, "route": event.path,
                                               "status": getattr(response, "status_code", None)})
            return response
    finally:
        metrics.end(token)
