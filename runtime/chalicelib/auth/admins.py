"""Who may use admin routes: members of the ``admins`` group, with TOTP sign-in where the stack requires it.

Why refuse at the admin routes rather than at sign-in: an admin without TOTP needs a token to enrol
(``POST /v1/auth/mfa/totp`` takes the caller's access token), so sign-in still succeeds and every admin
route answers 403 ``mfa_required`` with the way out, until the admin has enrolled. Once enrolled, Cognito
asks every password sign-in for a code.
"""

from __future__ import annotations

from typing import Protocol

from chalicelib.core.errors import Forbidden
from chalicelib.core.settings import get_settings
from chalicelib.core.tokens import Principal

ADMINS = "admins"


class KnowsMfa(Protocol):
    def has_totp(self, username: str) -> bool: ...


def require_admin(principal: Principal, doing: str, identity: KnowsMfa) -> None:
    """Raise 403 unless the caller is an admin (with TOTP on, where ``ADMIN_MFA_REQUIRED``)."""
    if not principal.in_group(ADMINS):
        raise Forbidden("admins_only", f"only members of the admins group {doing}")
    if get_settings().admin_mfa_required and not identity.has_totp(principal.username):
        raise Forbidden("mfa_required", "admins must sign in with an authenticator app: enrol at "
                                        "POST /v1/auth/mfa/totp and /v1/auth/mfa/totp/verify, then sign in again")
