"""One-click unsubscribe links: a token naming the user, signed with the ``unsubscribe-key`` secret.

The token is the cursors' signed format (``core.pagination.CursorCodec``: HMAC-SHA256 over a scope
and a payload, keys from Secrets Manager with rotation) under its own key and scope, so a cursor is
never a token and a token never a cursor. It does not expire: a link in an old mail still works, as
mail clients expect of ``List-Unsubscribe``. Anything forged, edited or truncated is a 400.

Usage::

    link = unsubscribe_url("ada")        # https://.../v1/notifications/unsubscribe?token=...
    username_of(token)                   # 'ada', or BadRequest('invalid_token')
"""

from __future__ import annotations

import os
from functools import lru_cache
from urllib.parse import quote

from chalicelib.core.declarations import Secret
from chalicelib.core.environment import PUBLIC_API_URL
from chalicelib.core.errors import ApiError, BadRequest
from chalicelib.core.keys import KeyRing
from chalicelib.core.pagination import CursorCodec
from chalicelib.core.settings import get_settings

UNSUBSCRIBE_KEY = Secret("unsubscribe-key")
ROUTE = "/v1/notifications/unsubscribe"
_SCOPE = "unsubscribe:email"


@lru_cache(maxsize=1)
def _codec() -> CursorCodec:
    # Without the secret (unit tests, scripts) the cursor fallback signs: valid in this process only.
    return CursorCodec(KeyRing.from_environment(UNSUBSCRIBE_KEY.env_var, fallback=get_settings().cursor_secret))


def token_for(username: str) -> str:
    return _codec().encode(_SCOPE, {"u": username})


def username_of(token: str | None) -> str:
    if not token:
        raise BadRequest("missing_token", "the link has no token")
    try:
        position = _codec().decode(_SCOPE, token)
    except ApiError as error:
        raise BadRequest("invalid_token", "this unsubscribe link is not one we sent") from error
    username = position.get("u") if position else None
    if not isinstance(username, str) or not username:
        raise BadRequest("invalid_token", "this unsubscribe link is not one we sent")
    return username


def unsubscribe_url(username: str) -> str:
    """The absolute link for mails: ``PUBLIC_API_URL`` (the API's base URL) plus the route and the token."""
    base = os.environ.get(PUBLIC_API_URL, "").rstrip("/")
    return f"{base}{ROUTE}?token={quote(token_for(username), safe='')}"
