"""``/api/v1/statuses``: post, read, edit, delete, favourite; a status's context, source and history.

Statuses are the platform's posts and comments (``chalicelib.mastodon.statuses`` explains the ids); every rule
is the ``/v1`` domain's (``posts.service``): a comment is made by posting with ``in_reply_to_id``, a favourite
is a like (coins and notifications follow from its event, as for ``/v1``).

Choices where the platform lacks Mastodon's feature (answered as a server with it switched off would):

- visibility: only ``public`` (and no visibility at all). Anything else is a 422 ``Visibility <v> is not
  supported``: quietly publishing a status its author meant to keep private would be the worse failure.
- ``sensitive`` and ``spoiler_text`` are accepted and not kept (answers show ``false`` and ``""``); ``poll``
  and ``scheduled_at`` are a 422; ``language`` is ignored.
- a reply to a comment becomes a comment on its post (threads are one level deep here).
- boosts, bookmarks, pins and mutes: doing one is a 403 ``This action is not allowed`` (Mastodon's words when a
  policy refuses); undoing one answers the status unchanged; ``reblogged_by`` is always empty; ``history`` is
  the current version (earlier ones are not kept).
- comments cannot be liked: favouriting one is a 422.
- someone else's status, for DELETE and PUT, is a 404 as in Mastodon (which finds it among the caller's own).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import Field, ValidationError

from chalicelib.core.declarations import uses
from chalicelib.core.lazy import lazy_module
from chalicelib.core.routes import Reply
from chalicelib.mastodon.errors import MastodonError, unprocessable
from chalicelib.mastodon.paging import ACCOUNT_LIST_LIMIT, ACCOUNT_LIST_MAX, PageParams
from chalicelib.mastodon.params import Params
from chalicelib.mastodon.routing import MastodonCall, MastodonRouter, link_header
from chalicelib.resources import IDEMPOTENCY, INTERACTIONS, MEDIA, POSTS, USERS

if TYPE_CHECKING:
    from chalicelib.core import batches, ids
    from chalicelib.mastodon import entities, statuses
    from chalicelib.mastodon.statuses import Context, DeletedStatus, Status, StatusEditEntry, StatusSource
    from chalicelib.media import models as media_models
    from chalicelib.posts import models as post_models
    from chalicelib.posts import service
    from chalicelib.posts import views as post_views
    from chalicelib.posts.models import InteractionModel, PostModel
    from chalicelib.users import models as user_models
else:
    batches = lazy_module("chalicelib.core.batches")
    entities = lazy_module("chalicelib.mastodon.entities")
    statuses = lazy_module("chalicelib.mastodon.statuses")
    ids = lazy_module("chalicelib.core.ids")
    media_models = lazy_module("chalicelib.media.models")
    post_models = lazy_module("chalicelib.posts.models")
    post_views = lazy_module("chalicelib.posts.views")
    service = lazy_module("chalicelib.posts.service")
    user_models = lazy_module("chalicelib.users.models")

router = MastodonRouter(__name__)

MAX_MEDIA = 4
CONTEXT_LIMIT = 100  # descendants shown (Mastodon caps a context too); comments are paged on /v1
NOT_ALLOWED = "This action is not allowed"


class NewStatus(Params):
    status: str | None = None
    media_ids: list[str] = Field(default_factory=list)
    in_reply_to_id: str | None = None
    sensitive: bool = False
    spoiler_text: str | None = None
    visibility: str | None = None
    language: str | None = None
    poll: Any = None
    scheduled_at: str | None = None


class StatusEdit(Params):
    status: str | None = None
    media_ids: list[str] | None = None
    sensitive: bool = False
    spoiler_text: str | None = None
    language: str | None = None
    poll: Any = None


# --- helpers -----------------------------------------------------------------------------------------------

def _viewer(call: MastodonCall[Any]) -> str | None:
    principal = call.principal_or_none
    return principal.username if principal is not None else None


def _ids(status_id: str) -> tuple[str, str | None]:
    found = statuses.split_status_id(status_id)
    if found is None:
        raise MastodonError(404)
    return found


def _checked_text(text: str | None) -> str:
    """The status's text by the /v1 rules (``posts.views.NewPost``), refused in Mastodon's words."""
    text = text or ""
    if len(text) > post_views.MAX_CONTENT:
        raise unprocessable(f"Text character limit of {post_views.MAX_CONTENT} exceeded")
    if not text.strip():
        raise unprocessable("Text can't be blank")
    try:
        post_views.NewPost.model_validate({"content": text})
    except ValidationError as error:
        raise unprocessable(f"Text {error.errors(include_url=False)[0]['msg'].lower()}") from error
    return text


def _check_options(visibility: str | None, poll: Any, scheduled_at: str | None = None) -> None:
    if visibility not in (None, "", "public"):
        raise unprocessable(f"Visibility {visibility} is not supported")
    if poll:
        raise unprocessable("Polls are not supported")
    if scheduled_at:
        raise unprocessable("Scheduled statuses are not supported")


def _check_media(media_ids: list[str]) -> None:
    """Mastodon's limits: four files, or one video alone (its own message, as a plain 422 error)."""
    if len(media_ids) > MAX_MEDIA:
        raise MastodonError(422, f"Cannot attach more than {MAX_MEDIA} files")
    if len(media_ids) > 1:
        found = batches.get_many(media_models.MediaModel, [m for m in media_ids if ids.is_id(m)])
        if any(media.kind == "video" for media in found.values()):
            raise MastodonError(422, "Cannot attach a video to a post that already contains images")


