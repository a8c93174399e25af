"""Mastodon's Status and MediaAttachment entities (docs.joinmastodon.org/entities/Status), built from posts,
comments and media records, a page at a time; and the answers made of them (Context, a status's edit history,
tags with their history, search results), here rather than in the route modules, which load this on first use.

Ids: a post's status id is its post id (a ULID: time-sortable, so Mastodon's ``max_id``/``min_id`` paging is a
key order). A comment is a Status too, a reply to its post: its id is ``<post id>-<comment id>`` (two ULIDs
joined by ``-``, a character no ULID holds), so ``/api/v1/statuses/{id}`` knows from the id alone whether it
names a post or a comment and finds either with one GetItem; its ``in_reply_to_id`` is the post's id. Comments
are not liked, boosted or replied to on this platform: their counts are 0.

Reads: ``render_statuses`` costs the reads of ``posts.views.page_rows`` whatever the page size (media, authors
and the viewer's likes, one batch each), exactly what ``/v1`` pays for the same page of posts.

Usage::

    render_statuses(page.posts, viewer="ada", base_url=call.base_url)   # [Status, ...]
    render_status(post, viewer=None, base_url=call.base_url)
    render_comments(post, comments, base_url=call.base_url)            # replies, oldest first
    status_html("hi @bob, see #news at https://x.org", ["bob"], base_url)
    split_status_id("01J...-01K...")                                    # ("01J...", "01K...")
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from chalicelib.core.lazy import lazy_module
from chalicelib.mastodon.entities import Account, Entity, account, iso
from chalicelib.posts.text import HASHTAG_PATTERN, MENTION_PATTERN, hashtags, mentions

if TYPE_CHECKING:
    from chalicelib.core import ids
    from chalicelib.media import views as media_views
    from chalicelib.media.models import MediaModel
    from chalicelib.posts import models as post_models
    from chalicelib.posts import views as post_views
    from chalicelib.posts.models import InteractionModel, PostModel
    from chalicelib.users import models as user_models
    from chalicelib.users.models import UserModel
else:
    ids = lazy_module("chalicelib.core.ids")
    media_views = lazy_module("chalicelib.media.views")
    post_models = lazy_module("chalicelib.posts.models")
    post_views = lazy_module("chalicelib.posts.views")
    user_models = lazy_module("chalicelib.users.models")

COMMENT_SEPARATOR = "-"
# A link as people write one: scheme, then anything up to a space or markup; trailing punctuation is prose.
_URL = re.compile(r"https?://[^\s<>\"]+", re.IGNORECASE)
_TRAILING = ".,;:!?)'\""


class MediaMeta(Entity):
    width: int
    height: int
    size: str
    aspect: float


class MediaAttachment(Entity):
    id: str
    type: str  # image | gifv | video | audio | unknown
    url: str | None  # None while processing (Mastodon's v2 upload answers 202 with url null)
    preview_url: str | None
    remote_url: str | None
    preview_remote_url: str | None
    text_url: str | None
    meta: dict[str, Any]
    description: str | None
    blurhash: str | None


class Mention(Entity):
    id: str
    username: str
    url: str
    acct: str


class Tag(Entity):
    name: str
    url: str


class TagHistory(Entity):
    day: str  # the day's start, UNIX seconds, as a string
    uses: str
    accounts: str


class HistoryTag(Tag):
    """A Tag as trends, search and ``/api/v1/tags/:name`` answer it: with its history."""

    OMIT_IF_NONE = frozenset({"following"})  # answered for a signed-in caller only

    history: list[TagHistory]
    following: bool | None = None


class Status(Entity):
    OMIT_IF_NONE = frozenset({"application"})  # Mastodon leaves it out rather than null

    id: str
    uri: str
    url: str
    created_at: str
    edited_at: str | None
    account: Account
    content: str
    visibility: str
    sensitive: bool
    spoiler_text: str
    media_attachments: list[MediaAttachment]
    application: dict[str, Any] | None
    mentions: list[Mention]
    tags: list[Tag]
    emojis: list[Any]
    reblogs_count: int
    favourites_count: int
    replies_count: int
    in_reply_to_id: str | None
    in_reply_to_account_id: str | None
    reblog: Status | None
    poll: dict[str, Any] | None
    card: dict[str, Any] | None
    language: str | None
    favourited: bool
    reblogged: bool
    muted: bool
    bookmarked: bool
    pinned: bool
    filtered: list[Any]


class DeletedStatus(Status):
    """What ``DELETE /api/v1/statuses/:id`` answers: the status with its source ``text`` (for delete-and-redraft)."""

    text: str


class StatusSource(Entity):
    id: str
    text: str
    spoiler_text: str


class Context(Entity):
    ancestors: list[Status]
    descendants: list[Status]


class StatusEditEntry(Entity):
    OMIT_IF_NONE = frozenset({"poll"})  # only an edit of a poll has one

    content: str
    spoiler_text: str
    sensitive: bool
    created_at: str
    account: Account
    poll: dict[str, Any] | None
    media_attachments: list[MediaAttachment]
    emojis: list[Any]


class SearchResults(Entity):
    """What ``/api/v2/search`` answers."""

    accounts: list[Account]
    statuses: list[Status]
    hashtags: list[HistoryTag]


# --- ids ---------------------------------------------------------------------------------------------------

def comment_status_id(post_id: str, comment_id: str) -> str:
    """The status id of a comment (see the module's docstring)."""
    return f"{post_id}{COMMENT_SEPARATOR}{comment_id}"


def split_status_id(status_id: str) -> tuple[str, str | None] | None:
    """``(post_id, None)`` for a post's id, ``(post_id, comment_id)`` for a comment's, None for anything else."""
    post_id, separator, comment_id = status_id.partition(COMMENT_SEPARATOR)
    if not ids.is_id(post_id):
        return None
    if not separator:
        return post_id, None
    return (post_id, comment_id) if ids.is_id(comment_id) else None


# --- content -----------------------------------------------------------------------------------------------

def _link(url: str) -> str:
    shown = html.escape(url)
    return f'<a href="{shown}" rel="nofollow noopener" target="_blank">{shown}</a>'


def _mention(name: str, base_url: str) -> str:
    return (f'<span class="h-card"><a href="{html.escape(base_url)}/@{name}" class="u-url mention">'
            f'@<span>{name}</span></a></span>')


def _hashtag(tag: str, base_url: str) -> str:
    return (f'<a href="{html.escape(base_url)}/tags/{tag.lower()}" class="mention hashtag" rel="tag">'
            f'#<span>{html.escape(tag)}</span></a>')


def _marked_up(line: str, known_mentions: set[str], base_url: str) -> str:
    """One paragraph's text escaped, with its links, known mentions and hashtags as Mastodon marks them up."""
    found: list[tuple[int, int, str]] = []
    for match in _URL.finditer(line):
        url = match.group(0).rstrip(_TRAILING)
        found.append((match.start(), match.start() + len(url), _link(url)))
    for match in MENTION_PATTERN.finditer(line):
        name = match.group(1).lower()
        if name in known_mentions:
            found.append((match.start(), match.end(), _mention(name, base_url)))
    for match in HASHTAG_PATTERN.finditer(line):
        if not match.group(1).isdigit():
            found.append((match.start(), match.end(), _hashtag(match.group(1), base_url)))
    out: list[str] = []
    position = 0
    for start, end, markup in sorted(found):
        if start < position:  # inside a link already (a #fragment, an @ in a path)
            continue
        out += [html.escape(line[position:start]), markup]
        position = end
    out.append(html.escape(line[position:]))
    return "".join(out)


def status_html(text: str, mentions: Iterable[str], base_url: str) -> str:
    """Plain text as Mastodon's status HTML: escaped, ``<p>`` per paragraph (blank line), ``<br>`` per line,
    links, hashtags and the mentions of ``mentions`` (usernames that exist) as links."""
    known = {name.lower() for name in mentions}
    paragraphs = [p.strip("\n") for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]
    return "".join("<p>" + "<br>".join(_marked_up(line, known, base_url) for line in p.split("\n")) + "</p>"
                   for p in paragraphs)


# --- media -------------------------------------------------------------------------------------------------

def _meta(variant: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not variant or not variant.get("width") or not variant.get("height"):
        return None
    width, height = int(variant["width"]), int(variant["height"])
    return MediaMeta(width=width, height=height, size=f"{width}x{height}",
                     aspect=round(width / height, 6)).model_dump()


def _attachment_type(media: MediaModel) -> str:
    if media.status == "failed":
        return "unknown"
    if media.kind == "video":
        return "video"
    return "image" if media.kind == "image" else "unknown"


def media_attachment(media: MediaModel) -> MediaAttachment:
    """The MediaAttachment of a media record: ``url`` null until processed; ``preview_url`` the small image
    (an image's ``small``, a video's ``poster``), ``meta.original``/``meta.small`` their sizes."""
    variants: dict[str, Any] = media.variants or {}
    original = variants.get("original")
    preview = variants.get("small") or variants.get("poster") or original
    ready = media.status == "ready" and original is not None
    meta: dict[str, Any] = {"focus": {"x": float(media.focus_x), "y": float(media.focus_y)}}
    if ready:
        for name, variant in (("original", original), ("small", preview)):
            sizes = _meta(variant)
            if sizes is not None:
                meta[name] = sizes
        if media.duration_ms is not None and "original" in meta:
            meta["original"]["duration"] = int(media.duration_ms) / 1000
    return MediaAttachment(
        id=media.media_id, type=_attachment_type(media),
        url=media_views.media_url(original["key"]) if ready and original else None,
        preview_url=media_views.media_url(preview["key"]) if ready and preview else None,
        remote_url=None, preview_remote_url=None, text_url=None, meta=meta, description=media.description,
        blurhash=media.blurhash)


# --- statuses ----------------------------------------------------------------------------------------------

def _account_of(username: str, users: Mapping[str, UserModel], fallback_time: Any, base_url: str) -> Account:
    """The author's Account; a profile gone meanwhile still shows as its username (no read for it)."""
    user = users.get(username)
    if user is None:
        user = user_models.UserModel(username, display_name=username, created_at=fallback_time, followers_count=0,
                                     following_count=0, posts_count=0)
    return account(user, base_url)


def _mentions(names: Iterable[str], base_url: str) -> list[Mention]:
    return [Mention(id=name, username=name, acct=name, url=f"{base_url}/@{name}")
            for name in names]


def _tags(tags: Iterable[str], base_url: str) -> list[Tag]:
    return [Tag(name=tag, url=f"{base_url}/tags/{tag}") for tag in tags]


def _status(status_id: str, author: Account, base_url: str, **fields: Any) -> Status:
    defaults: dict[str, Any] = {
        "visibility": "public", "sensitive": False, "spoiler_text": "", "application": None, "emojis": [],
        "reblogs_count": 0, "reblog": None, "poll": None, "card": None, "language": None, "reblogged": False,
        "muted": False, "bookmarked": False, "pinned": False, "filtered": [], "in_reply_to_id": None,
        "in_reply_to_account_id": None, "media_attachments": [], "favourited": False, "favourites_count": 0,
        "replies_count": 0}
    return Status(id=status_id, uri=f"{base_url}/users/{author.username}/statuses/{status_id}",
                  url=f"{base_url}/@{author.username}/{status_id}", account=author, **{**defaults, **fields})


def _post_status(post: PostModel, rows: post_views.PageRows, base_url: str) -> Status:
    named = list(post.mentions or [])
    return _status(
        post.post_id, _account_of(post.author, rows.authors, post.created_at, base_url), base_url,
        created_at=iso(post.created_at), edited_at=iso(post.edited_at) if post.edited_at else None,
        content=status_html(post.content, named, base_url),
        media_attachments=[media_attachment(rows.media[m]) for m in post.media_ids or [] if m in rows.media],
        mentions=_mentions(named, base_url), tags=_tags(post.hashtags or [], base_url),
        favourites_count=int(post.likes_count), replies_count=int(post.comments_count),
        favourited=post.post_id in rows.liked)


def render_statuses(posts: Sequence[PostModel], *, viewer: str | None, base_url: str) -> list[Status]:
    """A page of posts as Statuses, as ``viewer`` (None: nobody in particular) sees them, in the page's order.

    Three reads at most whatever the page's size (``posts.views.page_rows``): the media, the authors, the
    viewer's likes."""
    if not posts:
        return []
    rows = post_views.page_rows(posts, viewer=viewer)
    return [_post_status(post, rows, base_url) for post in posts]


def render_status(post: PostModel, *, viewer: str | None, base_url: str) -> Status:
    return render_statuses([post], viewer=viewer, base_url=base_url)[0]


def _comment_status(comment: InteractionModel, users: Mapping[str, UserModel], base_url: str) -> Status:
    content = comment.content or ""
    mentioned = [name for name in mentions(content) if name in users]
    return _status(
        comment_status_id(comment.post_id, comment.sk.removeprefix(post_models.COMMENT)),
        _account_of(comment.author, users, comment.created_at, base_url), base_url,
        created_at=iso(comment.created_at), edited_at=iso(comment.edited_at) if comment.edited_at else None,
        content=status_html(content, mentioned, base_url), mentions=_mentions(mentioned, base_url),
        tags=_tags(hashtags(content), base_url), in_reply_to_id=comment.post_id,
        in_reply_to_account_id=comment.post_author)


def render_comments(comments: Sequence[InteractionModel], *, base_url: str) -> list[Status]:
    """Comments as reply Statuses, in the given order: one read (their authors and the users they mention,
    one batch), none for an empty list."""
    if not comments:
        return []
    names = [c.author for c in comments] + [n for c in comments for n in mentions(c.content or "")]
    users = post_views.page_rows([], viewer=None, more_users=names).authors
    return [_comment_status(comment, users, base_url) for comment in comments]


def render_comment(comment: InteractionModel, *, base_url: str) -> Status:
    return render_comments([comment], base_url=base_url)[0]
