"""Users routes: profiles and the social graph."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from chalicelib.core.declarations import uses
from chalicelib.core.errors import Unprocessable
from chalicelib.core.lazy import lazy_module
from chalicelib.core.pagination import Page, next_cursor
from chalicelib.core.routes import Call, Router
from chalicelib.core.schema import RequestBody, ResponseBody
from chalicelib.core.usertext import MultiLineText
from chalicelib.posts.views import Post, posts_with_media
from chalicelib.resources import FOLLOWS, INTERACTIONS, MEDIA, POSTS, TIMELINE, USERS
from chalicelib.users.views import DisplayName, Profile, profile_for, profiles_for

if TYPE_CHECKING:
    from chalicelib.posts import service as posts
    from chalicelib.users import graph, profiles
    from chalicelib.users.models import UserModel
else:
    posts = lazy_module("chalicelib.posts.service")
    graph = lazy_module("chalicelib.users.graph")
    profiles = lazy_module("chalicelib.users.profiles")

router = Router(__name__, tag="users")


class ProfileChange(RequestBody):
    display_name: DisplayName | None = None
    bio: MultiLineText | None = Field(default=None, max_length=160)
    avatar_media_id: str | None = Field(default=None, max_length=64)


class FollowState(ResponseBody):
    username: str
    following: bool
    followers_count: int


@router.route("/users/me", "GET", response=Profile)
@uses(USERS.read_write())
def me(call: Call[None]) -> Profile:
    """The caller's own profile."""
    principal = call.principal
    return Profile.of(profiles.get_or_create_profile(principal.username, principal.user_id))


@router.route("/users/me", "PATCH", body=ProfileChange, response=Profile)
@uses(USERS.read_write(), MEDIA.read_write())
def change_me(call: Call[ProfileChange]) -> Profile:
    """Change the caller's display name, bio or avatar (``null`` removes the avatar)."""
    body, given = call.body, call.body.model_fields_set
    if not given:
        raise Unprocessable("validation_failed", "send at least one of display_name, bio, avatar_media_id")
    if any(name in given and getattr(body, name) is None for name in ("display_name", "bio")):
        raise Unprocessable("validation_failed", "display_name and bio cannot be null")
    change = profiles.ProfileUpdate(display_name=body.display_name, bio=body.bio,
                           avatar=body.avatar_media_id if "avatar_media_id" in given else profiles.KEEP)
    return Profile.of(profiles.update_profile(call.principal.username, call.principal.user_id, change))


@router.route("/users/{username}", "GET", response=Profile, errors=(404,))
@uses(USERS.read(), FOLLOWS.read())
def profile(call: Call[None], username: str) -> Profile:
    """Anyone's public profile, with whether you follow each other."""
    return profile_for(profiles.get_profile(username), call.principal.username)


def _follow_state(user: UserModel, following: bool) -> FollowState:
    return FollowState(username=user.username, following=following, followers_count=int(user.followers_count))


@router.route("/users/{username}/follow", "PUT", response=FollowState, errors=(404,))
@uses(USERS.read_write(), FOLLOWS.read_write(), TIMELINE.write())  # the follower's row of celebrities followed
def follow(call: Call[None], username: str) -> FollowState:
    """Follow someone; following again changes nothing. Following yourself is a 422."""
    return _follow_state(graph.follow(call.principal, username), True)


@router.route("/users/{username}/follow", "DELETE", response=FollowState, errors=(404,))
@uses(USERS.read_write(), FOLLOWS.read_write(), TIMELINE.write())  # the follower's row of celebrities followed
def unfollow(call: Call[None], username: str) -> FollowState:
    """Stop following someone; doing it again changes nothing."""
    return _follow_state(graph.unfollow(call.principal, username), False)


def _profile_page(call: Call[None], scope: str, lister: graph.Lister, username: str) -> Page[Profile]:
    limit, position = call.page_request(scope)
    users, last = lister(username, limit, position.get("after"))
    return Page[Profile](items=profiles_for(users, call.principal.username),
                         next_cursor=next_cursor(scope, {"after": last} if last else None))


@router.route("/users/{username}/followers", "GET", response=Page[Profile], errors=(404,))
@uses(USERS.read(), FOLLOWS.read())
def followers(call: Call[None], username: str) -> Page[Profile]:
    """Who follows ``username``."""
    return _profile_page(call, f"followers:{username}", graph.followers_of, username)


@router.route("/users/{username}/following", "GET", response=Page[Profile], errors=(404,))
@uses(USERS.read(), FOLLOWS.read())
def following(call: Call[None], username: str) -> Page[Profile]:
    """Whom ``username`` follows."""
    return _profile_page(call, f"following:{username}", graph.following_of, username)


@router.route("/users/{username}/posts", "GET", response=Page[Post], errors=(404,))
@uses(USERS.read(), POSTS.read(), MEDIA.read(), INTERACTIONS.read())
def user_posts(call: Call[None], username: str) -> Page[Post]:
    """A user's posts, newest first."""
    profiles.get_profile(username)
    scope = f"posts:{username}"
    limit, position = call.page_request(scope)
    page, last = posts.posts_by(username, limit, position.get("before"))
    return Page[Post](items=posts_with_media(page, viewer=call.principal.username),
                      next_cursor=next_cursor(scope, {"before": last} if last else None))
