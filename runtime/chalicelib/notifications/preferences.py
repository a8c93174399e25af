"""Who wants which notification where: per type and per channel, and the daily digest.

Defaults: every type in the app, over the socket and by push; by email every type but the noisy
ones (likes and coins, which come in bursts); the digest only for those who opt in. A user's row
holds only what they changed (``type:channel`` pairs turned on or off), so a default changed
later reaches everyone who kept it.

Usage::

    channels_for("ada", "like")            # frozenset({"in_app", "push", "realtime"})
    set_channel("ada", "email", False)     # every type at once; email off also ends the digest
    digest_enabled("ada")                  # False unless chosen
    update("ada", {"like": {"email": True}}, digest=True)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from chalicelib.core.lazy import lazy_module

if TYPE_CHECKING:  # the names below are read where routes are declared: the table only when asked
    from chalicelib.notifications import models
    from chalicelib.notifications.models import PreferencesModel
else:
    models = lazy_module("chalicelib.notifications.models")

TYPES = ("like", "comment", "follow", "mention", "coins", "order", "message")
CHANNELS = ("in_app", "email", "push", "realtime")
DELIVERY_CHANNELS = ("email", "push", "realtime")  # the notifications topic's; in_app is the table itself
DEFAULT_OFF = frozenset({"like:email", "coins:email"})
DEFAULT_DIGEST = False


def _pair(kind: str, channel: str) -> str:
    if kind not in TYPES:
        raise ValueError(f"unknown notification type {kind!r}")
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    return f"{kind}:{channel}"


def _row(username: str) -> PreferencesModel | None:
    try:
        return models.PreferencesModel.get(username, consistent_read=True)
    except models.PreferencesModel.DoesNotExist:
        return None


def _enabled(row: PreferencesModel | None, pair: str) -> bool:
    if row is not None and pair in (row.on or set()):
        return True
    if row is not None and pair in (row.off or set()):
        return False
    return pair not in DEFAULT_OFF


def channels_for(username: str, type: str) -> frozenset[str]:
    """The channels ``username`` wants notifications of ``type`` on."""
    row = _row(username)
    return frozenset(channel for channel in CHANNELS if _enabled(row, _pair(type, channel)))


def digest_enabled(username: str) -> bool:
    row = _row(username)
    return DEFAULT_DIGEST if row is None or row.digest is None else bool(row.digest)


def choices(username: str) -> tuple[dict[str, dict[str, bool]], bool]:
    """Every type's channels on or off, and the digest: ``({type: {channel: bool}}, digest)``."""
    row = _row(username)
    types = {kind: {channel: _enabled(row, _pair(kind, channel)) for channel in CHANNELS} for kind in TYPES}
    return types, DEFAULT_DIGEST if row is None or row.digest is None else bool(row.digest)


def update(username: str, types: Mapping[str, Mapping[str, bool]], digest: bool | None = None) -> None:
    """Turn ``{type: {channel: on}}`` pairs on or off, and the digest, in one write.

    Turning email off for every type (the unsubscribe link) ends the digest too: it is an email.
    """
    on = {_pair(kind, channel) for kind, channels in types.items() for channel, value in channels.items() if value}
    off = {_pair(kind, channel) for kind, channels in types.items() for channel, value in channels.items()
           if not value}
    if digest is None and off >= {_pair(kind, "email") for kind in TYPES}:
        digest = False
    if not on and not off and digest is None:
        return
    row = _row(username) or models.PreferencesModel(username)
    # One item, rewritten whole: DynamoDB refuses ADD and DELETE of one set in one update, and two
    # changes by the same user at the same moment are the only race (the later one wins).
    row.on = ((row.on or set()) - off) | on or None
    row.off = ((row.off or set()) - on) | off or None
    if digest is not None:
        row.digest = digest
    row.save()


def set_channel(username: str, channel: str, enabled: bool) -> None:
    """``channel`` on or off for every type at once; email off also turns the digest off."""
    update(username, {kind: {channel: enabled} for kind in TYPES})
