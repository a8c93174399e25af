"""Signing keys that live in Secrets Manager, with rotation that breaks nothing already handed out.

A key set is the secret's ``AWSCURRENT`` value (used to sign) and its ``AWSPREVIOUS``
value (still accepted), read at cold start. Rotating is one call, with no deploy::

    aws secretsmanager put-secret-value --secret-id <arn> --secret-string "$(openssl rand -hex 32)"

Secrets Manager then moves ``AWSCURRENT`` to the new version and ``AWSPREVIOUS`` to the old
one. A warm function that still signs with the old key is understood by fresh ones (it is
their previous key); a warm function shown a value signed with a key it does not know yet
re-reads the secret, at most once per ``REFRESH_SECONDS``, before refusing it.

Without an ARN (unit tests, scripts) the key is ``fallback`` or, failing that, random for the
process: values then stop verifying across processes, which fails safe.

Usage::

    keys = KeyRing.from_environment("CURSOR_KEY_SECRET_ARN", fallback=os.environ.get("CURSOR_SECRET"))
    keys.current            # sign with this
    keys.candidates()       # verify against these, current first
    keys.refresh()          # True when the secret had changed (rate-limited)
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

REFRESH_SECONDS = 60.0


@dataclass(frozen=True)
class KeySet:
    """The key to sign with and the keys still accepted."""

    current: str
    previous: tuple[str, ...] = ()


def read_secret_keys(secret_arn: str, client: Any = None) -> KeySet:
    """``AWSCURRENT`` and, if the secret has been rotated, ``AWSPREVIOUS``."""
    if client is None:
        import boto3  # only functions that sign pay for it, once per cold start

        client = boto3.client("secretsmanager")
    current = client.get_secret_value(SecretId=secret_arn, VersionStage="AWSCURRENT")["SecretString"]
    try:
        previous = client.get_secret_value(SecretId=secret_arn, VersionStage="AWSPREVIOUS")["SecretString"]
    except client.exceptions.ResourceNotFoundException:
        return KeySet(current)  # never rotated: there is no previous version
    return KeySet(current, (previous,) if previous != current else ())


class KeyRing:
    """A key set read once, re-read on demand at most once per ``refresh_seconds``."""

    def __init__(self, load: Callable[[], KeySet], *, refresh_seconds: float = REFRESH_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._load = load
        self._refresh_seconds = refresh_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._keys = load()
        self._loaded_at = clock()

    @classmethod
    def from_environment(cls, arn_variable: str, fallback: str | None = None) -> KeyRing:
        """Keys from the secret ``$arn_variable`` names, else ``fallback``, else a random key for this process."""
        arn = os.environ.get(arn_variable)
        if arn:
            return cls(lambda: read_secret_keys(arn))
        key = fallback or secrets.token_urlsafe(32)
        return cls(lambda: KeySet(key))

    @property
    def current(self) -> str:
        return self._keys.current

    def candidates(self) -> tuple[str, ...]:
        return (self._keys.current, *self._keys.previous)

    def refresh(self) -> bool:
        """Re-read the keys unless that happened within ``refresh_seconds``; True when they changed."""
        with self._lock:
            if self._clock() - self._loaded_at < self._refresh_seconds:
                return False
            keys = self._load()
            self._loaded_at = self._clock()
            changed = keys != self._keys
            self._keys = keys
            return changed
