"""Time-based one-time passwords (RFC 6238, as authenticator apps and Cognito compute them), for tests.

Tests compute real codes from the secret the API hands out, as a person's authenticator app would.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import time


def hotp(key: bytes, counter: int, digits: int = 6) -> str:
    """RFC 4226: HMAC-SHA1 of the counter, dynamically truncated."""
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**digits).zfill(digits)


def totp(secret_base32: str, at: float | None = None, step: int = 30) -> str:
    """The 6-digit code for a base32 secret (unpadded, as Cognito gives it) at ``at`` (default: now)."""
    key = base64.b32decode(secret_base32 + "=" * (-len(secret_base32) % 8), casefold=True)
    return hotp(key, int((time.time() if at is None else at) // step))


def wrong_code(secret_base32: str) -> str:
    """A well-formed code that is not the current one (nor the one of the window either side)."""
    now = time.time()
    taken = {totp(secret_base32, now + shift) for shift in (-30, 0, 30)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in taken)
