"""Time-ordered ids (ULIDs): 48 bits of milliseconds, 80 random bits, Crockford base32.

Sorting ids sorts by creation time, so "newest first" is a key order and a
pagination position is an id.

Usage::

    post_id = new_id()               # '01JD6X3K6M5Y8V1Q2W3E4R5T6Y'
    created = id_time(post_id)       # the datetime it encodes
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_INDEX = {c: i for i, c in enumerate(_ALPHABET)}
LENGTH = 26


def new_id(at: datetime | None = None) -> str:
    millis = int((at.timestamp() if at else time.time()) * 1000)
    value = (millis << 80) | int.from_bytes(os.urandom(10), "big")
    chars = []
    for _ in range(LENGTH):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def is_id(text: str) -> bool:
    return len(text) == LENGTH and text[0] in "01234567" and all(c in _INDEX for c in text)


def id_time(identifier: str) -> datetime:
    value = 0
    for c in identifier[:10]:
        value = value * 32 + _INDEX[c]
    return datetime.fromtimestamp(value / 1000, UTC)
