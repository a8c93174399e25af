"""What becomes a notification, as pure functions over domain events: who is told, in which group.

Nobody is told about their own actions. Each change names what must still be true when it is
applied (``requires``): a like undone, a comment deleted or a follow taken back before the event
was delivered makes nothing. An undone like (``like.deleted``) is a ``Withdrawal`` of the liker from
the post's group, applied only if the like is still gone (a like again since keeps it).

=================  =============================  ===========================  ==========================
event              recipient                      group (one entry each)       contributor
=================  =============================  ===========================  ==========================
like.created       the post's author              ``like#<post>``              the liker
like.deleted       (withdraws the liker)          ``like#<post>``              the liker
follow.created     the followee                   ``follow#<day>``             the follower
comment.created    the post's author              ``comment#<post>#<comment>`` the comment
                   each user mentioned            ``mention#<post>#<comment>`` the comment
post.created       each user mentioned            ``mention#<post>``           the post
coins.awarded      the awardee                    ``coins#<day>``              the transfer
order.created/…    the buyer                      ``order#<order>#<status>``   the status
message.created    the recipient                  ``message#<message>``        the message
=================  =============================  ===========================  ==========================

Usage::

    for change in changes_for(event):       # event: the domain event's JSON as a dict
        ...                                 # Contribution or Withdrawal
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

# Coins a user earns by their own action (their post, their comment) are no news to them.
SELF_EARNED = frozenset({"post", "comment"})
GROUPED = frozenset({"like", "follow", "coins"})


@dataclass(frozen=True)
class Probe:
    """Something that must exist (or be gone) in another domain's table when the change is applied."""

    kind: str  # like | follow | comment | post
    keys: tuple[str, ...]


@dataclass(frozen=True)
class Contribution:
    """One actor's (or one thing's) part in a recipient's notification group."""

    recipient: str
    type: str
    group: str
    contributor: str
    actor: str | None  # None: nobody's action (a bonus)
    at: datetime
    event_id: str
    fields: Mapping[str, str | int] = field(default_factory=dict)
    amount: int = 0
    requires: Probe | None = None

    @property
    def grouped(self) -> bool:
        return self.type in GROUPED


@dataclass(frozen=True)
class Withdrawal:
    """Take a contributor back out of a group (its count and actors), if ``unless`` no longer exists."""

    recipient: str
    group: str
    contributor: str
    unless: Probe


Change = Contribution | Withdrawal


def _when(event: Mapping[str, Any]) -> datetime:
    moment = datetime.fromisoformat(str(event["occurred_at"]))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _mentions(event: Mapping[str, Any], post_id: str, comment_id: str | None, author: str,
              skip: set[str]) -> list[Change]:
    group = f"mention#{post_id}" + (f"#{comment_id}" if comment_id else "")
    fields: dict[str, str | int] = {"post_id": post_id, **({"comment_id": comment_id} if comment_id else {})}
    probe = Probe("comment", (post_id, comment_id)) if comment_id else Probe("post", (post_id,))
    named = dict.fromkeys(str(m) for m in event["data"].get("mentions") or [])
    return [Contribution(user, "mention", group, comment_id or post_id, author, _when(event), event["id"], fields,
                         requires=probe) for user in named if user != author and user not in skip]


def changes_for(event: Mapping[str, Any]) -> list[Change]:
    """The notification changes a domain event makes (none for the types nobody is told about)."""
    kind, data, actor = event["type"], event["data"], event.get("actor")
    at, event_id = _when(event), str(event["id"])
    if kind in ("like.created", "like.deleted"):
        post_id, liker, author = data["post_id"], data["liker"], data["post_author"]
        if liker == author:
            return []
        probe = Probe("like", (post_id, liker))
        if kind == "like.deleted":
            return [Withdrawal(author, f"like#{post_id}", liker, unless=probe)]
        return [Contribution(author, "like", f"like#{post_id}", liker, liker, at, event_id, {"post_id": post_id},
                             requires=probe)]
    if kind == "follow.created":
        follower, followee = data["follower"], data["followee"]
        if follower == followee:
            return []
        return [Contribution(followee, "follow", f"follow#{at.date().isoformat()}", follower, follower, at, event_id,
                             requires=Probe("follow", (follower, followee)))]
    if kind == "comment.created":
        post_id, comment_id = data["post_id"], data["comment_id"]
        author, post_author = data["author"], data["post_author"]
        changes: list[Change] = []
        if author != post_author:
            changes.append(Contribution(post_author, "comment", f"comment#{post_id}#{comment_id}", comment_id, author,
                                        at, event_id, {"post_id": post_id, "comment_id": comment_id},
                                        requires=Probe("comment", (post_id, comment_id))))
        # The post's author hears of the comment once, as a comment, even when it also names them.
        return changes + _mentions(event, post_id, comment_id, author, skip={post_author})
    if kind == "post.created":
        return _mentions(event, data["post_id"], None, data["author"], skip=set())
    if kind == "coins.awarded":
        user, source = data["user"], data.get("from") or actor
        if source == user and data.get("reason") in SELF_EARNED:
            return []
        return [Contribution(user, "coins", f"coins#{at.date().isoformat()}", str(data["transfer_id"]),
                             source if source and source != user else None, at, event_id,
                             amount=int(data["amount"]))]
    if kind in ("order.created", "order.updated"):
        user = data["user"]
        if actor == user:  # the buyer's own redemption
            return []
        order_id, status = str(data["order_id"]), str(data["status"])
        return [Contribution(user, "order", f"order#{order_id}#{status}", status, actor, at, event_id,
                             {"order_id": order_id, "status": status, "reward_name": str(data.get("reward_name", ""))})]
    if kind == "message.created":
        sender, recipient = data["sender"], data["recipient"]
        if sender == recipient:
            return []
        message_id = str(data["message_id"])
        return [Contribution(recipient, "message", f"message#{message_id}", message_id, sender, at, event_id,
                             {"conversation_id": str(data["conversation_id"]), "message_id": message_id,
                              "preview": str(data.get("preview", ""))[:140]})]
    return []
