"""Integration keys (admins) and the read-only routes partners call with one (``X-API-Key``).

The partner routes are public to the app (no bearer token) but API Gateway requires a valid key on them and
meters it against the integrations usage plan (``Router.route(api_key=True)``); they serve the very answers of
the app's own routes, through the same domain functions.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from chalicelib.auth.admins import require_admin
from chalicelib.core.declarations import uses
from chalicelib.core.lazy import lazy_module
from chalicelib.core.pagination import Page, next_cursor
from chalicelib.core.routes import Call, Reply, Router
from chalicelib.core.tokens import Principal
from chalicelib.integrations.views import IntegrationView, NewIntegration, NewIntegrationView
from chalicelib.posts.views import Post, post_with_media
from chalicelib.resources import INTEGRATIONS, MEDIA, POSTS, USER_POOL, USERS
from chalicelib.users.views import Profile

if TYPE_CHECKING:
    from chalicelib.integrations import keys
    from chalicelib.integrations import plan as usage_plan
    from chalicelib.integrations.plan import UsagePlanKeys
    from chalicelib.posts import service as posts
    from chalicelib.users import profiles
else:
    keys = lazy_module("chalicelib.integrations.keys")
    usage_plan = lazy_module("chalicelib.integrations.plan")
    posts = lazy_module("chalicelib.posts.service")
    profiles = lazy_module("chalicelib.users.profiles")

router = Router(__name__, tag="integrations")
_SCOPE = "integrations"


def _admin(principal: Principal) -> None:
    from chalicelib.auth.routes import identity

    require_admin(principal, "manage integration keys", identity())


def _plan() -> UsagePlanKeys:
    return usage_plan.UsagePlanKeys.current()


@router.route("/admin/integrations", "POST", body=NewIntegration, response=NewIntegrationView, status=201,
              errors=(403,))
@uses(INTEGRATIONS.manage_keys(), USER_POOL.read_user())
def create_integration(call: Call[NewIntegration]) -> NewIntegrationView:
    """Make an integration key on the usage plan (admins); its value is in this answer only."""
    _admin(call.principal)
    plan = _plan()
    key, value = plan.create(call.body.name, call.body.description)
    view = IntegrationView.of(keys.Integration.of(key, plan.limits()))
    return NewIntegrationView(**view.model_dump(), key=value)


@router.route("/admin/integrations", "GET", response=Page[IntegrationView], errors=(403,))
@uses(INTEGRATIONS.manage_keys(), USER_POOL.read_user())
def list_integrations(call: Call[None]) -> Page[IntegrationView]:
    """The integration keys, by id (admins): no key values."""
    _admin(call.principal)
    limit, position = call.page_request(_SCOPE)
    plan = _plan()
    ids, last = keys.page_after(plan.key_ids(), position.get("after"), limit)
    limits = plan.limits()
    items = [IntegrationView.of(keys.Integration.of(plan.get(key_id), limits)) for key_id in ids]
    return Page[IntegrationView](items=items, next_cursor=next_cursor(_SCOPE, {"after": last} if last else None))


@router.route("/admin/integrations/{integration_id}", "GET", response=IntegrationView, errors=(403, 404))
@uses(INTEGRATIONS.manage_keys(), USER_POOL.read_user())
def read_integration(call: Call[None], integration_id: str) -> IntegrationView:
    """One integration key and today's usage of its quota (admins)."""
    _admin(call.principal)
    plan = _plan()
    key, limits = plan.get(integration_id), plan.limits()
    day = datetime.now(UTC).date().isoformat()
    usage = keys.Usage.of_day(plan.usage(integration_id, day), integration_id, day, limits)
    return IntegrationView.of(keys.Integration.of(key, limits), usage)


@router.route("/admin/integrations/{integration_id}", "DELETE", status=204, errors=(403, 404))
@uses(INTEGRATIONS.manage_keys(), USER_POOL.read_user())
def revoke_integration(call: Call[None], integration_id: str) -> Reply:
    """Revoke an integration key (admins): its next call is refused."""
    _admin(call.principal)
    _plan().delete(integration_id)
    return Reply(None, status=204)


@router.route("/integrations/posts/{post_id}", "GET", public=True, api_key=True, response=Post, errors=(403, 404))
@uses(POSTS.read(), MEDIA.read(), USERS.read())
def partner_post(call: Call[None], post_id: str) -> Post:
    """One post, as GET /v1/posts/{post_id} answers it to nobody in particular (with an integration key)."""
    return post_with_media(posts.get_post(post_id), viewer=None)


@router.route("/integrations/users/{username}", "GET", public=True, api_key=True, response=Profile,
              errors=(403, 404))
@uses(USERS.read())
def partner_profile(call: Call[None], username: str) -> Profile:
    """A public profile, as GET /v1/users/{username} answers it to nobody in particular (with an integration key)."""
    return Profile.of(profiles.get_profile(username))
