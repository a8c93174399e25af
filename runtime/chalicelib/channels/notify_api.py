"""What channels use of the notify helper's package, in one place (ISSUE9.md's contract).

``preferences.set_channel`` / ``digest_enabled`` and ``service.unread_since``; each module may export
the grants its functions need as ``USES`` (a tuple of grants), which the handlers that call it add
to their own. Until that package exists the calls raise ``NotifyMissing`` and the grants are empty.
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


def uses_of(name: str) -> tuple[Grant, ...]:
    """The grants ``chalicelib.notifications.<name>`` declares for its callers (``USES``), if any."""
    try:
        return tuple(getattr(_module(name), "USES", ()))
    except NotifyMissing:
        return ()


def turn_email_off(username: str) -> None:
    """Email off for every type (which also turns the digest off)."""
    _module("preferences").set_channel(username, "email", False)


def digest_enabled(username: str) -> bool:
    return bool(_module("preferences").digest_enabled(username))


def unread_since(username: str, since: datetime, limit: int) -> list[dict[str, Any]]:
    return list(_module("service").unread_since(username, since, limit))
