"""Telemetry on the local platform: one like is one correlation id from the HTTP request to the coin award.

The platform's output is what CloudWatch Logs would hold: JSON log lines (Powertools' format) and
the embedded-metric-format lines of the business metrics, both read back here from its log file.
"""

from __future__ import annotations

import json
from typing import Any

import requests

from tests.e2e.conftest import RunningPlatform, register_and_login
from tests.e2e.test_social import Api, eventually


def _lines(platform: RunningPlatform) -> list[dict[str, Any]]:
    found = []
    for line in platform.output.read_text().splitlines():
        start = line.find("{")
        if start < 0:
            continue
        try:
            document = json.loads(line[start:])
        except ValueError:
            continue
        if isinstance(document, dict):
            found.append(document)
    return found


def _metric_lines(lines: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [line for line in lines if name in line and any(
        metric["Name"] == name for directive in line.get("_aws", {}).get("CloudWatchMetrics", [])
        for metric in directive["Metrics"])]


def test_a_like_is_followed_by_its_correlation_id_to_the_coin_award(platform: RunningPlatform) -> None:
    ann, ben = (register_and_login(platform, n) for n in ("tann", "tben"))
    post = Api(platform, ann).ok("POST", "/posts", 201, json={"content": "follow my like"})
    liked = requests.put(platform.api(f"/posts/{post['id']}/like"), headers=ben.headers, timeout=10)
    assert liked.status_code == 200, liked.text
    request_id = liked.headers["X-Request-Id"]

    def steps() -> list[dict[str, Any]]:
        return [line for line in _lines(platform) if line.get("correlation_id") == request_id]

    awarded = eventually(steps, lambda lines: any(line["message"] == "coins awarded" for line in lines))
    by_message = {line["message"]: line for line in awarded}
    # The API function, the stream's publisher, the queue's consumer and the ledger: one id throughout.
    api = by_message["request"]
    assert api["route"] == "/v1/posts/{post_id}/like" and api["status"] == 200
    published = by_message["events published"]
    assert "like.created" in published["types"]
    handled = [line for line in awarded
               if line["message"] == "message handled" and line["event_type"] == "like.created"]
    assert any("award_coins" in line.get("function_name", "") for line in handled)
    award = by_message["coins awarded"]
    assert award["user"] == ann.username and award["reason"] == "like_received"
    functions = {line.get("function_name") for line in awarded}
    assert len(functions) >= 3, functions  # the API, the publisher and the award run as different functions
    for line in awarded:
        assert {"level", "message", "timestamp", "service", "function_request_id", "cold_start"} <= line.keys()

    # What it did, as metrics: a like added and coins awarded, in namespace Social with the stage.
    lines = _lines(platform)
    for name in ("LikesAdded", "CoinsAwarded"):
        emitted = _metric_lines(lines, name)
        assert emitted, name
        directive = emitted[-1]["_aws"]["CloudWatchMetrics"][0]
        assert directive["Namespace"] == "Social" and directive["Dimensions"] == [["Stage"]]
        assert emitted[-1]["Stage"] == "local"
