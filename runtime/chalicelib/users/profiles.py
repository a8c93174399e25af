"""Profiles: created at registration, read by every users route.

Plain domain code over the PynamoDB model; no HTTP here.
"""

from __future__ import annotations

from dataclasses import dataclass

from pynamodb.exceptions import PutError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from chalicelib.auth.rules import is_username
from chalicelib.core.errors import Conflict, NotFound, Unauthorized, Unprocessable
from chalicelib.core.tokens import Principal
from chalicelib.core.transactions import Cancelled, Update, transact
from chalicelib.core.usertext import is_blank
from chalicelib.media.service import avatar_key, avatar_updates, claim_avatar, release_avatar
from chalicelib.users.models import UserModel


def create_profile(username: str, user_id: str, email: str, display_name: str | None) -> UserModel:
    """Store a new profile; a second profile for the same username is a conflict."""
    profile = UserModel(username, user_id=user_id, email=email, display_name=display_name or username)
    try:
        profile.save(condition=UserModel.username.does_not_exist())
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            raise Conflict("username_taken", f"the username {username!r} is taken") from exc
        raise
    return profile


def get_or_create_profile(username: str, user_id: str) -> UserModel:
    """The caller's profile, recreated from the token if registration stopped half-way."""
    try:
        return UserModel.get(username, consistent_read=True)
    except UserModel.DoesNotExist:
        pass
    try:
        return create_profile(username, user_id, email="", display_name=None)
    except Conflict:  # created by a concurrent request between our read and write
        return UserModel.get(username, consistent_read=True)


_OWNERS_KEPT = 10_000
_owners: dict[str, str] = {}  # username -> user_id already checked; a profile's user_id never changes


def admit(principal: Principal) -> None:
    """Refuse a valid token that does not own its username's profile; the route layer calls this.

    A profile belongs to the Cognito ``sub`` that created it. If the account was
    deleted from the pool and the username signed up again, the new account's
    tokens name the same username with another ``sub``: they must not act as the
    old profile (its posts, followers, coins). A missing profile is created from
    the token by the route that needs it, for this very ``sub``.
    """
    if not is_username(principal.username):  # made outside the API and its sign-up trigger
        raise Unauthorized("invalid_username", "the token's username breaks the username rule")
    if _owners.get(principal.username) == principal.user_id:
        return
    try:
        owner = UserModel.get(principal.username, attributes_to_get=["user_id"]).user_id
    except UserModel.DoesNotExist:
        return
    if owner != principal.user_id:
        raise Unauthorized("account_mismatch",
                           "this account does not own the profile of that username; it was registered by another")
    if len(_owners) >= _OWNERS_KEPT:
        _owners.clear()
    _owners[principal.username] = owner


def get_profile(username: str) -> UserModel:
    if not is_username(username):
        raise NotFound("user_not_found", f"no user named {username!r}")
    try:
        return UserModel.get(username, consistent_read=True)
    except UserModel.DoesNotExist:
        raise NotFound("user_not_found", f"no user named {username!r}") from None


KEEP = "\x00keep"  # an avatar value meaning "leave it as it is"


@dataclass(frozen=True)
class ProfileUpdate:
    """What to change; ``None`` leaves a field alone, except ``avatar=None`` which removes it."""

    display_name: str | None = None
    bio: str | None = None
    avatar: str | None = KEEP


def update_profile(username: str, user_id: str, change: ProfileUpdate) -> UserModel:
    """Apply ``change``; an avatar must be the user's own processed image (422 ``invalid_media`` otherwise)."""
    profile = get_or_create_profile(username, user_id)
    actions: list[Action] = []
    if change.display_name is not None:
        if is_blank(change.display_name):
            raise Unprocessable("validation_failed", "display_name must not be blank",
                                details=[{"field": "display_name", "problem": "must not be blank"}])
        actions.append(UserModel.display_name.set(change.display_name))
    if change.bio is not None:
        actions.append(UserModel.bio.set(change.bio))
    previous = profile.avatar
    if change.avatar is None:
        actions.append(UserModel.avatar.remove())
    elif change.avatar != KEEP:
        return _with_avatar(profile, actions, change.avatar)
    if actions:
        profile.update(actions=actions)
    if change.avatar is None:
        release_avatar(profile.username, previous)
    return profile


def adopt_avatar(username: str, media_id: str) -> bool:
    """Make an uploaded avatar, processed just now, the avatar, unless a newer upload is the avatar already.

    The media pipeline calls this for Mastodon's ``update_credentials`` avatar file (uploaded, then processed
    after the request answered): the newest upload wins whichever is processed first, and one that is not
    the user's ready image (failed, gone, someone else's) changes nothing. False when it is not applied.
    """
    try:
        profile = get_profile(username)
    except NotFound:
        return False
    # Avatars are stored as ``media/<id>/<variant>`` and ids sort by time: one older than this media's sorts first.
    older_or_none = UserModel.avatar.does_not_exist() | (UserModel.avatar < f"media/{media_id}/")
    try:
        _with_avatar(profile, [], media_id, only_if=older_or_none)
    except Unprocessable:
        return False
    except Cancelled as cancelled:
        if cancelled.failed(0):
            return False
        raise
    return True


def _with_avatar(profile: UserModel, actions: list[Action], media_id: str, *,
                 only_if: Condition | None = None) -> UserModel:
    """Set the avatar (the user's own ready image, stored as its variant's key) with the other changes, and
    release the one it replaces; ``only_if`` a further condition on the profile (``Cancelled`` when it fails)."""
    media = claim_avatar(profile.username, media_id)
    actions = [*actions, UserModel.avatar.set(avatar_key(media))]
    condition = UserModel.username.exists() if only_if is None else UserModel.username.exists() & only_if
    try:
        transact([Update(UserModel(profile.username), actions, condition=condition),
                  *avatar_updates(profile.username, media)])
    except Cancelled as cancelled:
        if cancelled.failed(1):
            raise Unprocessable("invalid_media", "the avatar media changed meanwhile",
                                details=[{"field": "avatar_media_id", "problem": "no longer usable"}]) from cancelled
        raise
    updated = UserModel.get(profile.username, consistent_read=True)
    if profile.avatar != updated.avatar:
        release_avatar(profile.username, profile.avatar)
    return updated
