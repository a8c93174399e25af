"""Local-only routes on the platform's HTTP server, beside the app's: the CDN, the outbox and schedules.

- ``GET /cdn/<bucket>/<key>``: a ``cdn`` bucket's file (``local.cdn``);
- ``GET /local/outbox`` (``?kind=email|push``, ``?to=``): the mails and pushes captured on moto
  (``local.outbox``), ``{"items": [...]}``; ``DELETE /local/outbox`` empties it;
- ``POST /local/schedules/<handler>``: runs a schedule handler now, as EventBridge would
  (``EventPump.fire``), and answers its result; ``GET /local/schedules`` lists them;
- ``POST /local/search/reindex``: rebuilds the embedded search index from the tables
  (``chalicelib.search.reindex``: rows it never saw are added, what the stream wrote stays) and
  answers what was applied per index (``make reindex``);
- ``POST /local/seed?users=&posts=`` (and ``celebrities``, ``media_every``, ``seed``): fills the platform
  with a social graph through the domain layer (``local.seed``) and answers what it made (``make seed``).

Nothing under ``/local/`` exists in AWS; the platform listens on loopback only.

Usage::

    curl -s localhost:8000/local/outbox?kind=email
    curl -s -XPOST localhost:8000/local/schedules/daily_digest
    curl -s -XPOST localhost:8000/local/search/reindex
    curl -s -XPOST 'localhost:8000/local/seed?users=1000&posts=10000'
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

from local.cdn import LocalAnswers, LocalCdn
from local.outbox import Outbox
from local.seed import Size

# The seed's knobs: (smallest, largest) accepted in the query string.
SEED_BOUNDS = {"users": (2, 100_000), "posts": (0, 1_000_000), "celebrities": (0, 100), "media_every": (0, 1_000_000),
               "likes_per_post": (0, 1_000), "comments_per_post": (0, 1_000),
               "seed": (0, 2**31)}
SEED_FRACTIONS = frozenset({"likes_per_post", "comments_per_post"})  # the knobs that take a decimal


def _number(text: str, *, whole: bool) -> float | None:
    if whole:
        return int(text) if text.isdigit() else None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None

PREFIX = "/local/"


def _json(status: int, body: Any) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"Content-Type": "application/json"},
            "body": json.dumps(body, default=str)}


def _error(status: int, code: str, message: str) -> dict[str, Any]:
    return _json(status, {"error": {"code": code, "message": message}})


class LocalRoutes:
    """Answers the local-only paths; None for every other path (the app's)."""

    def __init__(self, cdn: LocalCdn | None, outbox: Outbox | None, schedules: Callable[[], list[str]],
                 fire: Callable[[str], Any], reindex: Callable[[], Any] | None = None,
                 site: LocalAnswers | None = None, seed: Callable[[Size], Any] | None = None) -> None:
        self._cdn = cdn
        self._seed = seed
        self._site = site
        self._reindex = reindex
        self._outbox = outbox
        self._schedules = schedules
        self._fire = fire

    def answer(self, method: str, target: str) -> dict[str, Any] | None:
        if self._cdn is not None:
            served = self._cdn.answer(method, target)
            if served is not None:
                return served
        parts = urlsplit(target)
        if not parts.path.startswith(PREFIX):
            return self._site.answer(method, target) if self._site is not None else None
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        path = parts.path.rstrip("/")
        if path == "/local/outbox" and self._outbox is not None:
            if method == "GET":
                return _json(200, {"items": self._outbox.entries(query.get("kind"), query.get("to"))})
            if method == "DELETE":
                self._outbox.clear()
                return {"statusCode": 204, "headers": {}, "body": ""}
            return _error(405, "method_not_allowed", "GET or DELETE")
        if path == "/local/schedules" and method == "GET":
            return _json(200, {"items": self._schedules()})
        if path.startswith("/local/schedules/") and method == "POST":
            name = path.removeprefix("/local/schedules/")
            if name not in self._schedules():
                return _error(404, "not_found", f"no schedule handler {name!r}; known: {', '.join(self._schedules())}")
            try:
                return _json(200, {"handler": name, "result": self._fire(name)})
            except Exception as error:  # the handler's own failure, shown to the developer who fired it
                return _error(500, "handler_failed", repr(error))
        if path == "/local/search/reindex" and method == "POST" and self._reindex is not None:
            try:
                return _json(200, self._reindex())
            except Exception as error:  # shown to the developer who asked for it
                return _error(500, "reindex_failed", repr(error))
        if path == "/local/seed" and method == "POST" and self._seed is not None:
            return self._seeded(query)
        return _error(404, "not_found", f"no local route {method} {parts.path}")

    def _seeded(self, query: dict[str, str]) -> dict[str, Any]:
        knobs: dict[str, Any] = {}
        for name, value in query.items():
            if name not in SEED_BOUNDS:
                return _error(400, "bad_parameter", f"unknown parameter {name!r}; known: {', '.join(SEED_BOUNDS)}")
            low, high = SEED_BOUNDS[name]
            number = _number(value, whole=name not in SEED_FRACTIONS)
            if number is None or not low <= number <= high:
                kind = "a number" if name in SEED_FRACTIONS else "a whole number"
                return _error(400, "bad_parameter", f"{name} must be {kind} from {low} to {high}")
            knobs[name] = number
        assert self._seed is not None
        try:
            return _json(200, self._seed(Size(**knobs)))
        except Exception as error:  # shown to the developer who asked for it; what was made stays
            return _error(500, "seed_failed", repr(error))
