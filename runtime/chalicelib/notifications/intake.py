"""The notifications queue's work: each domain event becomes the notification changes its rules say.

What a change ``requires`` is checked against the other domains' tables when it is applied (a
strongly consistent read): that is how a like undone before delivery makes nothing. Preferences
decide whether the entry shows in the app and which channels hear of it; the channels hear of a
change once, after it is stored (a crash in between publishes it on the retry).

Usage::

    each_message(event, handle)         # from the SQS handler
"""

from __future__ import annotations

from typing import Any

from pynamodb.models import Model

from chalicelib.notifications import preferences, publisher, store
from chalicelib.notifications.rules import Contribution, Probe, Withdrawal, changes_for
from chalicelib.notifications.views import Notification
from chalicelib.posts.models import COMMENT, LIKE, InteractionModel, PostModel
from chalicelib.users.models import FollowModel


def _found(model: type[Model], hash_key: str, range_key: str | None = None) -> bool:
    try:
        model.get(hash_key, range_key, consistent_read=True, attributes_to_get=[model._hash_keyname or ""])
        return True
    except model.DoesNotExist:
        return False


def exists(probe: Probe) -> bool:
    """Whether the like, follow, comment or post a change depends on exists now."""
    if probe.kind == "like":
        post_id, liker = probe.keys
        return _found(InteractionModel, post_id, f"{LIKE}{liker}")
    if probe.kind == "comment":
        post_id, comment_id = probe.keys
        return _found(InteractionModel, post_id, f"{COMMENT}{comment_id}")
    if probe.kind == "follow":
        follower, followee = probe.keys
        return _found(FollowModel, follower, followee)
    if probe.kind == "post":
        return _found(PostModel, probe.keys[0])
    raise ValueError(f"unknown probe {probe.kind!r}")


def apply(change: Contribution | Withdrawal) -> None:
    if isinstance(change, Withdrawal):
        if not exists(change.unless):  # liked again since: the like stays counted
            store.withdraw(change)
        return
    if change.requires is not None and not exists(change.requires):
        return
    channels = preferences.channels_for(change.recipient, change.type)
    outcome = store.contribute(change, shown="in_app" in channels)
    if outcome is None:
        return
    publisher.publish(change.recipient, Notification.of(outcome.entry), outcome.event_id, channels)
    store.mark_published(change)


def handle(message: dict[str, Any]) -> None:
    """One domain event (the SQS body is the event's JSON itself)."""
    for change in changes_for(message):
        apply(change)
