"""What the web client's hosting promises, without Pulumi: the build's files and how each is cached, which
paths are client-side routes, the security headers, and the run-time ``config.json``.

The stack (``stacks/web.py``: S3 objects, CloudFront's headers policy and SPA function) and the local platform
(``local/site.py``) both serve by these rules, so ``make dev`` behaves as the distribution does.

Usage::

    for file in site_files(DIST): file.key, file.cache_control   # "assets/index-Cwq8FiQ0.js", IMMUTABLE
    is_client_route("/u/ada")                                      # True: answered with index.html
    app_config(websocket_url="/api", hosted_domain=None, client_id=None, providers=[], stage="dev")
"""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DIST = Path(__file__).resolve().parents[1] / "web" / "dist"
ASSETS_PATH = "/assets/*"  # where Vite writes content-hashed files
CONFIG_KEY = "config.json"  # written by the stack (and generated locally), never part of the build
NO_CACHE = "no-cache"
IMMUTABLE = "public, max-age=31536000, immutable"
HSTS_SECONDS = 63_072_000  # two years: what hstspreload.org asks for
# Vite's names: name-<8+ base64url characters>.ext
HASHED = re.compile(r"-[A-Za-z0-9_-]{8,}\.[a-z0-9]+$")
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob: https:",  # media come from the media CDN's own domain
    "media-src 'self' blob: https:",
    "connect-src 'self' https: wss:",  # the API and WebSocket are same-origin; uploads go to S3 directly
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


def security_headers(content_security_policy: str = CONTENT_SECURITY_POLICY) -> dict[str, str]:
    """The headers CloudFront's response-headers policy adds to every answer (``WebSite._headers_policy``)."""
    return {
        "Content-Security-Policy": content_security_policy,
        "Strict-Transport-Security": f"max-age={HSTS_SECONDS}; includeSubDomains",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "strict-origin-when-cross-origin",
    }


def is_client_route(path: str) -> bool:
    """A path whose last segment has no dot is one of the app's routes (``SPA_FALLBACK`` at the edge)."""
    return "." not in path.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class SiteFile:
    """One file of the build: its key in the bucket, where it is, its content type and cache-control."""

    key: str
    path: Path
    content_type: str
    cache_control: str

    @property
    def hashed(self) -> bool:
        return self.cache_control == IMMUTABLE


def content_type(name: str) -> str:
    """The Content-Type a file is served with; text is UTF-8."""
    guessed = mimetypes.guess_type(name)[0] or "application/octet-stream"
    if guessed.startswith("text/") or guessed in ("application/javascript", "application/json"):
        guessed += "; charset=utf-8"
    return guessed


def cache_control(key: str) -> str:
    """A build file's Cache-Control by its key: a content-hashed asset a year, anything else never."""
    hashed = key.startswith(ASSETS_PATH.strip("/*") + "/") and HASHED.search(key.rsplit("/", 1)[-1]) is not None
    return IMMUTABLE if hashed else NO_CACHE


def site_files(dist: Path) -> list[SiteFile]:
    """Every file under ``dist``, sorted by key: hashed assets immutable for a year, anything else never cached."""
    files = []
    for path in sorted(p for p in dist.rglob("*") if p.is_file()):
        key = path.relative_to(dist).as_posix()
        files.append(SiteFile(key, path, content_type(path.name), cache_control(key)))
    return files


def invalidation_paths(files: Sequence[SiteFile]) -> list[str]:
    """What a deploy must invalidate: the files kept under a fixed name (hashed ones are new objects)."""
    return sorted({f"/{f.key}" for f in files if not f.hashed} | {"/index.html", f"/{CONFIG_KEY}"})


def app_config(*, websocket_url: str, hosted_domain: str | None, client_id: str | None, providers: Sequence[str],
               stage: str) -> dict[str, Any]:
    """``config.json``: what the one build learns at run time about the stack it is served by (web/src/config.ts)."""
    return {
        "websocket_url": websocket_url,
        "hosted_domain": f"https://{hosted_domain}" if hosted_domain and "://" not in hosted_domain else hosted_domain,
        "client_id": client_id,
        "identity_providers": list(providers),
        "stage": stage,
    }
