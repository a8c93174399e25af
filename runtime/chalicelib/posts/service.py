"""Posts, likes and comments: plain domain code over the tables.

Every counter changes in the same transaction as the row it counts, so
``likes_count`` is exactly the number of like rows whatever the concurrency;
one like per user and post is enforced by the key and a condition, never by
a read-then-write.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime

from pynamodb.attributes import NumberAttribute
from pynamodb.exceptions import UpdateError

from chalicelib.core import metric_names as m
from chalicelib.core.batches import get_many
from chalicelib.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from chalicelib.core.ids import is_id, new_id
from chalicelib.core.metrics import count
from chalicelib.core.pagination import inside, key_window, split_page
from chalicelib.core.tokens import Principal
from chalicelib.core.transactions import Cancelled, Delete, Operation, Put, Update, transact
from chalicelib.core.usertext import is_blank
from chalicelib.media.service import attach_updates, claim_for_post
from chalicelib.posts.models import COMMENT, LIKE, InteractionModel, PostModel
from chalicelib.posts.text import hashtags, mentions
from chalicelib.users.models import UserModel
from chalicelib.users.profiles import get_or_create_profile


def _now() -> datetime:
    return datetime.now(UTC)


def _checked_content(content: str) -> str:
    if is_blank(content):
        raise Unprocessable("validation_failed", "content must not be blank",
                            details=[{"field": "content", "problem": "must not be blank"}])
    return content


def _known_mentions(content: str) -> list[str]:
    """Mentions of users that exist; the others are ignored."""
    named = mentions(content)
    found = get_many(UserModel, named)
    return [name for name in named if name in found]


def _with_profile(principal: Principal, change: Callable[[], None], profile_index: int) -> None:
    """Run ``change``; if it failed only because the caller's profile is missing, create it and retry once."""
    try:
        change()
    except Cancelled as cancelled:
        if not cancelled.failed(profile_index):
            raise
        get_or_create_profile(principal.username, principal.user_id)
        change()


def create_post(principal: Principal, content: str, media_ids: list[str]) -> PostModel:
    """A new post; its media (at most 4 of the author's own, not failed) are attached in the same transaction."""
    content = _checked_content(content)
    media = claim_for_post(principal.username, media_ids)
    now = _now()
    post = PostModel(new_id(now), author=principal.username, content=content, media_ids=list(media_ids),
                     hashtags=hashtags(content), mentions=_known_mentions(content), likes_count=0,
                     comments_count=0, created_at=now)
    author = UserModel(principal.username)
    operations: list[Operation] = [
        Put(post, condition=PostModel.post_id.does_not_exist()),
        Update(author, [UserModel.posts_count.add(1)], condition=UserModel.username.exists()),
        *attach_updates(principal.username, media, f"post:{post.post_id}"),
    ]
    try:
        _with_profile(principal, lambda: transact(operations), profile_index=1)
    except Cancelled as cancelled:  # a media failed or was attached elsewhere since it was checked
        if any(cancelled.failed(2 + i) for i in range(len(media))):
            raise Unprocessable("invalid_media", "a media changed meanwhile: it failed or is attached already",
                                details=[{"field": "media_ids", "problem": "no longer attachable"}]) from cancelled
        raise
    count(m.POSTS_CREATED)
    return post


def get_post(post_id: str) -> PostModel:
    if not is_id(post_id):
        raise NotFound("post_not_found", "no such post")
    try:
        return PostModel.get(post_id, consistent_read=True)
    except PostModel.DoesNotExist:
        raise NotFound("post_not_found", "no such post") from None


def _own(post: PostModel, principal: Principal) -> PostModel:
    if post.author != principal.username:
        raise Forbidden("not_your_post", "only the author may change this post")
    return post


def edit_post(principal: Principal, post_id: str, content: str) -> PostModel:
    post = _own(get_post(post_id), principal)
    content = _checked_content(content)
    try:
        post.update(actions=[PostModel.content.set(content), PostModel.hashtags.set(hashtags(content)),
                             PostModel.mentions.set(_known_mentions(content)), PostModel.edited_at.set(_now())],
                    condition=PostModel.author == principal.username)
    except UpdateError as error:  # deleted between the read and the write
        if error.cause_response_code == "ConditionalCheckFailedException":
            raise NotFound("post_not_found", "no such post") from error
        raise
    return post


def delete_post(principal: Principal, post_id: str) -> None:
    post = _own(get_post(post_id), principal)
    try:
        transact([
            Delete(post, condition=PostModel.author == principal.username),
            Update(UserModel(principal.username), [UserModel.posts_count.add(-1)],
                   condition=UserModel.username.exists()),
        ])
    except Cancelled as cancelled:
        if cancelled.failed(0):
            raise NotFound("post_not_found", "no such post") from cancelled
        raise


def _with_post_counter(row: Operation, post_id: str, counter: NumberAttribute, delta: int) -> bool:
    """Change an interaction row and the post's counter together.

    Returns False, changing nothing, when the row's own condition failed (a like
    that exists already, an unlike of nothing); a post that is gone is a 404.
    """
    try:
        transact([row, Update(PostModel(post_id), [counter.add(delta)], condition=PostModel.post_id.exists())])
        return True
    except Cancelled as cancelled:
        if cancelled.failed(1):
            raise NotFound("post_not_found", "no such post") from cancelled
        if cancelled.failed(0):
            return False
        raise


