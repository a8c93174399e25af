"""JSON logs that carry the request's correlation id.

``correlation_id`` is always the server's id of the request (API Gateway's
``requestId``): a caller cannot choose it, so it finds every line of one
request. The id a caller sent in ``X-Correlation-Id`` rides along apart, as
``caller_correlation_id``.

Usage::

    log = get_logger(__name__)
    with correlation(request_id, caller="their-id"):
        log.info("profile created", extra={"username": name})
"""

from __future__ import annotations

import contextvars
import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_CORRELATION: contextvars.ContextVar[str | None] = contextvars.ContextVar("correlation_id", default=None)
_CALLER: contextvars.ContextVar[str | None] = contextvars.ContextVar("caller_correlation_id", default=None)
_STANDARD = set(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: what CloudWatch Logs Insights queries best."""

    def format(self, record: logging.LogRecord) -> str:
        document: dict[str, Any] = {
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "correlation_id": _CORRELATION.get(),
        }
        caller = _CALLER.get()
        if caller is not None:
            document["caller_correlation_id"] = caller
        document.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            document["exception"] = self.formatException(record.exc_info)
        return json.dumps(document, default=str)


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