def _mine_or_404(call: MastodonCall[Any], status_id: str) -> tuple[PostModel | None, InteractionModel | None]:
    """The caller's own post or comment that ``status_id`` names; someone else's is a 404, as Mastodon."""
    post_id, comment_id = _ids(status_id)
    me = call.principal.username
    if comment_id is None:
        post = service.get_post(post_id)
        if post.author != me:
            raise MastodonError(404)
        return post, None
    comment = service.get_comment(post_id, comment_id)
    if comment.author != me:
        raise MastodonError(404)
    return None, comment


def _status_of(call: MastodonCall[Any], status_id: str) -> Status:
    post_id, comment_id = _ids(status_id)
    if comment_id is not None:
        return statuses.render_comment(service.get_comment(post_id, comment_id), base_url=call.base_url)
    return statuses.render_status(service.get_post(post_id), viewer=_viewer(call), base_url=call.base_url)


def _post_only(status_id: str) -> str:
    post_id, comment_id = _ids(status_id)
    if comment_id is not None:
        service.get_comment(post_id, comment_id)  # an unknown one is a 404 still
        raise unprocessable("comments cannot be favourited")
    return post_id


# --- routes ------------------------------------------------------------------------------------------------

@router.route("/api/v1/statuses", "POST", scope="write:statuses", params=NewStatus, idempotent=True)
@uses(POSTS.read_write(), USERS.read_write(), IDEMPOTENCY.read_write(), MEDIA.read_write(),
      INTERACTIONS.read_write())
def create_status(call: MastodonCall[NewStatus]) -> Status:
    """Post a status (a post), or a reply (a comment on the post ``in_reply_to_id`` names)."""
    params = call.params
    _check_options(params.visibility, params.poll, params.scheduled_at)
    _check_media(params.media_ids)
    text = _checked_text(params.status)
    if params.in_reply_to_id:
        post_id, _ = _ids(params.in_reply_to_id)
        if params.media_ids:
            raise unprocessable("replies cannot carry media here")
        return statuses.render_comment(service.add_comment(call.principal, post_id, text), base_url=call.base_url)
    post = service.create_post(call.principal, text, list(params.media_ids))
    return statuses.render_status(post, viewer=call.principal.username, base_url=call.base_url)


