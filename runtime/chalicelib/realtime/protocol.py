"""The WebSocket protocol: what a client may send, and what it gets back.

Client frames are JSON objects with an ``action``: ``{"action": "ping"}`` answers ``{"type": "pong"}``;
``{"action": "sendMessage", "to": "<username>", "text": "..."}`` sends a direct message, delivered as
``{"type": "message", "data": {...}}`` to both sides' connections. Any mistake answers
``{"type": "error", "error": {"code", "message"}}`` on the sender's connection, which stays open.

Usage::

    frame = parse(event.body)                # raises BadRequest for what is not a JSON object with an action
    reply = dispatch("alice", frame)         # the frame for the sender, or None
"""

from __future__ import annotations

import json
from typing import Any

from chalicelib.core.errors import ApiError, BadRequest
from chalicelib.realtime.conversations import send_message
from chalicelib.realtime.push import push_to_users

MAX_FRAME = 32 * 1024  # API Gateway's WebSocket frame size; a message is at most 128 KB in all
ACTIONS = ("ping", "sendMessage")


def parse(body: str | None) -> dict[str, Any]:
    """The client's frame as a JSON object with a string ``action``; ``BadRequest`` otherwise."""
    if body is None or not body.strip():
        raise BadRequest("malformed_frame", "send a JSON object with an action")
    if len(body) > MAX_FRAME:
        raise BadRequest("frame_too_large", f"a frame is at most {MAX_FRAME} characters")
    try:
        frame = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise BadRequest("malformed_frame", "the frame is not valid JSON") from exc
    if not isinstance(frame, dict):
        raise BadRequest("malformed_frame", "the frame must be a JSON object")
    action = frame.get("action")
    if not isinstance(action, str) or action not in ACTIONS:
        raise BadRequest("unknown_action", f"action must be one of {', '.join(ACTIONS)}")
    return frame


def dispatch(sender: str, frame: dict[str, Any]) -> dict[str, Any] | None:
    """Do what the frame asks; the frame to answer the sender with (None: the push is the answer)."""
    if frame["action"] == "ping":
        return {"type": "pong"}
    unknown = sorted(set(frame) - {"action", "to", "text"})
    if unknown:
        raise BadRequest("unknown_fields", f"sendMessage takes to and text, not {', '.join(unknown)}")
    message = send_message(sender, frame.get("to"), frame.get("text"))
    # Both sides' open connections: the recipient's, and the sender's other devices (and this one,
    # which learns the message's id and time).
    push_to_users([message.recipient, message.sender], {"type": "message", "data": message.as_json()})
    return None


def error_frame(error: ApiError) -> dict[str, Any]:
    return {"type": "error", "error": {"code": error.code, "message": error.message}}
