"""How posts and comments look on the wire."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from chalicelib.core.schema import RequestBody, ResponseBody
from chalicelib.core.usertext import MultiLineText
from chalicelib.posts.models import COMMENT, InteractionModel, PostModel

MAX_CONTENT = 2000


class NewPost(RequestBody):
    content: MultiLineText = Field(min_length=1, max_length=MAX_CONTENT)
    media_ids: list[str] = Field(default_factory=list, max_length=10)


class PostEdit(RequestBody):
    content: MultiLineText = Field(min_length=1, max_length=MAX_CONTENT)


class NewComment(RequestBody):
    content: MultiLineText = Field(min_length=1, max_length=MAX_CONTENT)


class Post(ResponseBody):
    id: str
    author: str
    content: str
    media: list[str]
    likes_count: int
    comments_count: int
    created_at: datetime
    edited_at: datetime | None
    hashtags: list[str]
    mentions: list[str]

    @classmethod
    def of(cls, post: PostModel) -> Post:
        return cls(id=post.post_id, author=post.author, content=post.content, media=list(post.media_ids or []),
                   likes_count=int(post.likes_count), comments_count=int(post.comments_count),
                   created_at=post.created_at, edited_at=post.edited_at, hashtags=list(post.hashtags or []),
                   mentions=list(post.mentions or []))


class Comment(ResponseBody):
    id: str
    post_id: str
    author: str
    content: str
    created_at: datetime
    edited_at: datetime | None

    @classmethod
    def of(cls, comment: InteractionModel) -> Comment:
        return cls(id=comment.sk.removeprefix(COMMENT), post_id=comment.post_id, author=comment.author,
                   content=comment.content or "", created_at=comment.created_at, edited_at=comment.edited_at)


class LikeState(ResponseBody):
    liked: bool
    likes_count: int
