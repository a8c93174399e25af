"""Batch handlers: each record on its own, failures reported, never the whole batch lost.

Usage::

    @bp.on_sqs_message(queue=TIMELINE_UPDATES.name, batch_size=10)
    def update_timelines(event: SQSEvent) -> dict[str, Any]:
        return each_message(event, handle)       # handle(message: dict) -> None

A record that fails is reported in ``batchItemFailures`` (SQS retries just
that one; after the queue's max receives it goes to the dead-letter queue). A
record whose body is not a JSON object can never succeed: it is logged and
reported too, so it ends in the dead-letter queue rather than blocking others.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from chalicelib.core.logs import get_logger

log = get_logger(__name__)


def each_message(event: Iterable[Any], handle: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    failures = []
    for record in event:
        raw = record.to_dict()
        message_id = raw.get("messageId", "")
        try:
            message = json.loads(record.body)
            if not isinstance(message, dict):
                raise ValueError("the message is not a JSON object")
            handle(message)
        except Exception:
            log.exception("message failed", extra={"message_id": message_id})
            failures.append({"itemIdentifier": message_id})
    return {"batchItemFailures": failures}


def each_record(event: Iterable[Any], handle: Callable[[Any], None]) -> dict[str, Any]:
    """Stream records in order; on the first failure, report it and stop (order matters in a shard)."""
    for record in event:
        try:
            handle(record)
        except Exception:
            log.exception("stream record failed", extra={"event_id": record.event_id})
            return {"batchItemFailures": [{"itemIdentifier": record.sequence_number}]}
    return {"batchItemFailures": []}
