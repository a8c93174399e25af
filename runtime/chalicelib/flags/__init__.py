"""Feature flags: the runtime's one way to ask what a flag says for a user.

Usage::

    from chalicelib import flags
    if not flags.enabled(flags.VIDEO_UPLOADS, username): ...
    threshold = flags.number(flags.CELEBRITY_THRESHOLD, author)  # default: the setting it overrides

The document and its format: ``chalicelib/flags/flags.json`` and ``evaluation``; which store answers:
``stores.flag_store``.
"""

from __future__ import annotations

from collections.abc import Iterable

from chalicelib.core.settings import get_settings
from chalicelib.flags import evaluation
from chalicelib.flags.catalog import (
    CATALOG,
    CELEBRITY_THRESHOLD,
    COINS_COMMENT,
    COINS_DAILY_CAP,
    COINS_LIKE_RECEIVED,
    COINS_POST,
    DIGEST_EMAIL,
    DIRECT_MESSAGES,
    SEARCH,
    VIDEO_UPLOADS,
    FlagSpec,
)
from chalicelib.flags.stores import flag_store

__all__ = ["CATALOG", "CELEBRITY_THRESHOLD", "COINS_COMMENT", "COINS_DAILY_CAP", "COINS_LIKE_RECEIVED", "COINS_POST",
           "DIGEST_EMAIL", "DIRECT_MESSAGES", "SEARCH", "VIDEO_UPLOADS", "FlagSpec", "client_flags", "enabled",
           "number"]


def enabled(flag: FlagSpec, username: str | None, groups: Iterable[str] = ()) -> bool:
    """Whether a switch is on for ``username`` (in ``groups``)."""
    return evaluation.is_on(flag_store().values(), flag.name, evaluation.Subject.of(username, groups), flag.default)


def number(flag: FlagSpec, username: str | None = None, groups: Iterable[str] = ()) -> int:
    """A number flag's value for ``username``, or the setting it overrides when it has none for them."""
    return evaluation.number(flag_store().values(), flag.name, evaluation.Subject.of(username, groups),
                             _setting(flag))


def client_flags(username: str, groups: Iterable[str]) -> dict[str, bool | int]:
    """The client-visible flags evaluated for the caller: switches as booleans, numbers as their values."""
    values, subject = flag_store().values(), evaluation.Subject.of(username, groups)
    return {spec.name: (evaluation.is_on(values, spec.name, subject, spec.default) if spec.kind == "switch"
                        else evaluation.number(values, spec.name, subject, _setting(spec)))
            for spec in CATALOG.values() if spec.client}


def _setting(flag: FlagSpec) -> int:
    value = getattr(get_settings(), flag.setting or "")
    assert isinstance(value, int), f"{flag.name}: setting {flag.setting!r} is no number"
    return value