@router.route("/api/v1/statuses/{id}", "GET", scope="read:statuses", optional=True)
@uses(POSTS.read(), MEDIA.read(), USERS.read(), INTERACTIONS.read())
def read_status(call: MastodonCall[Any], id: str) -> Status:
    """One status: anyone may read it (every status is public); with a token, ``favourited`` is the caller's."""
    return _status_of(call, id)


@router.route("/api/v1/statuses/{id}", "PUT", scope="write:statuses", params=StatusEdit)
@uses(POSTS.read_write(), MEDIA.read(), USERS.read(), INTERACTIONS.read_write())
def edit_status(call: MastodonCall[StatusEdit], id: str) -> Status:
    """Change a status's text: its author only (someone else's is a 404). Media cannot change here."""
    params = call.params
    _check_options(None, params.poll)
    text = _checked_text(params.status)
    post, comment = _mine_or_404(call, id)
    if comment is not None:
        edited = service.edit_comment(call.principal, comment.post_id, comment.sk.removeprefix(post_models.COMMENT),
                                      text)
        return statuses.render_comment(edited, base_url=call.base_url)
    assert post is not None
    if params.media_ids is not None and list(params.media_ids) != list(post.media_ids or []):
        raise unprocessable("a status's media cannot change once posted")
    return statuses.render_status(service.edit_post(call.principal, post.post_id, text),
                                  viewer=call.principal.username, base_url=call.base_url)


@router.route("/api/v1/statuses/{id}", "DELETE", scope="write:statuses")
@uses(POSTS.read_write(), MEDIA.read(), USERS.read_write(), INTERACTIONS.read_write())
def delete_status(call: MastodonCall[Any], id: str) -> DeletedStatus:
    """Delete a status: its author only (someone else's is a 404); answers it with its ``text`` (delete and
    redraft)."""
    post, comment = _mine_or_404(call, id)
    if comment is not None:
        shown = statuses.render_comment(comment, base_url=call.base_url)
        service.delete_comment(call.principal, comment.post_id, comment.sk.removeprefix(post_models.COMMENT))
        return statuses.DeletedStatus(**shown.model_dump(), text=comment.content or "")
    assert post is not None
    shown = statuses.render_status(post, viewer=call.principal.username, base_url=call.base_url)
    service.delete_post(call.principal, post.post_id)
    return statuses.DeletedStatus(**shown.model_dump(), text=post.content)


@router.route("/api/v1/statuses/{id}/context", "GET", scope="read:statuses", optional=True)
@uses(POSTS.read(), MEDIA.read(), USERS.read(), INTERACTIONS.read())
def context(call: MastodonCall[Any], id: str) -> Context:
    """A post's comments as descendants (oldest first); a comment's post as its ancestor."""
    post_id, comment_id = _ids(id)
    if comment_id is not None:
        service.get_comment(post_id, comment_id)
        parent = statuses.render_status(service.get_post(post_id), viewer=_viewer(call), base_url=call.base_url)
        return statuses.Context(ancestors=[parent], descendants=[])
    comments, _ = service.list_comments(post_id, CONTEXT_LIMIT, None)
    return statuses.Context(ancestors=[], descendants=statuses.render_comments(comments, base_url=call.base_url))


@router.route("/api/v1/statuses/{id}/favourite", "POST", scope="write:favourites")
@uses(POSTS.read_write(), INTERACTIONS.read_write(), MEDIA.read(), USERS.read())
def favourite(call: MastodonCall[Any], id: str) -> Status:
    """Like the post (again is fine)."""
    service.like(call.principal, _post_only(id))
    return _status_of(call, id)


@router.route("/api/v1/statuses/{id}/unfavourite", "POST", scope="write:favourites")
@uses(POSTS.read_write(), INTERACTIONS.read_write(), MEDIA.read(), USERS.read())
def unfavourite(call: MastodonCall[Any], id: str) -> Status:
    """Take the like back (none is fine)."""
    service.unlike(call.principal, _post_only(id))
    return _status_of(call, id)


