"""``/api/v1/timelines``: home, a hashtag's, and the public one, paged as Mastodon pages.

Paging (docs.joinmastodon.org/api/guidelines/#pagination): newest first; ``max_id`` = older than that id;
``since_id`` = newer than it, the newest first; ``min_id`` = the page just newer than it (the items
right after it, returned newest first). The ``Link`` header's ``next`` is ``max_id`` of the page's last item
(given only when more may follow), ``prev`` is ``min_id`` of its first (given when the page has items).

The home timeline is ``/v1/feed``'s reader (``feed.reader``) with the same batched rendering, so a page costs
the same DynamoDB calls as ``/v1/feed`` plus the token's UpdateItem, which stands for ``/v1``'s admission.
``/v1``'s later pages carry the celebrities the reader follows in their cursor; Mastodon's ``max_id`` carries
nothing, so this face remembers them per reader for a minute from the page that read them (the first page,
or one GetItem of the STARS row when a later page comes first): a celebrity followed in that minute shows from
the next first page on, and later pages cost what ``/v1``'s do.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from chalicelib.core.declarations import uses
from chalicelib.core.lazy import lazy_module
from chalicelib.core.routes import Reply
from chalicelib.mastodon.errors import MastodonError
from chalicelib.mastodon.routing import MastodonCall, MastodonRouter, link_header
from chalicelib.mastodon.statuses import Status, render_statuses
from chalicelib.resources import INTERACTIONS, MEDIA, POSTS, SEARCH, TIMELINE, USERS

if TYPE_CHECKING:
    from chalicelib import flags
    from chalicelib.core import ids
    from chalicelib.feed import reader as feeds
    from chalicelib.feed.reader import FeedPage
    from chalicelib.posts.models import PostModel
    from chalicelib.search import service as search
else:
    flags = lazy_module("chalicelib.flags")
    ids = lazy_module("chalicelib.core.ids")
    feeds = lazy_module("chalicelib.feed.reader")
    search = lazy_module("chalicelib.search.service")

router = MastodonRouter(__name__)

STARS_SECONDS = 60.0
_STARS_KEPT = 10_000
_stars: dict[str, tuple[float, list[str]]] = {}  # reader -> (when read, the celebrities followed)


class TimelineParams(BaseModel):
    limit: int = Field(20, ge=1, le=40)
    max_id: str | None = None
    since_id: str | None = None
    min_id: str | None = None
    local: bool = False
    remote: bool = False
    only_media: bool = False


def _id_or_none(raw: str | None) -> str | None:
    """A paging id: a ULID; anything else (an old client's number, a typo) bounds nothing, as Mastodon ignores
    an id it does not know."""
    if raw is None:
        return None
    post_id = raw.partition("-")[0]  # a comment's status id pages as its post
    return post_id if ids.is_id(post_id) else None


def _remembered_stars(reader: str) -> list[str]:
    seen = _stars.get(reader)
    if seen is not None and time.monotonic() - seen[0] < STARS_SECONDS:
        return seen[1]
    return _remember(reader, feeds.stars_of(reader))


def _remember(reader: str, stars: list[str]) -> list[str]:
    if len(_stars) >= _STARS_KEPT:
        _stars.clear()
    _stars[reader] = (time.monotonic(), stars)
    return stars


def _home_page(reader: str, params: TimelineParams) -> tuple[list[PostModel], bool]:
    """The page's posts newest first, and whether older ones may follow."""
    max_id, since_id, min_id = (_id_or_none(params.max_id), _id_or_none(params.since_id),
                                _id_or_none(params.min_id))
    page: FeedPage
    if min_id is not None and max_id is None:
        page = feeds.feed_page_after(reader, params.limit, min_id, _remembered_stars(reader))
        return page.posts, bool(page.posts)
    if max_id is None:
        page = feeds.feed_page(reader, params.limit, None, None)
        _remember(reader, page.stars)
    else:
        page = feeds.feed_page(reader, params.limit, max_id, _remembered_stars(reader))
    lower = since_id or min_id
    posts = [post for post in page.posts if lower is None or post.post_id > lower]
    return posts, page.last is not None and len(posts) == len(page.posts)


def _answer(call: MastodonCall[TimelineParams], statuses: list[Status], more: bool) -> Reply:
    return Reply(statuses, headers=link_header(
        call, next_max_id=statuses[-1].id if statuses and more else None,
        prev_min_id=statuses[0].id if statuses else None))


@router.route("/api/v1/timelines/home", "GET", scope="read:statuses", params=TimelineParams)
@uses(TIMELINE.read(), POSTS.read(), MEDIA.read(), USERS.read(), INTERACTIONS.read())
def home(call: MastodonCall[TimelineParams]) -> Reply:
    """Statuses of the accounts you follow and your own, newest first."""
    reader = call.principal.username
    posts, more = _home_page(reader, call.params)
    return _answer(call, render_statuses(posts, viewer=reader, base_url=call.base_url), more)


@router.route("/api/v1/timelines/tag/{hashtag}", "GET", scope="read:statuses", optional=True,
              params=TimelineParams)
@uses(SEARCH.search(), POSTS.read(), MEDIA.read(), USERS.read(), INTERACTIONS.read())
def tag(call: MastodonCall[TimelineParams], hashtag: str) -> Reply:
    """A hashtag's statuses, newest first (the search index's tag timeline, as ``/v1/tags/{tag}/posts``).

    The index pages older only: ``since_id``/``min_id`` filter the newest page (newer ones, newest first)."""
    principal = call.principal_or_none
    if principal is not None and not flags.enabled(flags.SEARCH, principal.username, principal.groups):
        raise MastodonError(403, "This action is not allowed")
    if call.params.only_media or call.params.remote:
        return _answer(call, [], False)
    name = search.checked_tag(hashtag)
    params = call.params
    posts, last = search.tag_posts(name, params.limit, _id_or_none(params.max_id))
    lower = _id_or_none(params.since_id) or _id_or_none(params.min_id)
    kept = [post for post in posts if lower is None or post.post_id > lower]
    viewer = principal.username if principal is not None else None
    return _answer(call, render_statuses(kept, viewer=viewer, base_url=call.base_url),
                   last is not None and len(kept) == len(posts))


@router.route("/api/v1/timelines/public", "GET", scope="read:statuses", optional=True, params=TimelineParams)
def public(call: MastodonCall[TimelineParams]) -> list[Any]:
    """Empty: the platform keeps no timeline of every post (no table or index orders all posts by time, and
    scanning the posts table per request would cost what the home timeline is built to avoid)."""
    return []
