"""Publishing domain events on the ``domain-events`` topic, with ``type`` as a message attribute."""

from __future__ import annotations

from collections.abc import Sequence

from chalicelib.core.clients import aws_client
from chalicelib.core.declarations import physical_name
from chalicelib.events.catalog import DomainEvent
from chalicelib.resources import DOMAIN_EVENTS


def publish(events: Sequence[DomainEvent]) -> None:
    """Publish every event or raise: a record is done only when all of its events are out."""
    for start in range(0, len(events), 10):  # PublishBatch takes at most ten
        chunk = events[start:start + 10]
        answer = aws_client("sns").publish_batch(TopicArn=physical_name(DOMAIN_EVENTS), PublishBatchRequestEntries=[
            {"Id": str(n), "Message": event.to_json(),
             "MessageAttributes": {"type": {"DataType": "String", "StringValue": event.type}}}
            for n, event in enumerate(chunk)])
        if answer.get("Failed"):
            raise RuntimeError(f"SNS refused {len(answer['Failed'])} events: {answer['Failed'][0]}")
