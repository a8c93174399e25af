"""CORS for third-party browser clients: the origins the stack configures (``CORS_ORIGINS``), none by default.

The app's own web client is served from the API's origin (one distribution) and needs none. With no origin
configured the API sends no CORS header at all and has no preflight route (OPTIONS is a 404, as for any
undefined method). With origins, every path answers OPTIONS with the allowed methods and headers, and an
answer (preflight or not) to a listed ``Origin`` carries ``Access-Control-Allow-Origin: <that origin>``; every
answer carries ``Vary: Origin``. Any other origin gets no allow-origin header: the browser refuses the answer.

One rule for three places: the app's middleware (``install``), the stack's OPTIONS methods
(``stacks/api.py``) and the local gateway's preflights (``local/gateway.py``).

Usage::

    headers = answer_headers("https://partner.example", allowed_origins())   # {} unless listed
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable

from chalice.app import Chalice, Request, Response

from chalicelib.core.environment import CORS_ORIGINS

ALLOW_HEADERS = ("Authorization", "Content-Type", "Idempotency-Key", "X-API-Key")
EXPOSE_HEADERS = ("X-Correlation-Id", "X-Request-Id", "Idempotent-Replayed")
MAX_AGE_SECONDS = 600


def parse_origins(raw: str | None) -> tuple[str, ...]:
    """``CORS_ORIGINS`` (a JSON list of origins); unset or empty: none."""
    if not raw or not raw.strip():
        return ()
    origins = json.loads(raw)
    if not isinstance(origins, list) or not all(isinstance(o, str) and o for o in origins):
        raise ValueError(f"{CORS_ORIGINS} must be a JSON list of origins, e.g. [\"https://partner.example\"]")
    return tuple(origins)


def allowed_origins() -> tuple[str, ...]:
    """The configured origins, read per call (the local platform may change the environment)."""
    return parse_origins(os.environ.get(CORS_ORIGINS))


def answer_headers(origin: str | None, origins: Iterable[str]) -> dict[str, str]:
    """The CORS headers of an answer to a request from ``origin``: none when CORS is off; ``Vary: Origin`` for
    any origin (caches keep one answer per origin), and the allow headers for a listed one only."""
    origins = tuple(origins)
    if not origins:
        return {}
    if not origin or origin not in origins:
        return {"Vary": "Origin"}
    return {"Access-Control-Allow-Origin": origin, "Vary": "Origin",
            "Access-Control-Expose-Headers": ",".join(EXPOSE_HEADERS)}


def preflight_static(methods: Iterable[str]) -> dict[str, str]:
    """What every preflight answer carries, whatever its origin (the stack's mock integration sets these)."""
    return {"Access-Control-Allow-Methods": ",".join(sorted({*methods, "OPTIONS"})),
            "Access-Control-Allow-Headers": ",".join(ALLOW_HEADERS),
            "Access-Control-Max-Age": str(MAX_AGE_SECONDS), "Vary": "Origin"}


def preflight_headers(origin: str | None, origins: Iterable[str], methods: Iterable[str]) -> dict[str, str]:
    """The headers of a preflight's answer (CORS on): the allowed methods and headers, and the origin if listed."""
    return {**preflight_static(methods), **answer_headers(origin, origins)}


def install(app: Chalice) -> None:
    """Add the CORS headers to every answer of ``app`` to a listed origin (nothing when none is configured)."""

    @app.middleware("http")
    def cors(event: Request, get_response: Callable[[Request], Response]) -> Response:
        response = get_response(event)
        origins = allowed_origins()
        if origins:
            origin = event.headers.get("origin")  # Chalice's request headers are case-insensitive
            response.headers.update(answer_headers(str(origin) if origin else None, origins))
        return response
