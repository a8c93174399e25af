"""What channels use of the notify helper's package, in one place (ISSUE9.md's contract).

``preferences.set_channel`` / ``digest_enabled`` and ``service.unread_since``. The grants they need
are on notify's tables, declared in ``chalicelib.resources`` as ``NOTIFICATION_SETTINGS`` (the
preferences) and ``NOTIFICATIONS``; the handlers that call them add ``preference_uses()`` and
``unread_uses()`` to their own. Until that package is merged the calls raise ``NotifyMissing`` and
the grants are empty.
"""

from __future__ import annotations

import importlib
from datetime import datetime
from typing import Any

from chalicelib.core.declarations import Grant


class NotifyMissing(RuntimeError):
    """The notifications package (the notify helper's) is not in this build."""


def _module(name: str) -> Any:
    try:
        return importlib.import_module(f"chalicelib.notifications.{name}")
    except ImportError as error:
        raise NotifyMissing(f"chalicelib.notifications.{name} is not available") from error


def _declared(name: str) -> Any:
    return getattr(importlib.import_module("chalicelib.resources"), name, None)


def preference_uses() -> tuple[Grant, ...]:
    """What reading and changing preferences needs (notify's preferences table)."""
    table = _declared("NOTIFICATION_SETTINGS")
    return (table.read_write(),) if table is not None else ()


def unread_uses() -> tuple[Grant, ...]:
    """What listing a user's unread notifications needs (notify's notifications table)."""
    table = _declared("NOTIFICATIONS")
    return (table.read(),) if table is not None else ()


def turn_email_off(username: str) -> None:
    """Email off for every type (which also turns the digest off)."""
    _module("preferences").set_channel(username, "email", False)


def digest_enabled(username: str) -> bool:
    return bool(_module("preferences").digest_enabled(username))


def unread_since(username: str, since: datetime, limit: int) -> list[dict[str, Any]]:
    return list(_module("service").unread_since(username, since, limit))
