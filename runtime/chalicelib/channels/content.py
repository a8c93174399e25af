"""What a notification says, in words: for mails and pushes alike (plain Python, no AWS).

Usage::

    summary({"type": "like", "actor": "bob", "actors": ["bob", "eve"], "count": 2})
    # 'bob and 1 other liked your post'
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from typing import Any

_VERBS = {
    "like": "liked your post",
    "comment": "commented on your post",
    "follow": "followed you",
    "mention": "mentioned you",
    "message": "sent you a message",
}


def summary(notification: Mapping[str, Any]) -> str:
    kind = str(notification.get("type", ""))
    actor = str(notification.get("actor") or "someone")
    count = int(notification.get("count") or 1)
    if kind == "coins":
        return "You earned coins"
    if kind == "order":
        return "Your order changed"
    who = actor if count <= 1 else f"{actor} and {count - 1} other{'s' if count > 2 else ''}"
    return f"{who} {_VERBS.get(kind, 'did something')}"


def detail(notification: Mapping[str, Any]) -> str:
    preview = notification.get("preview") or notification.get("text")
    return str(preview)[:280] if preview else ""


def digest_items(notifications: Iterable[Mapping[str, Any]]) -> tuple[str, str]:
    """The digest's list, as plain text lines and as escaped HTML list items."""
    lines = [summary(n) for n in notifications]
    return ("\n".join(f"- {line}" for line in lines),
            "".join(f"<li>{html.escape(line)}</li>" for line in lines))
