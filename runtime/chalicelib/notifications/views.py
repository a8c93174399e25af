"""How notifications and preferences look on the wire, and notification ids.

An id names the recipient and the group (base64url, opaque to clients): it stays the same while
a group is updated in place, and it tells a foreign id (403) from an unknown one (404) without
reading anything.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import Field

from chalicelib.core.lazy import lazy_module
from chalicelib.core.schema import RequestBody, ResponseBody

if TYPE_CHECKING:
    from chalicelib.notifications import models
    from chalicelib.notifications.models import NotificationModel
else:
    models = lazy_module("chalicelib.notifications.models")


def notification_id(recipient: str, group: str) -> str:
    return base64.urlsafe_b64encode(f"{recipient}/{group}".encode()).decode().rstrip("=")


def parse_id(identifier: str) -> tuple[str, str] | None:
    """``(recipient, group)`` of an id, or None when it is no id of ours."""
    if not 4 <= len(identifier) <= 400 or not identifier.isascii():
        return None
    try:
        text = base64.urlsafe_b64decode(identifier + "=" * (-len(identifier) % 4)).decode()
    except (ValueError, binascii.Error):
        return None
    recipient, _, group = text.partition("/")
    return (recipient, group) if recipient and "#" in group else None


class Notification(ResponseBody):
    """One entry of the list: a group of likes (``count``, latest ``actors`` first) or a single event."""

    id: str
    type: str
    actor: str | None = Field(description="the latest actor; null for coins nobody's action earned")
    actors: list[str] = Field(description="the latest few actors, newest first")
    count: int
    post_id: str | None = None
    comment_id: str | None = None
    amount: int | None = Field(default=None, description="coins: the total of the group")
    order_id: str | None = None
    status: str | None = None
    reward_name: str | None = None
    conversation_id: str | None = None
    message_id: str | None = None
    preview: str | None = None
    read: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: NotificationModel) -> Notification:
        actors = list(row.actors or [])
        assert row.created_at is not None and row.updated_at is not None
        return cls(id=notification_id(row.recipient, row.sk.removeprefix(models.ENTRY)), type=str(row.kind),
                   actor=actors[0] if actors else None, actors=actors, count=int(row.total or 0),
                   post_id=row.post_id, comment_id=row.comment_id,
                   amount=int(row.amount) if row.amount is not None else None, order_id=row.order_id,
                   status=row.status, reward_name=row.reward_name, conversation_id=row.conversation_id,
                   message_id=row.message_id, preview=row.preview, read=row.unread_position is None,
                   created_at=row.created_at, updated_at=row.updated_at)


class UnreadCount(ResponseBody):
    count: int


class MarkRead(RequestBody):
    """``ids``: these; ``up_to``: this one and every older one; neither: all."""

    ids: list[str] | None = Field(default=None, min_length=1, max_length=100)
    up_to: str | None = Field(default=None, min_length=1, max_length=400)


class Marked(ResponseBody):
    marked: int = Field(description="entries that were unread and are read now")
    unread: int = Field(description="unread entries left")


class ChannelStates(ResponseBody):
    in_app: bool
    email: bool
    push: bool
    realtime: bool


class TypeStates(ResponseBody):
    like: ChannelStates
    comment: ChannelStates
    follow: ChannelStates
    mention: ChannelStates
    coins: ChannelStates
    order: ChannelStates
    message: ChannelStates


class Preferences(ResponseBody):
    types: TypeStates
    digest: bool


class ChannelChoices(RequestBody):
    in_app: bool | None = None
    email: bool | None = None
    push: bool | None = None
    realtime: bool | None = None


class TypeChoices(RequestBody):
    like: ChannelChoices | None = None
    comment: ChannelChoices | None = None
    follow: ChannelChoices | None = None
    mention: ChannelChoices | None = None
    coins: ChannelChoices | None = None
    order: ChannelChoices | None = None
    message: ChannelChoices | None = None


class PreferencesChange(RequestBody):
    """Only what changes: ``{"types": {"like": {"email": false}}, "digest": true}``."""

    types: TypeChoices | None = None
    digest: bool | None = None
