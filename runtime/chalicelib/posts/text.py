"""Hashtags and @mentions, parsed from what people write.

Usage::

    hashtags("Loving #Python and #python3!")   # ['python', 'python3']
    mentions("thanks @Ada and @bob_2")          # ['ada', 'bob_2']  (existence is checked elsewhere)
"""

from __future__ import annotations

import re

MAX_TAGS = 30
_HASHTAG = re.compile(r"(?<![\w#&])#(\w{1,50})(?!\w)")
_MENTION = re.compile(r"(?<![\w@.])@([a-z0-9_]{3,30})(?![\w@])", re.IGNORECASE)
# The same patterns for renderers that mark tags and mentions up where they stand (mastodon.statuses).
HASHTAG_PATTERN = _HASHTAG
MENTION_PATTERN = _MENTION


def _unique(found: list[str]) -> list[str]:
    return list(dict.fromkeys(found))[:MAX_TAGS]


def hashtags(content: str) -> list[str]:
    """Distinct hashtags in order of appearance, lowercased; ``#123`` alone is not a tag."""
    return _unique([tag.lower() for tag in _HASHTAG.findall(content) if not tag.isdigit()])


def mentions(content: str) -> list[str]:
    """Distinct usernames mentioned, lowercased, in order of appearance."""
    return _unique([name.lower() for name in _MENTION.findall(content)])
