"""Calling a Chalice event handler as Lambda would.

Lambda imports the module of the handler string (``app.fan_out``,
``chalicelib.feed.handlers.fan_out``) and calls the attribute, which is
Chalice's ``EventSourceHandler`` wrapper, with ``(event, context)``. The
decorator returns that same wrapper and Chalice keeps it in
``app.handler_map[name]``, so that is where it is taken from: it is the very
object the handler string names, and it also works for an app built inside a
test (whose handler strings say ``app.<function>`` whatever module defines
them). The handler string is imported only when the map lacks the name.

With ``grants`` (``local.grants.Grants``), the handler's AWS calls are judged
against its own function's policy, as its role would judge them in AWS.

Usage::

    invoker = Invoker(app, function_prefix="social-local-", grants=grants)
    result = invoker.invoke("fan_out", {"Records": [...]})   # the handler's return value
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from chalice.app import Chalice
from chalice.local import LambdaContext

if TYPE_CHECKING:
    from local.grants import Grants

Handler = Callable[[dict[str, Any], Any], Any]


class Invoker:
    """Resolves handler names of one app and calls them with a Lambda context."""

    def __init__(self, app: Chalice, function_prefix: str = "", timeout_seconds: int = 900,
                 memory_mb: int = 512, grants: Grants | None = None) -> None:
        self._app = app
        self._grants = grants
        self._prefix = function_prefix
        self._timeout_ms = timeout_seconds * 1000
        self._memory_mb = memory_mb
        self._strings = {source.name: source.handler_string for source in app.event_sources}

    def resolve(self, name: str) -> Handler:
        handler = self._app.handler_map.get(name)
        if handler is None:
            module_name, _, attribute = self._strings[name].rpartition(".")
            handler = getattr(importlib.import_module(module_name), attribute)
        if not callable(handler):
            raise TypeError(f"handler {name} resolves to a non-callable {handler!r}")
        return handler

    def context(self, name: str) -> LambdaContext:
        return LambdaContext(function_name=f"{self._prefix}{name}", memory_size=self._memory_mb,
                             max_runtime_ms=self._timeout_ms)

    def invoke(self, name: str, event: dict[str, Any]) -> Any:
        handler, context = self.resolve(name), self.context(name)
        with self._grants.calling(name) if self._grants is not None else contextlib.nullcontext():
            return handler(event, context)
