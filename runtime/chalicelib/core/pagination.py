"""Opaque, tamper-evident cursors and the contract's list parameters.

A cursor is a position (for example the last id of a page) serialised and
signed with HMAC-SHA256. The signature also covers a *scope* naming the list
it belongs to (``feed:alice``), so a cursor cannot be forged, edited, or
replayed against another list: any of those is a 400, never a scan of
someone else's data.

Usage::

    codec = cursor_codec()
    after = codec.decode("feed:alice", call.query("cursor"))     # None on the first page
    next_cursor = codec.encode("feed:alice", {"before": last_id})
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any, Generic, TypeVar

from chalicelib.core.declarations import Secret
from chalicelib.core.errors import BadRequest, Unprocessable
from chalicelib.core.keys import KeyRing, KeySet
from chalicelib.core.schema import ResponseBody
from chalicelib.core.settings import get_settings

# Signs every cursor; routes that answer a Page are granted to read it (see core/routes.py).
CURSOR_KEY = Secret("cursor-key")

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
_MAX_CURSOR = 8192  # a feed cursor carries up to 100 usernames

T = TypeVar("T")


class Page(ResponseBody, Generic[T]):
    """``{"items": [...], "next_cursor": "..." | null}``."""

    items: list[T]
    next_cursor: str | None

    @classmethod
    def model_rebuild(cls, *, force: bool = False, raise_errors: bool = True, _parent_namespace_depth: int = 2,
                      _types_namespace: Mapping[str, Any] | None = None) -> bool | None:
        """As pydantic's, except when pydantic's ``Page[Post]`` asks (the only caller that passes
        ``_types_namespace``) to build the bare ``Page``: that would build it at import, ignoring
        ``defer_build``, with pydantic's plugin lookup (importlib.metadata: about 10 ms of a cold start). A
        parametrised page builds on its first use as any model does; the bare one still builds if used."""
        if cls is Page and _types_namespace is not None and not force:
            return None
        depth = _parent_namespace_depth + 1 if _parent_namespace_depth > 0 else 0  # this frame is one more
        return super().model_rebuild(force=force, raise_errors=raise_errors, _parent_namespace_depth=depth,
                                     _types_namespace=_types_namespace)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: str, scope: str, payload: str) -> str:
    digest = hashlib.sha256(key.encode()).digest()
    return _b64(hmac.new(digest, f"{scope}\n{payload}".encode(), hashlib.sha256).digest()[:18])


class CursorCodec:
    """Signs with the ring's current key; accepts the previous one too, so a rotation breaks no cursor."""

    def __init__(self, keys: KeyRing | str) -> None:
        self._keys = keys if isinstance(keys, KeyRing) else KeyRing(lambda: KeySet(keys))

    def encode(self, scope: str, position: Mapping[str, Any]) -> str:
        payload = _b64(json.dumps(position, separators=(",", ":"), sort_keys=True).encode())
        return f"{payload}.{_mac(self._keys.current, scope, payload)}"

    def _signed(self, scope: str, payload: str, mac: str) -> bool:
        return any(hmac.compare_digest(mac, _mac(key, scope, payload)) for key in self._keys.candidates())

    def decode(self, scope: str, cursor: str | None) -> dict[str, Any] | None:
        if cursor is None or cursor == "":
            return None
        payload, _, mac = cursor.partition(".")
        if len(cursor) > _MAX_CURSOR or not payload or not cursor.isascii() or not mac.isascii():
            raise BadRequest("invalid_cursor", "the cursor is not one this list gave out")
        # A key this process has not seen yet (rotated since its cold start) is worth one re-read.
        if not self._signed(scope, payload, mac) and not (self._keys.refresh() and self._signed(scope, payload, mac)):
            raise BadRequest("invalid_cursor", "the cursor is not one this list gave out")
        try:
            position = json.loads(_unb64(payload))
        except (ValueError, binascii.Error) as exc:  # signed by us, so only a bug gets here
            raise BadRequest("invalid_cursor", "the cursor cannot be read") from exc
        if not isinstance(position, dict):
            raise BadRequest("invalid_cursor", "the cursor cannot be read")
        return position


@lru_cache(maxsize=1)
def cursor_codec() -> CursorCodec:
    """The process's codec: keys from the ``cursor-key`` secret (``CURSOR_KEY_SECRET_ARN``), read at first use."""
    return CursorCodec(KeyRing.from_environment(CURSOR_KEY.env_var, fallback=get_settings().cursor_secret))


def next_cursor(scope: str, position: Mapping[str, Any] | None) -> str | None:
    """The signed cursor to the next page, or None when there is none (``position`` is None)."""
    return cursor_codec().encode(scope, position) if position is not None else None


def split_page(fetched: list[T], limit: int) -> tuple[list[T], T | None]:
    """Split what a query returned with ``limit + 1``: the page, and its last item if more follow.

    Fetching one extra row is how a list knows it has another page, so
    ``next_cursor`` is null exactly when nothing follows (no empty last page).
    """
    page = fetched[:limit]
    return page, (page[-1] if len(fetched) > limit else None)


def parse_limit(raw: str | None) -> int:
    """``limit``: default 20, 1 to 100; anything else is a 422."""
    if raw is None or raw == "":
        return DEFAULT_LIMIT
    if not re.fullmatch(r"[0-9]{1,3}", raw) or not 1 <= int(raw) <= MAX_LIMIT:
        raise Unprocessable("invalid_limit", f"limit must be a whole number from 1 to {MAX_LIMIT}")
    return int(raw)


def key_window(key: Any, before: str | None, after: str | None) -> Any:
    """A query's range-key condition for keys strictly between ``after`` and ``before`` (either may be None;
    both None: no condition). DynamoDB's BETWEEN includes its bounds, so filter the rows with ``inside``.

    Usage::

        rows = Model.index.query(owner, key_window(Model.position, before, after), scan_index_forward=False)
        rows = (row for row in rows if inside(row.position, before, after))
    """
    if before and after:
        return key.between(after, before)
    if before:
        return key < before
    return key > after if after else None


def inside(value: str, before: str | None, after: str | None) -> bool:
    return (before is None or value < before) and (after is None or value > after)
