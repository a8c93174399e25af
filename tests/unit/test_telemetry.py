"""The log lines' fields and the business metrics' EMF lines, as CloudWatch will read them."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from chalicelib.core import metric_names as m
from chalicelib.core import metrics
from chalicelib.core.logs import JsonFormatter, correlation, current_correlation_id, invocation
from chalicelib.core.messages import each_message, each_record
from chalicelib.core.settings import get_settings


@pytest.fixture
def lines() -> Iterator[io.StringIO]:
    sink = io.StringIO()
    handler = logging.StreamHandler(sink)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("chalicelib.test_telemetry")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield sink
    finally:
        logger.removeHandler(handler)


def _read(sink: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in sink.getvalue().splitlines()]


def test_every_line_carries_the_invocation_and_the_correlation(lines: io.StringIO,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "social")
    monkeypatch.setenv("_X_AMZN_TRACE_ID", "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1")
    log = logging.getLogger("chalicelib.test_telemetry")
    with invocation("lambda-req-1", "social-dev-award_coins"):
        log.info("first", extra={"user": "ada"})
        with correlation("api-req-9", caller="their-id"):
            log.warning("second")
    with invocation("lambda-req-2"):
        log.info("third")
    first, second, third = _read(lines)
    assert {"level": "INFO", "message": "first", "service": "social", "correlation_id": "lambda-req-1",
            "function_request_id": "lambda-req-1", "cold_start": first["cold_start"], "user": "ada",
            "function_name": "social-dev-award_coins",
            "xray_trace_id": "1-5759e988-bd862e3fe1be46a994272793"}.items() <= first.items()
    assert "timestamp" in first and "caller_correlation_id" not in first
    assert second["correlation_id"] == "api-req-9" and second["caller_correlation_id"] == "their-id"
    assert second["function_request_id"] == "lambda-req-1" and second["level"] == "WARNING"
    assert third["cold_start"] is False  # only a process's first invocation is cold
    assert third["correlation_id"] == third["function_request_id"] == "lambda-req-2"


def test_metrics_are_one_emf_line_per_dimension_set_in_the_social_namespace(
        capsys: pytest.CaptureFixture[str]) -> None:
    token = metrics.begin()
    metrics.count(m.LIKES_ADDED)
    metrics.count(m.LIKES_ADDED)
    metrics.count(m.COINS_AWARDED, 7)
    metrics.count(m.NOTIFICATIONS_SENT, channel="email")
    metrics.end(token)
    # Powertools writes each value as a list (EMF allows an array of values per metric): one sum per invocation.
    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(emitted) == 2
    per_stage, per_channel = emitted
    stage = get_settings().stage
    assert per_stage["_aws"]["CloudWatchMetrics"] == [{
        "Namespace": "Social", "Dimensions": [["Stage"]],
        "Metrics": [{"Name": "LikesAdded", "Unit": "Count"}, {"Name": "CoinsAwarded", "Unit": "Count"}]}]
    assert per_stage["Stage"] == stage and per_stage["LikesAdded"] == [2] and per_stage["CoinsAwarded"] == [7]
    assert per_channel["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["Stage", "Channel"]]
    assert per_channel["Channel"] == "email" and per_channel["NotificationsSent"] == [1]
    metrics.end(metrics.begin())
    assert capsys.readouterr().out == ""  # nothing counted, nothing written


def test_a_metric_name_or_channel_outside_the_contract_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown"):
        metrics.count("Likes")
    with pytest.raises(ValueError, match="channel"):
        metrics.count(m.NOTIFICATIONS_SENT)
    with pytest.raises(ValueError, match="channel"):
        metrics.count(m.LIKES_ADDED, channel="email")


@dataclass
class _Row:
    event_name: str
    new_image: dict[str, Any] | None
    old_image: dict[str, Any] | None
    event_id: str = "stream-event-1"
    sequence_number: str = "1"


@dataclass
class _Message:
    body: str
    attributes: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"messageId": "msg-1", "messageAttributes": self.attributes}


def test_stream_records_and_messages_restore_the_id_they_carry() -> None:
    seen: list[str | None] = []

    def note(_: Any) -> None:
        seen.append(current_correlation_id())

    like = {"correlation_id": {"S": "api-req-1"}}
    each_record([_Row("INSERT", like, None)], note)
    each_record([_Row("MODIFY", like, like)], note)  # a counter moved: not the creator's request any more
    each_record([_Row("MODIFY", {"correlation_id": {"S": "api-req-2"}}, like)], note)
    each_record([_Row("REMOVE", None, like)], note)
    attribute = {"correlation_id": {"dataType": "String", "stringValue": "api-req-3"}}
    each_message([_Message('{"type": "like.created"}', attribute)], note)
    each_message([_Message('{"type": "like.created"}', {})], note)
    assert seen == ["api-req-1", "stream-event-1", "api-req-2", "stream-event-1", "api-req-3", "msg-1"]
