"""The web client on the local platform: ``web/dist`` at ``/``, beside the API, as the distribution serves it.

The same rules as CloudFront's (``stacks.webfiles``): a client-side route (no dot in its last segment) gets
``index.html``; hashed assets are cached a year, anything else never; every answer carries the security headers.
``/config.json`` is generated: the local WebSocket's URL, and no hosted sign-in pages. The Content-Security-Policy
is the stack's, with ``http:`` and ``ws:`` added to ``connect-src``: locally the WebSocket has its own port and
uploads go to moto over plain HTTP.

The build is read from disk on every request (nothing cached here), so `make web` while the platform runs
shows at the next reload. Without a build, ``/`` says how to make one.

Usage::

    site = LocalSite(DIST, websocket_url=lambda: "ws://127.0.0.1:8001/local")
    site.answer("GET", "/u/ada")   # index.html; None for the API's paths
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from stacks.webfiles import (
    CONFIG_KEY,
    CONTENT_SECURITY_POLICY,
    NO_CACHE,
    app_config,
    cache_control,
    content_type,
    is_client_route,
    security_headers,
)

# What the API and the platform's own routes own; the site answers everything else.
NOT_THE_SITE = ("/v1/", "/cdn/", "/local/", "/api/", "/oauth/", "/.well-known/", "/nodeinfo/")
LOCAL_CSP = CONTENT_SECURITY_POLICY.replace("connect-src 'self' https: wss:",
                                            "connect-src 'self' http: https: ws: wss:")
NO_BUILD = """<!doctype html><html lang="en"><meta charset="utf-8"><title>No web build</title>
<h1>The web client is not built</h1><p>Run <code>make web</code> (or start with <code>make dev</code>),
then reload.</p></html>"""


class LocalSite:
    """Answers GET and HEAD for the app's paths from ``dist``; None for the API's and the platform's."""

    def __init__(self, dist: Path, websocket_url: Callable[[], str | None], stage: str = "local") -> None:
        self._dist = dist.resolve()
        self._websocket_url = websocket_url
        self._stage = stage
        self._headers = security_headers(LOCAL_CSP)
        del self._headers["Strict-Transport-Security"]  # plain HTTP on 127.0.0.1: a browser ignores it anyway

    def answer(self, method: str, target: str) -> dict[str, Any] | None:
        path = unquote(urlsplit(target).path)
        if method not in {"GET", "HEAD"} or path.startswith(NOT_THE_SITE) or path == "/v1":
            return None
        if path == f"/{CONFIG_KEY}":
            config = app_config(websocket_url=self._websocket_url() or "", hosted_domain=None, client_id=None,
                                providers=[], stage=self._stage)
            return self._file(json.dumps(config).encode(), content_type(CONFIG_KEY), NO_CACHE)
        index = self._dist / "index.html"
        if is_client_route(path):
            if not index.is_file():
                return self._file(NO_BUILD.encode(), "text/html; charset=utf-8", NO_CACHE, status=503)
            return self._file(index.read_bytes(), content_type(index.name), NO_CACHE)
        file = (self._dist / path.lstrip("/")).resolve()
        if not file.is_relative_to(self._dist) or not file.is_file():
            return self._file(b"not found", "text/plain; charset=utf-8", NO_CACHE, status=404)
        key = file.relative_to(self._dist).as_posix()
        return self._file(file.read_bytes(), content_type(file.name), cache_control(key))

    def _file(self, data: bytes, kind: str, cache: str, status: int = 200) -> dict[str, Any]:
        headers = {**self._headers, "Content-Type": kind, "Cache-Control": cache}
        return {"statusCode": status, "headers": headers, "body": base64.b64encode(data).decode(),
                "isBase64Encoded": True}
