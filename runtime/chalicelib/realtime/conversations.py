"""Direct messages: a user writes to someone who follows them; both read the conversation back.

A conversation between two users has one id, their usernames in order joined by ``-`` (which no
username contains), so either side finds it without a lookup. Sending stores the message and
updates both participants' conversation rows in one transaction; the messages table's stream
publishes ``message.created`` (``chalicelib.realtime.handlers``).

Usage::

    message = send_message("bob", "alice", "hi!")         # bob writes to alice, who follows bob
    conversations_of("alice", limit=20, before=None)       # newest activity first
    messages_of("alice", conversation_id, limit=20, before=None)   # newest first
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from chalicelib import flags
from chalicelib.auth.rules import is_username
from chalicelib.core.errors import Forbidden, NotFound, Unprocessable
from chalicelib.core.ids import new_id
from chalicelib.core.pagination import split_page
from chalicelib.core.transactions import Put, transact
from chalicelib.core.usertext import text_problem
from chalicelib.realtime.models import ConversationModel, MessageModel
from chalicelib.users.graph import follows
from chalicelib.users.models import UserModel

MAX_TEXT = 2000
PREVIEW = 140


def conversation_id(a: str, b: str) -> str:
    """The one id of the conversation between ``a`` and ``b``.

    >>> conversation_id("bob", "alice")
    'alice-bob'
    """
    return "-".join(sorted((a, b)))


def participants(conversation: str) -> tuple[str, str] | None:
    """The two usernames of a well-formed conversation id, else None."""
    a, sep, b = conversation.partition("-")
    return (a, b) if sep and a < b and is_username(a) and is_username(b) else None


def check_text(text: object) -> str:
    """The message text, or ``Unprocessable`` saying what is wrong with it."""
    if not isinstance(text, str) or not text:
        raise Unprocessable("invalid_text", "text must be a non-empty string")
    if len(text) > MAX_TEXT:
        raise Unprocessable("text_too_long", f"text must be at most {MAX_TEXT} characters")
    problem = text_problem(text, multiline=True)
    if problem:
        raise Unprocessable("invalid_text", f"text {problem}")
    return text


@dataclass(frozen=True)
class Message:
    id: str
    conversation_id: str
    sender: str
    recipient: str
    text: str
    created_at: datetime

    @classmethod
    def of(cls, row: MessageModel) -> Message:
        return cls(row.message_id, row.conversation_id, row.sender, row.recipient, row.text, row.created_at)

    def as_json(self) -> dict[str, str]:
        return {"id": self.id, "conversation_id": self.conversation_id, "sender": self.sender,
                "recipient": self.recipient, "text": self.text, "created_at": self.created_at.isoformat()}


def send_message(sender: str, recipient: object, text: object) -> Message:
    """Store ``sender``'s message to ``recipient``, who must follow ``sender``."""
    if not flags.enabled(flags.DIRECT_MESSAGES, sender):
        raise Unprocessable("direct_messages_disabled", "direct messages are switched off for now")
    if not isinstance(recipient, str) or not recipient:
        raise Unprocessable("invalid_recipient", "to must be a username")
    body = check_text(text)
    if recipient == sender:
        raise Unprocessable("cannot_message_yourself", "you cannot send a message to yourself")
    if not is_username(recipient) or not _exists(recipient):
        raise NotFound("user_not_found", f"no user named {recipient!r}")
    if not follows(recipient, sender):
        raise Forbidden("not_a_follower", f"{recipient} does not follow you; only followers get your messages")
    now = datetime.now(UTC)
    row = MessageModel(conversation_id(sender, recipient), new_id(now), sender=sender, recipient=recipient,
                       text=body, created_at=now)
    preview = body[:PREVIEW]
    sides = [ConversationModel(owner, row.conversation_id, peer=peer, last_message_id=row.message_id,
                               last_sender=sender, last_preview=preview, updated_at=now)
             for owner, peer in ((sender, recipient), (recipient, sender))]
    transact([Put(row), *(Put(side) for side in sides)])
    return Message.of(row)


def _exists(username: str) -> bool:
    try:
        UserModel.get(username, attributes_to_get=["username"])
        return True
    except UserModel.DoesNotExist:
        return False


def conversations_of(owner: str, limit: int, before: str | None) -> tuple[list[ConversationModel], str | None]:
    """``owner``'s conversations, the most recently active first; the position of the next page."""
    condition = ConversationModel.last_message_id < before if before else None
    rows = list(ConversationModel.by_activity.query(owner, condition, scan_index_forward=False, limit=limit + 1))
    page, last = split_page(rows, limit)
    return page, last.last_message_id if last else None


def messages_of(reader: str, conversation: str, limit: int, before: str | None) -> tuple[list[Message], str | None]:
    """A conversation's messages, newest first; only its two participants may read it (404 otherwise)."""
    pair = participants(conversation)
    if pair is None or reader not in pair:
        raise NotFound("conversation_not_found", "no such conversation")
    condition = MessageModel.message_id < before if before else None
    rows = list(MessageModel.query(conversation, condition, scan_index_forward=False, limit=limit + 1))
    if not rows and before is None:  # a conversation exists from its first message on
        raise NotFound("conversation_not_found", "no such conversation")
    page, last = split_page(rows, limit)
    return [Message.of(r) for r in page], last.message_id if last else None

