"""Mastodon's OAuth scopes and the rules that relate them.

A token holds the scopes it was granted (top-level ``read``, ``write``, ``follow``, ``push``, ``profile``,
``admin:read``, ``admin:write``, or granular ones such as ``read:statuses``); a route names the scope it needs.
Mastodon's rules: ``read`` covers every ``read:*``, ``write`` every ``write:*``, ``admin:read`` every
``admin:read:*`` and ``admin:write`` every ``admin:write:*``; the legacy ``follow`` covers
``read:follows write:follows read:blocks write:blocks read:mutes write:mutes``. ``profile`` stands alone
(it only lets ``/api/v1/accounts/verify_credentials`` answer).

Usage::

    granted = parse("read write:statuses")          # frozenset; ValueError for an unknown scope
    allows(granted, "read:accounts")                # True: read covers it
    allows(granted, ("read:accounts", "profile"))   # any one of several alternatives
"""

from __future__ import annotations

from collections.abc import Iterable

READ = frozenset(f"read:{s}" for s in (
    "accounts", "blocks", "bookmarks", "favourites", "filters", "follows", "lists", "mutes", "notifications",
    "search", "statuses"))
WRITE = frozenset(f"write:{s}" for s in (
    "accounts", "blocks", "bookmarks", "conversations", "favourites", "filters", "follows", "lists", "media",
    "mutes", "notifications", "reports", "statuses"))
ADMIN_READ = frozenset(f"admin:read:{s}" for s in (
    "accounts", "reports", "domain_allows", "domain_blocks", "ip_blocks", "email_domain_blocks",
    "canonical_email_blocks"))
ADMIN_WRITE = frozenset(f"admin:write:{s}" for s in (
    "accounts", "reports", "domain_allows", "domain_blocks", "ip_blocks", "email_domain_blocks",
    "canonical_email_blocks"))
FOLLOW = frozenset({"read:follows", "write:follows", "read:blocks", "write:blocks", "read:mutes", "write:mutes"})

# What each umbrella scope implies besides itself.
IMPLIED: dict[str, frozenset[str]] = {
    "read": READ, "write": WRITE, "follow": FOLLOW, "admin:read": ADMIN_READ, "admin:write": ADMIN_WRITE,
}
TOP_LEVEL = frozenset({"read", "write", "follow", "push", "profile", "admin:read", "admin:write"})
KNOWN = TOP_LEVEL | READ | WRITE | ADMIN_READ | ADMIN_WRITE
# An app registered without scopes gets Mastodon's default.
DEFAULT = frozenset({"read"})


def parse(text: str | None, *, default: frozenset[str] = DEFAULT) -> frozenset[str]:
    """The scopes of a space-separated list (``+`` too, as some clients send it); ValueError names an unknown one."""
    names = (text or "").replace("+", " ").split()
    unknown = sorted(set(names) - KNOWN)
    if unknown:
        raise ValueError(f"unknown scope {unknown[0]!r}")
    return frozenset(names) or default


def expand(granted: Iterable[str]) -> frozenset[str]:
    """Every scope ``granted`` covers, umbrellas resolved."""
    result = set(granted)
    for scope in list(result):
        result |= IMPLIED.get(scope, frozenset())
    return frozenset(result)


def allows(granted: Iterable[str], needed: str | tuple[str, ...]) -> bool:
    """Whether ``granted`` covers ``needed`` (one scope, or a tuple of alternatives any one of which will do)."""
    covered = expand(granted)
    return any(scope in covered for scope in ((needed,) if isinstance(needed, str) else needed))


def render(scopes: Iterable[str]) -> str:
    """The space-separated form tokens and apps answer with, in a stable order."""
    return " ".join(sorted(scopes, key=lambda s: (s not in TOP_LEVEL, s)))


def within(requested: Iterable[str], registered: Iterable[str]) -> bool:
    """Whether an app registered for ``registered`` may be granted ``requested`` (each one covered)."""
    covered = expand(registered)
    return all(scope in covered for scope in requested)
