"""How posts and comments look on the wire."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import Field

from chalicelib.core.lazy import lazy_module
from chalicelib.core.schema import RequestBody, ResponseBody
from chalicelib.core.usertext import MultiLineText
from chalicelib.media.views import Media
from chalicelib.users.views import avatar_url

if TYPE_CHECKING:
    from chalicelib.core import batches
    from chalicelib.media import models as media_models
    from chalicelib.media.models import MediaModel
    from chalicelib.posts import models as post_models
    from chalicelib.posts.models import InteractionModel, PostModel
    from chalicelib.users import models as user_models
    from chalicelib.users.models import UserModel
else:
    batches = lazy_module("chalicelib.core.batches")
    media_models = lazy_module("chalicelib.media.models")
    post_models = lazy_module("chalicelib.posts.models")
    user_models = lazy_module("chalicelib.users.models")

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
    media: list[Media]
    likes_count: int
    comments_count: int
    created_at: datetime
    edited_at: datetime | None
    hashtags: list[str]
    mentions: list[str]
    # Extensions for clients (API.md): who wrote it, as their profile shows them, and the caller's like.
    author_display_name: str
    author_avatar: str | None
    liked: bool

    @classmethod
    def of(cls, post: PostModel, media: Mapping[str, MediaModel], author: UserModel | None, liked: bool) -> Post:
        """``media``: the rows of (at least) this post's media; one removed meanwhile is left out. ``author``:
        the author's profile, None if it is gone (the username stands in for the display name then)."""
        attached = [Media.of(media[m]) for m in post.media_ids or [] if m in media]
        return cls(id=post.post_id, author=post.author, content=post.content, media=attached,
                   likes_count=int(post.likes_count), comments_count=int(post.comments_count),
                   created_at=post.created_at, edited_at=post.edited_at, hashtags=list(post.hashtags or []),
                   mentions=list(post.mentions or []),
                   author_display_name=author.display_name if author else post.author,
                   author_avatar=avatar_url(author) if author else None, liked=liked)


@dataclass(frozen=True)
class PageRows:
    """What a page of posts needs besides the posts: their media, their authors, the viewer's likes."""

    media: Mapping[str, MediaModel]
    authors: Mapping[str, UserModel]
    liked: frozenset[str]  # ids of the page's posts the viewer likes


def page_rows(posts: Sequence[PostModel], *, viewer: str | None, more_users: Sequence[str] = ()) -> PageRows:
    """The rows a page of posts is shown with, in a fixed number of reads whatever the page size (pages hold
    at most 100 posts, one BatchGetItem's worth): one for all their media (none when they have none), one for
    their distinct authors (and ``more_users``, in the same batch), one for the viewer's likes of them (none
    without a viewer). Both faces render from these rows (``posts_with_media``, ``mastodon.statuses``)."""
    if not posts and not more_users:
        return PageRows({}, {}, frozenset())
    media = batches.get_many(media_models.MediaModel, [m for post in posts for m in post.media_ids or []])
    authors = batches.get_many(user_models.UserModel, [*(post.author for post in posts), *more_users])
    likes = [(p.post_id, post_models.LIKE + viewer) for p in posts] if viewer else []
    liked = frozenset(like.post_id for like in batches.get_many_pairs(post_models.InteractionModel, likes)
                      ) if likes else frozenset[str]()
    return PageRows(media, authors, liked)


def posts_with_media(posts: Sequence[PostModel], *, viewer: str | None) -> list[Post]:
    """The wire form of a page of posts, as ``viewer`` (None: nobody in particular) sees them (``page_rows``)."""
    if not posts:
        return []
    rows = page_rows(posts, viewer=viewer)
    return [Post.of(post, rows.media, rows.authors.get(post.author), post.post_id in rows.liked) for post in posts]


def post_with_media(post: PostModel, *, viewer: str | None) -> Post:
    return posts_with_media([post], viewer=viewer)[0]


class Comment(ResponseBody):
    id: str
    post_id: str
    author: str
    content: str
    created_at: datetime
    edited_at: datetime | None

    @classmethod
    def of(cls, comment: InteractionModel) -> Comment:
        return cls(id=comment.sk.removeprefix(post_models.COMMENT), post_id=comment.post_id, author=comment.author,
                   content=comment.content or "", created_at=comment.created_at, edited_at=comment.edited_at)


class LikeState(ResponseBody):
    liked: bool
    likes_count: int
