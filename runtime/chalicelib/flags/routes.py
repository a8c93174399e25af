"""``GET /v1/flags``: the flags a client may see, evaluated for the caller."""

from __future__ import annotations

from chalicelib import flags
from chalicelib.core.routes import Call, Router
from chalicelib.flags.views import ClientFlags

router = Router(__name__, tag="flags")


@router.route("/flags", "GET", response=ClientFlags)
def client_flags(call: Call[None]) -> ClientFlags:
    """The client-visible feature flags as they apply to you (targeting by user, group and percentage)."""
    principal = call.principal
    return ClientFlags(flags=flags.client_flags(principal.username, principal.groups))
