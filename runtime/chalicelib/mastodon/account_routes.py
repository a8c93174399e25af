"""``/api/v1/accounts/...``, ``/api/v1/preferences`` and the lists of features this platform lacks.

Account ids are usernames. What exists here is following: follow, unfollow, followers, following and
relationships go through ``chalicelib.users.graph`` as ``/v1`` does. Blocks, mutes, endorsements, notes and
follow requests do not exist: their lists are empty, undoing them changes nothing (the Relationship comes back),
and asking for one is a 422 that says so, as a client must not believe it happened.

``update_credentials`` changes ``display_name`` and ``note`` (the bio) under ``/v1``'s rules; a ``header`` file,
``locked``, ``bot``, ``discoverable``, ``fields_attributes`` and ``source[...]`` are accepted and ignored (no
header images, no profile fields here; every account is public and unlocked), so a client that sends its whole
profile form still saves the name and bio. An ``avatar`` file goes through the media pipeline as an upload does
(``/v1``'s avatar must be a processed image, and processing happens after the request has answered): it is
stored as the user's pending avatar, and the pipeline makes it the avatar once processed (the newest upload
wins; bytes that are no image change nothing). The answer shows the avatar as it is until then.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pydantic import Field

from chalicelib.auth.rules import is_username
from chalicelib.core import errors
from chalicelib.core.declarations import uses
from chalicelib.core.lazy import lazy_module
from chalicelib.core.routes import Reply
from chalicelib.core.usertext import MultiLineText
from chalicelib.mastodon.errors import MastodonError, unprocessable
from chalicelib.mastodon.paging import ACCOUNT_LIST_LIMIT, ACCOUNT_LIST_MAX, PageParams, clamp, window_links
from chalicelib.mastodon.params import MAX_UPLOAD_BODY, MAX_UPLOAD_FILE, Params
from chalicelib.mastodon.routing import MastodonCall, MastodonRouter, link_header
from chalicelib.resources import FOLLOWS, INTERACTIONS, MEDIA, POSTS, SEARCH, TIMELINE, UPLOADS, USERS
from chalicelib.users.views import DisplayName

if TYPE_CHECKING:
    from chalicelib.core import batches
    from chalicelib.mastodon import entities, relationships, statuses
    from chalicelib.mastodon.entities import Account
    from chalicelib.mastodon.relationships import Relationship
    from chalicelib.media import service as media_service
    from chalicelib.media.models import MediaModel
    from chalicelib.posts import service as posts
    from chalicelib.search import service as search
    from chalicelib.users import graph, profiles
    from chalicelib.users import models as user_models
    from chalicelib.users.models import UserModel
else:
    batches = lazy_module("chalicelib.core.batches")
    posts = lazy_module("chalicelib.posts.service")
    statuses = lazy_module("chalicelib.mastodon.statuses")
    entities = lazy_module("chalicelib.mastodon.entities")
    relationships = lazy_module("chalicelib.mastodon.relationships")
    media_service = lazy_module("chalicelib.media.service")
    graph = lazy_module("chalicelib.users.graph")
    user_models = lazy_module("chalicelib.users.models")
    profiles = lazy_module("chalicelib.users.profiles")
    search = lazy_module("chalicelib.search.service")

router = MastodonRouter(__name__)


def profile_of(username: str) -> UserModel:
    """The profile an account id names; 404 ``Record not found`` for any other id (the domain's NotFound)."""
    return profiles.get_profile(username)


def accounts(users: list[UserModel], base_url: str) -> list[Account]:
    return [entities.account(user, base_url) for user in users]


@router.route("/api/v1/accounts/verify_credentials", "GET", scope=("read:accounts", "profile"))
@uses(USERS.read_write())
def verify_credentials(call: MastodonCall[Any]) -> Account:
    """The caller's own account, with ``source``."""
    principal = call.principal
    profile = profiles.get_or_create_profile(principal.username, principal.user_id)
    return entities.credential_account(profile, call.base_url)


class CredentialsChange(Params):
    display_name: DisplayName | None = None
    note: MultiLineText | None = Field(None, max_length=160)  # the bio's rule on /v1


def _avatar_upload(call: MastodonCall[CredentialsChange]) -> MediaModel | None:
    """The ``avatar`` file as a pending avatar upload (an image upload's rules), checked and not stored yet; 422 in
    Mastodon's words."""
    upload = call.files.get("avatar")
    if upload is None:
        return None
    if not upload.data:
        raise unprocessable("Avatar can't be blank")
    if len(upload.data) > MAX_UPLOAD_FILE:  # what the instance advertises (one Lambda invocation's worth)
        raise unprocessable(f"Avatar file size must be less than {MAX_UPLOAD_FILE / 2**20:.1f} MB")
    try:
        return media_service.prepare_upload(call.principal.username, upload.content_type, upload.data, avatar=True)
    except errors.Unprocessable as error:
        raise unprocessable("Avatar content type is invalid") from error


@router.route("/api/v1/accounts/update_credentials", "PATCH", scope="write:accounts", params=CredentialsChange,
              max_body_bytes=MAX_UPLOAD_BODY)  # an avatar (and a header, ignored): what one invocation takes
@uses(USERS.read_write(), MEDIA.read_write(), UPLOADS.write())
def update_credentials(call: MastodonCall[CredentialsChange]) -> Account:
    """Change the display name and the note, and upload an avatar; other fields (the ``header`` file too) are
    accepted and ignored (see the module).

    The avatar is processed after this answer: the Account shows the new ``avatar`` URL once the media pipeline
    has made it the avatar (seconds); Mastodon clients read the account again (``verify_credentials``).
    """
    principal, params = call.principal, call.params
    avatar = _avatar_upload(call)  # checked before anything changes: a refused file leaves the profile as it was
    change = profiles.ProfileUpdate(display_name=params.display_name, bio=params.note)
    profile = profiles.update_profile(principal.username, principal.user_id, change)
    if avatar is not None:
        media_service.store_upload(avatar, call.files["avatar"].data)
    return entities.credential_account(profile, call.base_url)


class Lookup(Params):
    acct: str = Field(min_length=1, max_length=400)


@router.route("/api/v1/accounts/lookup", "GET", public=True, params=Lookup)
@uses(USERS.read())
def lookup(call: MastodonCall[Lookup]) -> Account:
    """An account by ``acct``: ``name``, ``@name`` or ``name@this-host``; any other host is unknown here."""
    name, _, host = call.params.acct.removeprefix("@").partition("@")
    if host and host.lower() != call.base_url.split("://", 1)[-1].lower():
        raise MastodonError(404)
    return entities.account(profile_of(name), call.base_url)


class Ids(Params):
    id: list[str] | str = Field(default_factory=list)

    def names(self) -> list[str]:
        return [self.id] if isinstance(self.id, str) else self.id


@router.route("/api/v1/accounts/relationships", "GET", scope=("read:follows", "read:accounts"), params=Ids)
@uses(USERS.read(), FOLLOWS.read())
def account_relationships(call: MastodonCall[Ids]) -> list[Relationship]:
    """How each ``id[]`` stands to the caller; ids of no account are left out, as Mastodon does."""
    names = [name for name in call.params.names()[:ACCOUNT_LIST_MAX] if is_username(name)]  # else no account
    existing = set(batches.get_many(user_models.UserModel, names)) if names else set()
    return relationships.relationships(call.principal.username, [name for name in names if name in existing])


@router.route("/api/v1/accounts", "GET", public=True, params=Ids)
@uses(USERS.read())
def many_accounts(call: MastodonCall[Ids]) -> list[Account]:
    """The accounts of ``id[]`` (Mastodon 4.3), in the order asked; unknown ids are left out."""
    names = list(dict.fromkeys(name for name in call.params.names()[:ACCOUNT_LIST_MAX] if is_username(name)))
    found = batches.get_many(user_models.UserModel, names) if names else {}
    return [entities.account(found[name], call.base_url) for name in names if name in found]


@router.route("/api/v1/accounts/familiar_followers", "GET", scope=("read:follows", "read:accounts"), params=Ids)
def familiar_followers(call: MastodonCall[Ids]) -> list[dict[str, Any]]:
    """Not computed here: no familiar followers for anyone."""
    return [{"id": name, "accounts": []} for name in dict.fromkeys(call.params.names()[:ACCOUNT_LIST_MAX])]


class AccountSearch(Params):
    q: str = Field(max_length=1000)
    limit: int | None = None
    offset: int = Field(0, ge=0)
    resolve: bool = False  # nothing to resolve: every account is local
    following: bool = False


@router.route("/api/v1/accounts/search", "GET", scope=("read:accounts",), params=AccountSearch)
@uses(USERS.read(), FOLLOWS.read(), SEARCH.search())
def search_accounts(call: MastodonCall[AccountSearch]) -> list[Account]:
    """Accounts by username or display name (``/v1``'s user search); ``following=true``: only those followed."""
    return accounts(find_accounts(call.principal.username, call.params.q, call.params.limit, call.params.offset,
                                  following=call.params.following), call.base_url)


def find_accounts(viewer: str, query: str, limit: int | None, offset: int, *, following: bool) -> list[UserModel]:
    """A page of the user search by offset (the engine pages by position: read ``offset + limit`` and cut)."""
    size = clamp(limit, default=ACCOUNT_LIST_LIMIT, maximum=ACCOUNT_LIST_MAX)
    if not query.strip() or offset >= search.MAX_TAG_OFFSET:
        return []
    users, _ = search.search_users(query.removeprefix("@"), offset + size, None)
    users = users[offset:offset + size]
    if following:
        known = graph.relations(viewer, [user.username for user in users])
        users = [user for user in users if user.username in known and known[user.username].following]
    return users


@router.route("/api/v1/accounts/{id}", "GET", public=True)
@uses(USERS.read())
def get_account(call: MastodonCall[Any], id: str) -> Account:
    """Anyone's account."""
    return entities.account(profile_of(id), call.base_url)


Lister = Callable[..., tuple[list["UserModel"], str | None]]  # graph.followers_of / following_of


def _account_page(call: MastodonCall[PageParams], lister: Lister, id: str) -> Reply:
    """A page of accounts ordered by username: ``max_id`` continues after a name, ``min_id`` (or ``since_id``)
    comes back to the names just before one; the Link header names both directions."""
    params = call.params
    limit = params.clamped(default=ACCOUNT_LIST_LIMIT, maximum=ACCOUNT_LIST_MAX)
    back = params.min_id or params.since_id
    if params.max_id or not back:
        users, next_max = lister(id, limit, params.max_id)
    else:  # paging back: whatever this page holds, the page it came from follows it
        users, _ = lister(id, limit, None, before=back)
        next_max = users[-1].username if users else None
    first = users[0].username if users else None
    return Reply(body=accounts(users, call.base_url),
                 headers=link_header(call, next_max_id=next_max, prev_min_id=first))


@router.route("/api/v1/accounts/{id}/followers", "GET", public=True, params=PageParams)
@uses(USERS.read(), FOLLOWS.read())
def followers(call: MastodonCall[PageParams], id: str) -> Reply:
    """Who follows the account, by username."""
    return _account_page(call, graph.followers_of, id)


@router.route("/api/v1/accounts/{id}/following", "GET", public=True, params=PageParams)
@uses(USERS.read(), FOLLOWS.read())
def following(call: MastodonCall[PageParams], id: str) -> Reply:
    """Whom the account follows, by username."""
    return _account_page(call, graph.following_of, id)


class AccountStatusesParams(PageParams):
    only_media: bool = False
    exclude_replies: bool = False  # a post is never a reply here (comments are not listed with posts)
    exclude_reblogs: bool = False  # no boosts
    pinned: bool = False  # no pins: the pinned list is empty
    tagged: str | None = Field(None, max_length=100)


@router.route("/api/v1/accounts/{id}/statuses", "GET", scope="read:statuses", params=AccountStatusesParams,
              optional=True)  # public; a token sent says what its user favourited
@uses(USERS.read(), POSTS.read(), MEDIA.read(), INTERACTIONS.read())
def account_statuses(call: MastodonCall[AccountStatusesParams], id: str) -> Reply:
    """The account's posts, newest first (``/v1``'s user posts); ``only_media`` and ``tagged`` filter a page
    (it may come back shorter than ``limit``, its Link header still leads on)."""
    params = call.params
    profile_of(id)
    if params.pinned:
        return Reply(body=[])
    limit, window = params.clamped(default=20, maximum=40), params.window()
    rows, last = posts.posts_by(id, limit, window.before, after=window.after, oldest_first=window.oldest_first)
    rows = window.newest_first(rows)
    links = window_links(call, [row.post_id for row in rows], more=last is not None, window=window)
    tag = params.tagged.removeprefix("#").lower() if params.tagged else None
    shown = [row for row in rows if (not params.only_media or row.media_ids)
             and (tag is None or tag in {t.lower() for t in row.hashtags or []})]
    viewer = call.principal_or_none
    return Reply(body=statuses.render_statuses(shown, viewer=viewer.username if viewer else None,
                                               base_url=call.base_url), headers=links)


class FollowOptions(Params):
    reblogs: bool = True  # there are no boosts to show or hide
    notify: bool = False  # no per-account post notifications
    languages: list[str] | None = None


def _followed_by(viewer: str, username: str) -> bool:
    return graph.follows(username, viewer)


@router.route("/api/v1/accounts/{id}/follow", "POST", scope=("write:follows", "follow"), params=FollowOptions)
@uses(USERS.read_write(), FOLLOWS.read_write(), TIMELINE.write())  # the follower's row of celebrities followed
def follow(call: MastodonCall[FollowOptions], id: str) -> Relationship:
    """Follow the account (again: no change); yourself: 422."""
    viewer = call.principal.username
    graph.follow(call.principal, id)
    return relationships.relationship(id, following=True, followed_by=_followed_by(viewer, id))


@router.route("/api/v1/accounts/{id}/unfollow", "POST", scope=("write:follows", "follow"))
@uses(USERS.read_write(), FOLLOWS.read_write(), TIMELINE.write())
def unfollow(call: MastodonCall[Any], id: str) -> Relationship:
    """Stop following the account (a stranger: no change)."""
    viewer = call.principal.username
    graph.unfollow(call.principal, id)
    return relationships.relationship(id, following=False, followed_by=_followed_by(viewer, id))


def _unsupported(feature: str) -> MastodonError:
    return unprocessable(f"{feature} is not available on this server")


_REFUSED = {"block": "blocking", "mute": "muting", "pin": "endorsing", "endorse": "endorsing",
            "note": "private notes", "remove_from_followers": "removing followers"}
_NOTHING_TO_UNDO = ("unblock", "unmute", "unpin", "unendorse")


def _refuse(action: str) -> Any:
    @uses(USERS.read())
    def refuse(call: MastodonCall[Any], id: str) -> Any:
        profile_of(id)
        raise _unsupported(_REFUSED[action])

    refuse.__name__ = refuse.__qualname__ = f"account_{action}"
    refuse.__doc__ = "Not available: 422 (an existing account) or 404."
    return refuse


def _undo(action: str) -> Any:
    @uses(USERS.read(), FOLLOWS.read())
    def undo(call: MastodonCall[Any], id: str) -> Relationship:
        profile_of(id)
        return relationships.relationships(call.principal.username, [id])[0]

    undo.__name__ = undo.__qualname__ = f"account_{action}"
    undo.__doc__ = "Nothing to undo: the Relationship as it is."
    return undo


_WRITE_SCOPE = {"block": ("write:blocks", "follow"), "unblock": ("write:blocks", "follow"),
                "mute": ("write:mutes", "follow"), "unmute": ("write:mutes", "follow")}
for _action in _REFUSED:
    router.route(f"/api/v1/accounts/{{id}}/{_action}", "POST",
                 scope=_WRITE_SCOPE.get(_action, ("write:accounts",)))(_refuse(_action))
for _action in _NOTHING_TO_UNDO:
    router.route(f"/api/v1/accounts/{{id}}/{_action}", "POST",
                 scope=_WRITE_SCOPE.get(_action, ("write:accounts",)))(_undo(_action))


def _empty_list(path: str, scope: str | tuple[str, ...], name: str) -> None:
    def empty(call: MastodonCall[Any], **_: str) -> list[Any]:
        return []

    empty.__name__ = empty.__qualname__ = name
    empty.__doc__ = "A feature this platform lacks: always empty."
    router.route(path, "GET", scope=scope)(empty)


for _path, _scope, _name in (
        ("/api/v1/blocks", ("read:blocks", "follow"), "blocks"),
        ("/api/v1/mutes", ("read:mutes", "follow"), "mutes"),
        ("/api/v1/domain_blocks", ("read:blocks", "follow"), "domain_blocks"),
        ("/api/v1/endorsements", "read:accounts", "endorsements"),
        ("/api/v1/follow_requests", ("read:follows", "follow"), "follow_requests"),
        ("/api/v1/suggestions", "read", "suggestions"),  # no suggestions are computed here
        ("/api/v2/suggestions", "read", "suggestions_v2"),
        ("/api/v1/accounts/{id}/featured_tags", "read:accounts", "account_featured_tags"),
        ("/api/v1/accounts/{id}/lists", "read:lists", "account_lists"),
        ("/api/v1/accounts/{id}/identity_proofs", "read:accounts", "account_identity_proofs"),
):
    _empty_list(_path, _scope, _name)


@router.route("/api/v1/preferences", "GET", scope="read:accounts")
def preferences(call: MastodonCall[Any]) -> dict[str, Any]:
    """Posting and reading defaults: every post is public here, and nothing is hidden behind a warning."""
    return {"posting:default:visibility": "public", "posting:default:sensitive": False,
            "posting:default:language": None, "reading:expand:media": "default", "reading:expand:spoilers": False}
