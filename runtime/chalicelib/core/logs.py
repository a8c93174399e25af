"""JSON logs that carry the request's correlation id.

Usage::

    log = get_logger(__name__)
    with correlation(cid):
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
def correlation(correlation_id: str) -> Iterator[None]:
    token = _CORRELATION.set(correlation_id)
    try:
        yield
    finally:
        _CORRELATION.reset(token)


def current_correlation_id() -> str | None:
    return _CORRELATION.get()
