"""Stream handlers: each committed change of a follows, posts or interactions row becomes a domain event."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalice.app import Blueprint, DynamoDBEvent

from chalicelib.core.declarations import uses
from chalicelib.core.messages import each_record
from chalicelib.events.catalog import DomainEvent, StreamRecord, follow_events, interaction_events, post_events
from chalicelib.events.publisher import publish
from chalicelib.resources import DOMAIN_EVENTS, FOLLOWS, INTERACTIONS, POSTS

events = Blueprint(__name__)


def _publish_with(build: Callable[[StreamRecord], list[DomainEvent]]) -> Callable[[Any], None]:
    return lambda record: publish(build(record))


@events.on_dynamodb_record(stream_arn=POSTS.name, batch_size=100, starting_position="TRIM_HORIZON")
@uses(DOMAIN_EVENTS.publish())
def publish_post_events(event: DynamoDBEvent) -> dict[str, Any]:
    return each_record(event, _publish_with(post_events))


@events.on_dynamodb_record(stream_arn=FOLLOWS.name, batch_size=100, starting_position="TRIM_HORIZON")
@uses(DOMAIN_EVENTS.publish())
def publish_follow_events(event: DynamoDBEvent) -> dict[str, Any]:
    return each_record(event, _publish_with(follow_events))


@events.on_dynamodb_record(stream_arn=INTERACTIONS.name, batch_size=100, starting_position="TRIM_HORIZON")
@uses(DOMAIN_EVENTS.publish())
def publish_interaction_events(event: DynamoDBEvent) -> dict[str, Any]:
    return each_record(event, _publish_with(interaction_events))
