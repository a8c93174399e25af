"""``GET /conversations`` and ``GET /conversations/{conversation_id}/messages``: direct messages read back.

Messages are sent over the WebSocket (``sendMessage``); these routes list them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.core.declarations import uses
from chalicelib.core.lazy import lazy_module
from chalicelib.core.pagination import Page, next_cursor
from chalicelib.core.routes import Call, Router
from chalicelib.realtime.views import Conversation, DirectMessage
from chalicelib.resources import CONVERSATIONS, MESSAGES

if TYPE_CHECKING:
    from chalicelib.realtime import conversations as store
else:
    store = lazy_module("chalicelib.realtime.conversations")

router = Router(__name__, tag="conversations")


@router.route("/conversations", "GET", response=Page[Conversation])
@uses(CONVERSATIONS.read())
def conversations(call: Call[None]) -> Page[Conversation]:
    """Your conversations, the most recently active first."""
    owner = call.principal.username
    scope = f"conversations:{owner}"
    limit, position = call.page_request(scope)
    rows, last = store.conversations_of(owner, limit, position.get("before"))
    return Page[Conversation](items=[Conversation.of(r) for r in rows],
                              next_cursor=next_cursor(scope, {"before": last} if last else None))


@router.route("/conversations/{conversation_id}/messages", "GET", response=Page[DirectMessage], errors=(404,))
@uses(MESSAGES.read())
def messages(call: Call[None], conversation_id: str) -> Page[DirectMessage]:
    """A conversation's messages, newest first (its two participants only)."""
    reader = call.principal.username
    scope = f"messages:{reader}:{conversation_id}"
    limit, position = call.page_request(scope)
    rows, last = store.messages_of(reader, conversation_id, limit, position.get("before"))
    return Page[DirectMessage](items=[DirectMessage.of(m) for m in rows],
                               next_cursor=next_cursor(scope, {"before": last} if last else None))
