"""Publishing domain events on the ``domain-events`` topic, with ``type`` as a message attribute."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chalicelib.core.clients import aws_client
from chalicelib.core.declarations import physical_name
from chalicelib.core.logs import current_correlation_id, get_logger
from chalicelib.core.messages import CORRELATION_ATTRIBUTE
from chalicelib.events.catalog import DomainEvent
from chalicelib.resources import DOMAIN_EVENTS

log = get_logger(__name__)


def publish(events: Sequence[DomainEvent]) -> None:
    """Publish every event or raise: a record is done only when all of its events are out."""
    for start in range(0, len(events), 10):  # PublishBatch takes at most ten
        chunk = events[start:start + 10]
        answer = aws_client("sns").publish_batch(TopicArn=physical_name(DOMAIN_EVENTS), PublishBatchRequestEntries=[
            {"Id": str(n), "Message": event.to_json(),
             "MessageAttributes": _attributes(event)} for n, event in enumerate(chunk)])
        if answer.get("Failed"):
            raise RuntimeError(f"SNS refused {len(answer['Failed'])} events: {answer['Failed'][0]}")
    if events:
        log.info("events published", extra={"events": [event.id for event in events],
                                            "types": sorted({event.type for event in events})})


def _attributes(event: DomainEvent) -> dict[str, Any]:
    """``type`` (what subscriptions filter on) and the correlation id, which subscribers' logs carry."""
    attributes = {"type": {"DataType": "String", "StringValue": event.type}}
    carried = event.correlation_id or current_correlation_id()
    if carried:
        attributes[CORRELATION_ATTRIBUTE] = {"DataType": "String", "StringValue": carried}
    return attributes
