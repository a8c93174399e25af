"""Batch handlers: each record on its own, failures reported, never the whole batch lost.

Usage::

    @bp.on_sqs_message(queue=TIMELINE_UPDATES.name, batch_size=10)
    def update_timelines(event: SQSEvent) -> dict[str, Any]:
        return each_message(event, handle)       # handle(message: dict) -> None

A record that fails is reported in ``batchItemFailures`` (SQS retries just
that one; after the queue's max receives it goes to the dead-letter queue). A
record whose body is not a JSON object can never succeed: it is logged and
reported too, so it ends in the dead-letter queue rather than blocking others.

``each_batch`` hands every decodable message to one call (a handler that does the batch's work
set-wise), which answers per message: ``None`` for done, or the exception it failed with::

    return each_batch(event, handle_all)     # handle_all(messages, correlation_ids) -> [None | Exception]
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from chalicelib.core.logs import correlation, current_correlation_id, get_logger

log = get_logger(__name__)


def each_message(event: Iterable[Any], handle: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    failures = []
    for record in event:
        raw = record.to_dict()
        message_id = raw.get("messageId", "")
        # Failures too are logged with the id of the request that caused the message.
        with correlation(_message_correlation(raw) or current_correlation_id() or message_id):
            try:
                message = json.loads(record.body)
                if not isinstance(message, dict):
                    raise ValueError("the message is not a JSON object")
                handle(message)
                log.info("message handled", extra={"message_id": message_id, "event_type": message.get("type"),
                                                   "event_id": message.get("id")})
            except Exception:
                log.exception("message failed", extra={"message_id": message_id})
                failures.append({"itemIdentifier": message_id})
    return {"batchItemFailures": failures}


BatchHandler = Callable[[list[dict[str, Any]], list[str | None]], Sequence[BaseException | None]]


def each_batch(event: Iterable[Any], handle: BatchHandler) -> dict[str, Any]:
    """Decode every record as ``each_message`` does; ``handle`` takes the decodable ones at once."""
    failures = []
    decoded: list[tuple[str, str | None, dict[str, Any]]] = []
    for record in event:
        raw = record.to_dict()
        message_id = raw.get("messageId", "")
        carried = _message_correlation(raw) or current_correlation_id() or message_id
        try:
            message = json.loads(record.body)
            if not isinstance(message, dict):
                raise ValueError("the message is not a JSON object")
        except Exception:
            with correlation(carried):
                log.exception("message failed", extra={"message_id": message_id})
            failures.append({"itemIdentifier": message_id})
            continue
        decoded.append((message_id, carried, message))
    if not decoded:
        return {"batchItemFailures": failures}
    outcomes: Sequence[BaseException | None]
    try:
        outcomes = handle([message for _, _, message in decoded], [carried for _, carried, _ in decoded])
    except Exception as error:  # the handler itself broke: every message it held is retried
        outcomes = [error] * len(decoded)
    for (message_id, carried, message), failure in zip(decoded, outcomes, strict=True):
        with correlation(carried or message_id):
            if failure is None:
                log.info("message handled", extra={"message_id": message_id, "event_type": message.get("type"),
                                                   "event_id": message.get("id")})
            else:
                log.error("message failed", extra={"message_id": message_id},
                          exc_info=(type(failure), failure, failure.__traceback__))
                failures.append({"itemIdentifier": message_id})
    return {"batchItemFailures": failures}


def each_record(event: Iterable[Any], handle: Callable[[Any], None]) -> dict[str, Any]:
    """Stream records in order; on the first failure, report it and stop (order matters in a shard)."""
    for record in event:
        with correlation(_row_correlation(record) or current_correlation_id() or record.event_id):
            try:
                handle(record)
            except Exception:
                log.exception("stream record failed", extra={"event_id": record.event_id})
                return {"batchItemFailures": [{"itemIdentifier": record.sequence_number}]}
    return {"batchItemFailures": []}


CORRELATION_ATTRIBUTE = "correlation_id"  # the rows that start events, the events and their messages carry it


def _message_correlation(raw: dict[str, Any]) -> str | None:
    """The id the publisher set as a message attribute (``chalicelib.events.publisher``, the feed's continuations)."""
    attribute = (raw.get("messageAttributes") or {}).get(CORRELATION_ATTRIBUTE) or {}
    carried = attribute.get("stringValue")
    return carried if isinstance(carried, str) and carried else None


def _row_correlation(record: Any) -> str | None:
    """The id of the request that wrote the row; only if this change wrote it: an update that did not set it
    (a counter, an edit) leaves the creator's, and a removal is not its creator's either."""
    if getattr(record, "event_name", None) == "REMOVE":
        return None
    carried = _image_correlation(getattr(record, "new_image", None))
    if getattr(record, "event_name", None) == "MODIFY" and carried == _image_correlation(
            getattr(record, "old_image", None)):
        return None
    return carried


def _image_correlation(image: Any) -> str | None:
    value = ((image or {}).get(CORRELATION_ATTRIBUTE) or {}).get("S")
    return value if isinstance(value, str) and value else None
