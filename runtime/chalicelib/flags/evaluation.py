"""Evaluating AppConfig feature-flag values for one user: pure functions, no I/O.

The input is what AppConfig's data API returns for an ``AWS.AppConfig.FeatureFlags`` profile (and what
``document.values_of`` extracts from the repository's document): ``{flag: {"enabled": bool, attribute:
value, ...}}``. Targeting is expressed with three optional attributes of the native format:

- ``users``: usernames the flag is on for;
- ``groups``: Cognito groups whose members it is on for;
- ``percentage``: 0-100, a stable share of users (a hash of flag name and username, so each user gets the
  same answer every time and the shares of different flags are independent).

An enabled flag with none of the three is on for everyone; with any of them, for the users one of them
matches. A disabled flag is off for everyone. We keep the native format (not Powertools' own schema with
``default``/``rules``) because the issue asks for AppConfig's feature-flags profile type, whose schema
AppConfig itself validates when a version is created; these few rules are the evaluator it lacks.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

Values = Mapping[str, Mapping[str, Any]]
TARGETING = ("users", "groups", "percentage")


@dataclass(frozen=True)
class Subject:
    """Who a flag is evaluated for; an anonymous subject matches only untargeted flags."""

    username: str | None = None
    groups: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def of(cls, username: str | None, groups: Iterable[str] = ()) -> Subject:
        return cls(username, frozenset(groups))


def bucket(flag: str, username: str) -> float:
    """The user's stable position in [0, 100) for ``flag``: the same inputs give the same answer forever."""
    digest = hashlib.sha256(f"{flag}/{username}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 10_000 / 100


def targets(flag: str, entry: Mapping[str, Any], subject: Subject) -> bool:
    """Whether an entry's targeting attributes let ``subject`` in (no targeting: everyone)."""
    if not any(entry.get(name) is not None for name in TARGETING):
        return True
    if subject.username is None:
        return False
    if subject.username in (entry.get("users") or ()):
        return True
    if subject.groups & set(entry.get("groups") or ()):
        return True
    percentage = entry.get("percentage")
    return isinstance(percentage, int | float) and bucket(flag, subject.username) < percentage


def is_on(values: Values, flag: str, subject: Subject, default: bool) -> bool:
    entry = values.get(flag)
    if entry is None:
        return default
    return entry.get("enabled") is True and targets(flag, entry, subject)


def number(values: Values, flag: str, subject: Subject, default: int) -> int:
    """A number flag's ``value`` for ``subject`` when the flag is on for them, else ``default``."""
    entry = values.get(flag)
    if entry is None or not is_on(values, flag, subject, default=False):
        return default
    raw = entry.get("value")
    return int(raw) if isinstance(raw, int | float) and not isinstance(raw, bool) else default
