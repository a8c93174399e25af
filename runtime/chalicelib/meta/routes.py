"""``GET /health`` and ``GET /openapi.json``."""

from __future__ import annotations

from typing import Any, Literal

from chalicelib.core.routes import Call, Router
from chalicelib.core.schema import ResponseBody

router = Router(__name__, tag="meta")
TITLE = "Social platform API"
VERSION = "1"


class Health(ResponseBody):
    status: Literal["ok"]


@router.route("/health", "GET", public=True, response=Health)
def health(call: Call[None]) -> Health:
    """Liveness: answers without touching any dependency."""
    return Health(status="ok")


@router.route("/openapi.json", "GET", public=True)
def openapi(call: Call[None]) -> dict[str, Any]:
    """This API's OpenAPI 3 document, generated from its routes."""
    from chalicelib.core.openapi import build_openapi  # only this route pays for it

    global _cached
    if _cached is None:
        _cached = build_openapi(router.blueprint.current_app, title=TITLE, version=VERSION)
    return _cached


_cached: dict[str, Any] | None = None
