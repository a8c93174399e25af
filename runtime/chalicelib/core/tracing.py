"""Telemetry around every invocation, and X-Ray subsegments only where they are wanted.

``install_telemetry(app)`` registers one Chalice middleware for every kind of handler: it puts the
Lambda request id and the cold-start marker on each log line (``chalicelib.core.logs``), logs one
line per HTTP request, and flushes the invocation's business metrics (``chalicelib.core.metrics``).

Lambda's active tracing records each invocation without any SDK. The X-Ray SDK adds a subsegment
per AWS call and per SQL statement but costs about 300 ms of cold start to import, so it is patched
in only when ``TRACING`` is on and the code runs in Lambda, and only for botocore and (once the
ledger connects, ``trace_sql``) SQLAlchemy, never ``patch_all()``. ``traced_step(name)`` names the
domain step (``award``, ``redeem``, ``fanout``) those subsegments hang under; it does nothing while
tracing is off.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from chalicelib.core import metrics
from chalicelib.core.logs import correlation, get_logger, invocation
from chalicelib.core.settings import get_settings

log = get_logger(__name__)
_installed = False


def install_tracing() -> bool:
    """Patch botocore for X-Ray when enabled; returns whether it did (then ``trace_sql`` patches SQLAlchemy)."""
    global _installed
    if not get_settings().tracing or "AWS_LAMBDA_FUNCTION_NAME" not in os.environ:
        return False
    from aws_xray_sdk.core import patch

    patch(["botocore"])
    _installed = True
    return True


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
