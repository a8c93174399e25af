"""Modules loaded on first use, so a function's cold start pays only for what its first request needs.

Every route and handler module is imported when the Lambda starts (Chalice needs their decorators to
know the routes), but the domain behind them pulls in botocore, PynamoDB, PyJWT or SQLAlchemy: most of
a naive import's cost. A route module names its domain modules with ``lazy_module``; the first call
that reaches one imports it (thread-safe: ``importlib.import_module`` holds the import lock), later
ones find it in ``sys.modules``.

Usage::

    from typing import TYPE_CHECKING
    from chalicelib.core.lazy import lazy_module

    if TYPE_CHECKING:
        from chalicelib.users import profiles
    else:
        profiles = lazy_module("chalicelib.users.profiles")

    def me(call): return profiles.get_or_create(call.principal)   # imported here, on first request

The proxy reads every attribute from the real module each time (no copy), so a test that patches the
module (or the proxy: writes are passed on) patches what the route sees. ``importlib.util.LazyLoader`` was not used: before Python 3.12.3
two threads touching a half-loaded module could see it empty (the local platform serves threads).
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class LazyModule:
    """Stands in for the module ``name`` until an attribute is read."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        object.__setattr__(self, "_name", name)

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self.load(), attribute)

    # Writes go to the real module too (a test's monkeypatch), so the proxy never shadows it.
    def __setattr__(self, attribute: str, value: Any) -> None:
        setattr(self.load(), attribute, value)

    def __delattr__(self, attribute: str) -> None:
        delattr(self.load(), attribute)

    def load(self) -> ModuleType:
        return importlib.import_module(self._name)

    def __repr__(self) -> str:
        return f"<lazy module {self._name!r}>"


def lazy_module(name: str) -> Any:
    """A stand-in for module ``name`` that imports it when first used (typed ``Any``: declare the real
    module under ``TYPE_CHECKING`` so mypy checks the calls)."""
    return LazyModule(name)