@router.route("/api/v1/statuses/{id}/favourited_by", "GET", scope="read:accounts", optional=True,
              params=PageParams)
@uses(POSTS.read(), INTERACTIONS.read(), USERS.read())
def favourited_by(call: MastodonCall[PageParams], id: str) -> Reply:
    """Who liked the post, in username order; ``max_id`` is the last username of the page before (the Link
    header's)."""
    post_id, comment_id = _ids(id)
    if comment_id is not None:
        service.get_comment(post_id, comment_id)
        return Reply([])
    names, last = service.likers(post_id, call.params.clamped(default=ACCOUNT_LIST_LIMIT, maximum=ACCOUNT_LIST_MAX),
                                 call.params.max_id)
    users = batches.get_many(user_models.UserModel, names)
    accounts = [entities.account(users[name], call.base_url) for name in names if name in users]
    return Reply(accounts, headers=link_header(call, next_max_id=last, prev_min_id=None))


@router.route("/api/v1/statuses/{id}/source", "GET", scope="read:statuses")
@uses(POSTS.read(), INTERACTIONS.read())
def source(call: MastodonCall[Any], id: str) -> StatusSource:
    """The status's plain text, for editing."""
    post_id, comment_id = _ids(id)
    if comment_id is not None:
        text = service.get_comment(post_id, comment_id).content or ""
        return statuses.StatusSource(id=id, text=text, spoiler_text="")
    return statuses.StatusSource(id=id, text=service.get_post(post_id).content, spoiler_text="")


@router.route("/api/v1/statuses/{id}/history", "GET", scope="read:statuses", optional=True)
@uses(POSTS.read(), MEDIA.read(), USERS.read(), INTERACTIONS.read())
def history(call: MastodonCall[Any], id: str) -> list[StatusEditEntry]:
    """The current version only: earlier versions are not kept."""
    shown = _status_of(call, id)
    return [statuses.StatusEditEntry(content=shown.content, spoiler_text="", sensitive=False,
                                     created_at=shown.edited_at or shown.created_at, account=shown.account, poll=None,
                                     media_attachments=shown.media_attachments, emojis=[])]


@router.route("/api/v1/statuses/{id}/reblogged_by", "GET", scope="read:accounts", optional=True)
@uses(POSTS.read(), INTERACTIONS.read())
def reblogged_by(call: MastodonCall[Any], id: str) -> list[Any]:
    """Nobody: there are no boosts here (an unknown status is still a 404)."""
    _status_exists(id)
    return []


def _status_exists(status_id: str) -> None:
    post_id, comment_id = _ids(status_id)
    if comment_id is None:
        service.get_post(post_id)
    else:
        service.get_comment(post_id, comment_id)


def _refusing(action: str) -> Any:
    def refused(call: MastodonCall[Any], id: str) -> Status:
        _status_exists(id)
        raise MastodonError(403, NOT_ALLOWED)

    refused.__name__ = f"refused_{action}"  # one view function per route
    refused.__doc__ = f"No {action}s here: {NOT_ALLOWED!r} (403), as when Mastodon's policy refuses."
    return refused


def _unchanged(action: str) -> Any:
    def unchanged(call: MastodonCall[Any], id: str) -> Status:
        return _status_of(call, id)

    unchanged.__name__ = f"un{action}"
    unchanged.__doc__ = f"Nothing to undo (no {action}s here): the status as it is."
    return unchanged


for _action, _scope in (("reblog", "write:statuses"), ("bookmark", "write:bookmarks"), ("pin", "write:accounts"),
                        ("mute", "write:mutes")):
    router.route(f"/api/v1/statuses/{{id}}/{_action}", "POST", scope=_scope)(
        uses(POSTS.read(), INTERACTIONS.read())(_refusing(_action)))
    router.route(f"/api/v1/statuses/{{id}}/un{_action}", "POST", scope=_scope)(
        uses(POSTS.read(), INTERACTIONS.read(), MEDIA.read(), USERS.read())(_unchanged(_action)))
