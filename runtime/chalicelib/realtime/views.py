"""How conversations and direct messages look on the wire."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from chalicelib.core.schema import ResponseBody

if TYPE_CHECKING:
    from chalicelib.realtime.conversations import Message
    from chalicelib.realtime.models import ConversationModel


class LastMessage(ResponseBody):
    id: str
    sender: str
    preview: str


class Conversation(ResponseBody):
    id: str
    peer: str
    last_message: LastMessage
    updated_at: datetime

    @classmethod
    def of(cls, row: ConversationModel) -> Conversation:
        return cls(id=row.conversation_id, peer=row.peer, updated_at=row.updated_at,
                   last_message=LastMessage(id=row.last_message_id, sender=row.last_sender,
                                            preview=row.last_preview))


class DirectMessage(ResponseBody):
    id: str
    conversation_id: str
    sender: str
    recipient: str
    text: str
    created_at: datetime

    @classmethod
    def of(cls, message: Message) -> DirectMessage:
        return cls(id=message.id, conversation_id=message.conversation_id, sender=message.sender,
                   recipient=message.recipient, text=message.text, created_at=message.created_at)
