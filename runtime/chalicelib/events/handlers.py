"""Stream handlers: each committed change of a follows, posts or interactions row becomes a domain event."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from chalice.app import Blueprint, DynamoDBEvent

from chalicelib.core.declarations import uses
from chalicelib.core.lazy import lazy_module
from chalicelib.core.messages import each_record
from chalicelib.resources import DOMAIN_EVENTS, FOLLOWS, INTERACTIONS, POSTS

if TYPE_CHECKING:
    from chalicelib.events import catalog, publisher
    from chalicelib.events.catalog import DomainEvent, StreamRecord
else:
    catalog = lazy_module("chalicelib.events.catalog")
    publisher = lazy_module("chalicelib.events.publisher")

events = Blueprint(__name__)


def _publish_with(build: Callable[[StreamRecord], list[DomainEvent]]) -> Callable[[Any], None]:
    return lambda record: publisher.publish(build(record))


@events.on_dynamodb_record(stream_arn=POSTS.name, batch_size=100, starting_position="TRIM_HORIZON")
@uses(DOMAIN_EVENTS.publish())
def publish_post_events(event: DynamoDBEvent) -> dict[str, Any]:
    return each_record(event, _publish_with(catalog.post_events))


@events.on_dynamodb_record(stream_arn=FOLLOWS.name, batch_size=100, starting_position="TRIM_HORIZON")
@uses(DOMAIN_EVENTS.publish())
def publish_follow_events(event: DynamoDBEvent) -> dict[str, Any]:
    return each_record(event, _publish_with(catalog.follow_events))


@events.on_dynamodb_record(stream_arn=INTERACTIONS.name, batch_size=100, starting_position="TRIM_HORIZON")
@uses(DOMAIN_EVENTS.publish())
def publish_interaction_events(event: DynamoDBEvent) -> dict[str, Any]:
    return each_record(event, _publish_with(catalog.interaction_events))
