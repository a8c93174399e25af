"""The domain events, built from stream records of the follows, posts and interactions tables.

An event's ``id`` is the stream record's id, so a redelivered record publishes
the same event again and subscribers deduplicate on it. Each event carries
what its subscribers need (a like names the post's author), because the rows
it came from may be gone by the time they read it.

===================  ==========================================================
type                 data
===================  ==========================================================
post.created         post_id, author, created_at, hashtags, mentions
post.updated         post_id, author, hashtags, mentions
post.deleted         post_id, author
like.created         post_id, post_author, liker
like.deleted         post_id, post_author, liker
comment.created      post_id, post_author, comment_id, author, mentions
comment.updated      post_id, post_author, comment_id, author
comment.deleted      post_id, post_author, comment_id, author
follow.created       follower, followee
follow.deleted       follower, followee
coins.awarded        user, amount, reason, transfer_id, balance, from (a like's
                     liker; also the actor)
order.created        order_id, user, reward_id, reward_name, cost, status
===================  ==========================================================

The ledger publishes ``coins.awarded`` (id ``coins.awarded:<transfer_id>``) and
``order.created`` (id ``order.created:<order_id>``) from its outbox, a table
written in the transaction of the change (``chalicelib.ledger.outbox``): the same
guarantee as a stream, at least once and only for what committed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from chalicelib.posts.models import COMMENT, LIKE, InteractionModel, PostModel
from chalicelib.posts.text import mentions
from chalicelib.users.models import FollowModel

_VERBS = {"INSERT": "created", "MODIFY": "updated", "REMOVE": "deleted"}


class StreamRecord(Protocol):
    event_id: str
    event_name: str
    timestamp: datetime
    new_image: Any
    old_image: Any


@dataclass(frozen=True)
class DomainEvent:
    id: str
    type: str
    occurred_at: str
    actor: str
    data: dict[str, Any] = field(default_factory=dict)
    # The request that caused it (chalicelib.core.logs), for the logs of whoever handles it; absent if unknown.
    correlation_id: str | None = None

    def to_json(self) -> str:
        # The fields as they are, not ``asdict``: its deep copy of ``data`` was most of the cost (awards write
        # one per coin movement), and json.dumps copies nothing.
        document: dict[str, Any] = {"id": self.id, "type": self.type, "occurred_at": self.occurred_at,
                                    "actor": self.actor, "data": self.data}
        if self.correlation_id is not None:
            document["correlation_id"] = self.correlation_id
        return json.dumps(document, separators=(",", ":"), sort_keys=True)


def _image(record: StreamRecord) -> Any:
    return record.old_image if record.event_name == "REMOVE" else record.new_image


def _when(record: StreamRecord, created: datetime | None = None) -> str:
    """When it happened: a new row's own ``created_at`` (to the microsecond), else the stream record's
    time, which DynamoDB rounds down to the second: two actions in one second would tie, and what is
    newest (notifications, the digest) would be decided by chance."""
    moment = created if record.event_name == "INSERT" and created is not None else record.timestamp
    return moment.replace(tzinfo=moment.tzinfo or UTC).isoformat()


def post_events(record: StreamRecord) -> list[DomainEvent]:
    post = PostModel.from_raw_data(_image(record))
    verb = _VERBS[record.event_name]
    if verb == "updated" and record.old_image and PostModel.from_raw_data(record.old_image).content == post.content:
        return []  # a counter moved, not the post: no event
    data: dict[str, Any] = {"post_id": post.post_id, "author": post.author}
    if verb != "deleted":
        data.update(hashtags=list(post.hashtags or []), mentions=list(post.mentions or []))
    if verb == "created":
        data["created_at"] = post.created_at.isoformat()
    return [DomainEvent(record.event_id, f"post.{verb}", _when(record, post.created_at), post.author, data)]


def follow_events(record: StreamRecord) -> list[DomainEvent]:
    edge = FollowModel.from_raw_data(_image(record))
    verb = _VERBS[record.event_name]
    if verb == "updated":
        return []
    return [DomainEvent(record.event_id, f"follow.{verb}", _when(record, edge.created_at), edge.follower,
                        {"follower": edge.follower, "followee": edge.followee})]


def interaction_events(record: StreamRecord) -> list[DomainEvent]:
    row = InteractionModel.from_raw_data(_image(record))
    verb = _VERBS[record.event_name]
    base = {"post_id": row.post_id, "post_author": row.post_author}
    if row.sk.startswith(LIKE):
        if verb == "updated":
            return []
        return [DomainEvent(record.event_id, f"like.{verb}", _when(record, row.created_at), row.author,
                            {**base, "liker": row.author})]
    if row.sk.startswith(COMMENT):
        data: dict[str, Any] = {**base, "comment_id": row.sk.removeprefix(COMMENT), "author": row.author}
        if verb == "created":
            data["mentions"] = mentions(row.content or "")
        return [DomainEvent(record.event_id, f"comment.{verb}", _when(record, row.created_at), row.author, data)]
    return []
