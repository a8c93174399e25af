"""How users look on the wire."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

from pydantic import Field

from chalicelib.core.lazy import lazy_module
from chalicelib.core.schema import ResponseBody
from chalicelib.core.usertext import SingleLineText
from chalicelib.media.views import media_url

if TYPE_CHECKING:
    from chalicelib.users import graph
    from chalicelib.users.graph import Relation
    from chalicelib.users.models import UserModel
else:
    graph = lazy_module("chalicelib.users.graph")

# One display-name rule for registration and profile changes: one line, 1-50 characters, not blank.
DisplayName = Annotated[SingleLineText, Field(min_length=1, max_length=50)]


def avatar_url(user: UserModel) -> str | None:
    """The avatar's URL as profiles and posts show it; None without one."""
    return media_url(user.avatar) if user.avatar else None


class Profile(ResponseBody):
    username: str
    display_name: str
    bio: str
    avatar: str | None
    followers_count: int
    following_count: int
    posts_count: int
    created_at: datetime
    # Extensions for clients (API.md): the relationship with the caller; both false for the caller themself
    # and wherever no caller is considered (/users/me, registration).
    following: bool
    follows_you: bool

    @classmethod
    def of(cls, user: UserModel, relation: Relation | None = None) -> Profile:
        relation = relation or graph.Relation()
        return cls(username=user.username, display_name=user.display_name, bio=user.bio or "",
                   avatar=avatar_url(user), followers_count=int(user.followers_count),
                   following_count=int(user.following_count), posts_count=int(user.posts_count),
                   created_at=user.created_at, following=relation.following, follows_you=relation.follows_you)


def profiles_for(users: Sequence[UserModel], viewer: str) -> list[Profile]:
    """A page of profiles as ``viewer`` sees them: one batch read of the follow rows both ways, whatever the size."""
    known = graph.relations(viewer, [user.username for user in users])
    return [Profile.of(user, known.get(user.username)) for user in users]


def profile_for(user: UserModel, viewer: str) -> Profile:
    return profiles_for([user], viewer)[0]
