"""How users look on the wire."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field

from chalicelib.core.schema import ResponseBody
from chalicelib.core.usertext import SingleLineText
from chalicelib.media.service import media_url
from chalicelib.users.models import UserModel

# One display-name rule for registration and profile changes: one line, 1-50 characters, not blank.
DisplayName = Annotated[SingleLineText, Field(min_length=1, max_length=50)]


class Profile(ResponseBody):
    username: str
    display_name: str
    bio: str
    avatar: str | None
    followers_count: int
    following_count: int
    posts_count: int
    created_at: datetime

    @classmethod
    def of(cls, user: UserModel) -> Profile:
        return cls(username=user.username, display_name=user.display_name, bio=user.bio or "",
                   avatar=media_url(user.avatar) if user.avatar else None, followers_count=int(user.followers_count),
                   following_count=int(user.following_count), posts_count=int(user.posts_count),
                   created_at=user.created_at)
