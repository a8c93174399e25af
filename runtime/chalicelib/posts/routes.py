"""Posts, likes and comments routes: parse, call the domain, shape the answer."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.core.declarations import uses
from chalicelib.core.lazy import lazy_module
from chalicelib.core.pagination import Page, next_cursor
from chalicelib.core.routes import Call, Reply, Router
from chalicelib.posts.views import Comment, LikeState, NewComment, NewPost, Post, PostEdit, post_with_media
from chalicelib.resources import IDEMPOTENCY, INTERACTIONS, MEDIA, POSTS, USERS

if TYPE_CHECKING:
    from chalicelib.posts import service
else:
    service = lazy_module("chalicelib.posts.service")

router = Router(__name__, tag="posts")


@router.route("/posts", "POST", body=NewPost, response=Post, status=201, idempotent=True)
@uses(POSTS.read_write(), USERS.read_write(), IDEMPOTENCY.read_write(), MEDIA.read_write(), INTERACTIONS.read())
def create_post(call: Call[NewPost]) -> Post:
    """Publish a post with up to 4 of your media (pending ones too); hashtags and mentions are parsed."""
    post = service.create_post(call.principal, call.body.content, call.body.media_ids)
    return post_with_media(post, viewer=call.principal.username)


@router.route("/posts/{post_id}", "GET", response=Post, errors=(404,))
@uses(POSTS.read(), MEDIA.read(), USERS.read(), INTERACTIONS.read())
def read_post(call: Call[None], post_id: str) -> Post:
    """One post."""
    return post_with_media(service.get_post(post_id), viewer=call.principal.username)


@router.route("/posts/{post_id}", "PATCH", body=PostEdit, response=Post, errors=(403, 404))
@uses(POSTS.read_write(), USERS.read(), MEDIA.read(), INTERACTIONS.read())
def edit_post(call: Call[PostEdit], post_id: str) -> Post:
    """Change a post's content: its author only."""
    return post_with_media(service.edit_post(call.principal, post_id, call.body.content),
                           viewer=call.principal.username)


@router.route("/posts/{post_id}", "DELETE", status=204, errors=(403, 404))
@uses(POSTS.read_write(), USERS.read_write())
def delete_post(call: Call[None], post_id: str) -> Reply:
    """Delete a post: its author only. It leaves feeds, and its likes and comments go with it."""
    service.delete_post(call.principal, post_id)
    return Reply(None, status=204)


@router.route("/posts/{post_id}/like", "PUT", response=LikeState, errors=(404,))
@uses(POSTS.read_write(), INTERACTIONS.read_write())
def like(call: Call[None], post_id: str) -> LikeState:
    """Like a post; liking again changes nothing."""
    return LikeState(liked=True, likes_count=service.like(call.principal, post_id))


@router.route("/posts/{post_id}/like", "DELETE", response=LikeState, errors=(404,))
@uses(POSTS.read_write(), INTERACTIONS.read_write())
def unlike(call: Call[None], post_id: str) -> LikeState:
    """Take a like back; doing it again changes nothing."""
    return LikeState(liked=False, likes_count=service.unlike(call.principal, post_id))


@router.route("/posts/{post_id}/comments", "GET", response=Page[Comment], errors=(404,))
@uses(POSTS.read(), INTERACTIONS.read())
def list_comments(call: Call[None], post_id: str) -> Page[Comment]:
    """A post's comments, oldest first."""
    scope = f"comments:{post_id}"
    limit, position = call.page_request(scope)
    page, last = service.list_comments(post_id, limit, position.get("after"))
    return Page[Comment](items=[Comment.of(c) for c in page],
                         next_cursor=next_cursor(scope, {"after": last} if last else None))


@router.route("/posts/{post_id}/comments", "POST", body=NewComment, response=Comment, status=201, errors=(404,),
              idempotent=True)
@uses(POSTS.read_write(), INTERACTIONS.read_write(), IDEMPOTENCY.read_write())
def add_comment(call: Call[NewComment], post_id: str) -> Comment:
    """Comment on a post."""
    return Comment.of(service.add_comment(call.principal, post_id, call.body.content))


@router.route("/posts/{post_id}/comments/{comment_id}", "PATCH", body=NewComment, response=Comment,
              errors=(403, 404))
@uses(INTERACTIONS.read_write())
def edit_comment(call: Call[NewComment], post_id: str, comment_id: str) -> Comment:
    """Change a comment: its author only."""
    return Comment.of(service.edit_comment(call.principal, post_id, comment_id, call.body.content))


@router.route("/posts/{post_id}/comments/{comment_id}", "DELETE", status=204, errors=(403, 404))
@uses(POSTS.read_write(), INTERACTIONS.read_write())
def delete_comment(call: Call[None], post_id: str, comment_id: str) -> Reply:
    """Delete a comment: its author only."""
    service.delete_comment(call.principal, post_id, comment_id)
    return Reply(None, status=204)
