"""``/api/v1/accounts/verify_credentials`` and ``/api/v1/preferences``: the signed-in user as Mastodon shows them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.core.declarations import uses
from chalicelib.core.lazy import lazy_module
from chalicelib.mastodon.entities import Account, credential_account
from chalicelib.mastodon.routing import MastodonCall, MastodonRouter
from chalicelib.resources import USERS

if TYPE_CHECKING:
    from chalicelib.users import profiles
else:
    profiles = lazy_module("chalicelib.users.profiles")

router = MastodonRouter(__name__)


@router.route("/api/v1/accounts/verify_credentials", "GET", scope=("read:accounts", "profile"))
@uses(USERS.read_write())
def verify_credentials(call: MastodonCall[Any]) -> Account:
    """The caller's own account, with ``source``."""
    principal = call.principal
    return credential_account(profiles.get_or_create_profile(principal.username, principal.user_id), call.base_url)


@router.route("/api/v1/preferences", "GET", scope="read:accounts")
def preferences(call: MastodonCall[Any]) -> dict[str, Any]:
    """Posting and reading defaults: every post is public here, and nothing is hidden behind a warning."""
    return {"posting:default:visibility": "public", "posting:default:sensitive": False,
            "posting:default:language": None, "reading:expand:media": "default", "reading:expand:spoilers": False}
