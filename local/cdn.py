"""The local CDN: ``GET /cdn/<bucket>/<key>`` on the platform's HTTP server serves a ``cdn`` bucket's object.

In AWS, CloudFront serves such a bucket (origin access control; the bucket stays private). Locally
the HTTP server answers the same URLs the runtime builds from ``<NAME>_BUCKET_URL``, reading the
object from moto with the object's own ``Content-Type`` and ``Cache-Control``. Only buckets
declared ``cdn=True`` are served; anything else is a 404, as CloudFront has no other origin.

Usage::

    cdn = LocalCdn(clients.s3, buckets={"social-local-media"})
    cdn.answer("GET", "/cdn/social-local-media/media/01J.../small.webp")   # a proxy-style response, or None
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

PREFIX = "/cdn/"


def _not_found(message: str) -> dict[str, Any]:
    return {"statusCode": 404, "headers": {"Content-Type": "application/json"},
            "body": json.dumps({"error": {"code": "not_found", "message": message}})}


class LocalAnswers(Protocol):
    """What the HTTP server asks before the app: a proxy-style response for paths it serves, else None."""

    def answer(self, method: str, target: str) -> dict[str, Any] | None: ...


class LocalCdn:
    """Answers ``GET``/``HEAD /cdn/<bucket>/<key>`` from moto; other paths are not its business (None)."""

    def __init__(self, s3: Any, buckets: Iterable[str]) -> None:
        self._s3 = s3
        self._buckets = frozenset(buckets)

    def answer(self, method: str, target: str) -> dict[str, Any] | None:
        path = urlsplit(target).path
        if not path.startswith(PREFIX) or method not in {"GET", "HEAD"}:
            return None
        bucket, _, key = unquote(path[len(PREFIX):]).partition("/")
        if bucket not in self._buckets or not key:
            return _not_found("no such file")
        try:
            found = self._s3.get_object(Bucket=bucket, Key=key)
        except self._s3.exceptions.NoSuchKey:
            return _not_found("no such file")
        data = found["Body"].read()
        headers = {"Content-Type": found.get("ContentType") or "application/octet-stream",
                   "ETag": found.get("ETag", ""), "Access-Control-Allow-Origin": "*"}
        if found.get("CacheControl"):
            headers["Cache-Control"] = found["CacheControl"]
        return {"statusCode": 200, "headers": headers, "body": base64.b64encode(data).decode(),
                "isBase64Encoded": True}
