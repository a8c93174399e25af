"""Users routes."""

from __future__ import annotations

from chalicelib.core.declarations import uses
from chalicelib.core.routes import Call, Router
from chalicelib.resources import USERS
from chalicelib.users.profiles import get_or_create_profile
from chalicelib.users.views import Profile

router = Router(__name__, tag="users")


@router.route("/users/me", "GET", response=Profile)
@uses(USERS.read_write())
def me(call: Call[None]) -> Profile:
    """The caller's own profile."""
    principal = call.principal
    return Profile.of(get_or_create_profile(principal.username, principal.user_id))