def like(principal: Principal, post_id: str) -> int:
    """Like a post (again is fine); returns its likes count."""
    post = get_post(post_id)
    row = InteractionModel(post_id, f"{LIKE}{principal.username}", author=principal.username,
                           post_author=post.author, created_at=_now())
    if _with_post_counter(Put(row, condition=InteractionModel.sk.does_not_exist()), post_id, PostModel.likes_count, 1):
        count(m.LIKES_ADDED)
    return int(get_post(post_id).likes_count)


def unlike(principal: Principal, post_id: str) -> int:
    """Take a like back (no like is fine); returns the likes count."""
    get_post(post_id)
    row = InteractionModel(post_id, f"{LIKE}{principal.username}")
    _with_post_counter(Delete(row, condition=InteractionModel.sk.exists()), post_id, PostModel.likes_count, -1)
    return int(get_post(post_id).likes_count)


def add_comment(principal: Principal, post_id: str, content: str) -> InteractionModel:
    post = get_post(post_id)
    now = _now()
    comment = InteractionModel(post_id, f"{COMMENT}{new_id(now)}", author=principal.username,
                               post_author=post.author, content=_checked_content(content), created_at=now)
    # A fresh id cannot exist already, so the row's condition only guards against a clash.
    if not _with_post_counter(Put(comment, condition=InteractionModel.sk.does_not_exist()), post_id,
                              PostModel.comments_count, 1):
        raise Conflict("comment_id_clash", "try again")
    count(m.COMMENTS_ADDED)
    return comment


def get_comment(post_id: str, comment_id: str) -> InteractionModel:
    if not is_id(post_id) or not is_id(comment_id):
        raise NotFound("comment_not_found", "no such comment")
    try:
        return InteractionModel.get(post_id, f"{COMMENT}{comment_id}", consistent_read=True)
    except InteractionModel.DoesNotExist:
        raise NotFound("comment_not_found", "no such comment") from None


def _own_comment(comment: InteractionModel, principal: Principal) -> InteractionModel:
    if comment.author != principal.username:
        raise Forbidden("not_your_comment", "only the author may change this comment")
    return comment


def edit_comment(principal: Principal, post_id: str, comment_id: str, content: str) -> InteractionModel:
    comment = _own_comment(get_comment(post_id, comment_id), principal)
    content = _checked_content(content)
    try:
        comment.update(actions=[InteractionModel.content.set(content), InteractionModel.edited_at.set(_now())],
                       condition=InteractionModel.author == principal.username)
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            raise NotFound("comment_not_found", "no such comment") from error
        raise
    return comment


def delete_comment(principal: Principal, post_id: str, comment_id: str) -> None:
    comment = _own_comment(get_comment(post_id, comment_id), principal)
    try:
        transact([
            Delete(comment, condition=InteractionModel.author == principal.username),
            Update(PostModel(post_id), [PostModel.comments_count.add(-1)],
                   condition=PostModel.post_id.exists()),
        ])
    except Cancelled as cancelled:
        if cancelled.failed(0):
            raise NotFound("comment_not_found", "no such comment") from cancelled
        if not cancelled.failed(1):  # the post went first: its cleanup removes the comment
            raise


def list_comments(post_id: str, limit: int, after: str | None) -> tuple[list[InteractionModel], str | None]:
    """Comments oldest first (a conversation reads top down); returns the page and the last id."""
    get_post(post_id)
    lower = f"{COMMENT}{after}~" if after else COMMENT  # '~' sorts after every id character
    fetched = list(InteractionModel.query(post_id, InteractionModel.sk.between(lower, f"{COMMENT}~"), limit=limit + 1))
    page, last = split_page(fetched, limit)
    return page, last.sk.removeprefix(COMMENT) if last else None


def posts_by(author: str, limit: int, before: str | None, *, after: str | None = None,
             oldest_first: bool = False) -> tuple[list[PostModel], str | None]:
    """An author's posts, newest first (``oldest_first``: the other way), strictly between ``after`` and
    ``before`` when given; and the page's last id when more follow in that order."""
    rows = PostModel.by_author.query(author, key_window(PostModel.post_id, before, after),
                                     scan_index_forward=oldest_first, limit=limit + 3)
    fetched = list(itertools.islice((p for p in rows if inside(p.post_id, before, after)), limit + 1))
    page, last = split_page(fetched, limit)
    return page, last.post_id if last else None


def likers(post_id: str, limit: int, after: str | None) -> tuple[list[str], str | None]:
    """Who liked a post, by username (the like rows' key order); the page and the last username if more follow."""
    get_post(post_id)
    # 'like#' rows sort after 'comment#' ones and nothing sorts after them: "greater than" stays among likes.
    condition = InteractionModel.sk > f"{LIKE}{after}" if after else InteractionModel.sk.startswith(LIKE)
    fetched = list(InteractionModel.query(post_id, condition, limit=limit + 1))
    page, last = split_page(fetched, limit)
    return [row.author for row in page], last.author if last else None
