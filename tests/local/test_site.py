"""The web client on the local platform answers as the distribution does (stacks/webfiles.py's rules)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from local.site import LocalSite
from stacks.webfiles import IMMUTABLE, NO_CACHE


def body(answer: dict[str, Any] | None) -> bytes:
    assert answer is not None
    return base64.b64decode(answer["body"])


def test_routes_files_caching_and_config_follow_the_distributions_rules(tmp_path: Path) -> None:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html><div id=root></div>")
    (tmp_path / "assets" / "index-B3xk9aQe.js").write_text("console.log(1)")
    (tmp_path / "assets" / "plain.js").write_text("console.log(2)")
    (tmp_path.parent / "secret.txt").write_text("outside the build")
    site = LocalSite(tmp_path, lambda: "ws://127.0.0.1:8001/api")

    route = site.answer("GET", "/u/ada?tab=posts")
    assert route is not None and body(route).startswith(b"<!doctype html>")
    assert route["headers"]["Cache-Control"] == NO_CACHE
    assert "frame-ancestors 'none'" in route["headers"]["Content-Security-Policy"]
    hashed = site.answer("GET", "/assets/index-B3xk9aQe.js")
    assert hashed is not None and hashed["headers"]["Cache-Control"] == IMMUTABLE
    plain = site.answer("GET", "/assets/plain.js")
    assert plain is not None and plain["headers"]["Cache-Control"] == NO_CACHE
    assert json.loads(body(site.answer("GET", "/config.json")))["websocket_url"] == "ws://127.0.0.1:8001/api"
    escape = site.answer("GET", "/%2E%2E/secret.txt")
    assert escape is not None and escape["statusCode"] == 404
    # The API's and the platform's own paths are not the site's; nor is anything but GET and HEAD.
    assert site.answer("GET", "/v1/health") is None and site.answer("GET", "/local/outbox") is None
    assert site.answer("POST", "/u/ada") is None
