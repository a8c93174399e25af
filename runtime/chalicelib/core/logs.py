"""JSON logs that carry the request's correlation id, formatted by Powertools.

``correlation_id`` is always the server's id of the request (API Gateway's
``requestId``): a caller cannot choose it, so it finds every line of one
request. The id a caller sent in ``X-Correlation-Id`` rides along apart, as
``caller_correlation_id``. Asynchronous handlers take the id their record
carries (a stream row's ``correlation_id``, a message's ``correlation_id``
attribute: see ``chalicelib.core.messages``), so one like is one id from the
API function to the ledger.

Every line has ``level``, ``message``, ``timestamp``, ``service``,
``correlation_id``, ``function_request_id`` (Lambda's request id),
``cold_start`` and, where X-Ray traces, ``xray_trace_id``: Powertools'
``LambdaPowertoolsFormatter`` writes them. Modules keep plain ``logging``
loggers (``get_logger``); the formatter is imported on the first line written,
not at import, so cold import does not pay for it.

Usage::

    log = get_logger(__name__)
    with correlation(request_id, caller="their-id"):
        log.info("profile created", extra={"username": name})
"""

from __future__ import annotations

import contextvars
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_CORRELATION: contextvars.ContextVar[str | None] = contextvars.ContextVar("correlation_id", default=None)
_CALLER: contextvars.ContextVar[str | None] = contextvars.ContextVar("caller_correlation_id", default=None)
_INVOCATION: contextvars.ContextVar[dict[str, Any]] = contextvars.ContextVar("invocation", default={})  # noqa: B039
SERVICE_ENV = "POWERTOOLS_SERVICE_NAME"
DEFAULT_SERVICE = "social"


class JsonFormatter(logging.Formatter):
    """One JSON object per line (what CloudWatch Logs Insights queries best), by Powertools' formatter."""

    def __init__(self) -> None:
        super().__init__()
        self._powertools: logging.Formatter | None = None

    def format(self, record: logging.LogRecord) -> str:
        if self._powertools is None:
            from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

            self._powertools = LambdaPowertoolsFormatter(
                service=os.environ.get(SERVICE_ENV, DEFAULT_SERVICE), utc=True, use_rfc3339=True,
                log_record_order=["level", "message", "timestamp", "service", "correlation_id"])
        # The context's keys go in as the record's extras; what the call site passed in ``extra`` wins.
        for key, value in context_keys().items():
            if not hasattr(record, key):
                setattr(record, key, value)
        record.logger = record.name
        return self._powertools.format(record)


def context_keys() -> dict[str, Any]:
    """The keys every line carries now: the invocation's and the correlation's (``None`` left out)."""
    keys: dict[str, Any] = {**_INVOCATION.get(), "correlation_id": _CORRELATION.get()}
    caller = _CALLER.get()
    if caller is not None:
        keys["caller_correlation_id"] = caller
    return keys


_configured = False


def get_logger(name: str) -> logging.Logger:
    global _configured
    if not _configured:
        root = logging.getLogger("chalicelib")
        if not root.handlers:
            handler = logging.StreamHandler()
            handler.setFormatter(JsonFormatter())
            root.addHandler(handler)
            root.propagate = False
        root.setLevel(os.environ.get("LOG_LEVEL", "INFO"))
        _configured = True
    return logging.getLogger(name)


@contextmanager
def correlation(correlation_id: str, *, caller: str | None = None) -> Iterator[None]:
    token, caller_token = _CORRELATION.set(correlation_id), _CALLER.set(caller)
    try:
        yield
    finally:
        _CORRELATION.reset(token)
        _CALLER.reset(caller_token)


def current_correlation_id() -> str | None:
    return _CORRELATION.get()


_cold = True


@contextmanager
def invocation(request_id: str | None, function_name: str | None = None) -> Iterator[None]:
    """One Lambda invocation: its request id and whether it is the process's first (cold) on every line.

    The request id is also the correlation id until something more specific (a route, a record) sets one.
    """
    global _cold
    cold, _cold = _cold, False
    keys = {"function_request_id": request_id, "cold_start": cold}
    if function_name:
        keys["function_name"] = function_name
    token = _INVOCATION.set(keys)
    try:
        with correlation(request_id) if request_id and _CORRELATION.get() is None else _nothing():
            yield
    finally:
        _INVOCATION.reset(token)


@contextmanager
def _nothing() -> Iterator[None]:
    yield
