"""``/api/v1/timelines``: home, a hashtag's, and the public one, paged as Mastodon pages.

Paging (docs.joinmastodon.org/api/guidelines/#pagination) is ``mastodon.paging``'s, as every Mastodon list here:
newest first; ``max_id`` = older than that id; ``since_id`` = newer than it, the newest first; ``min_id`` = the
page just newer than it; ``limit`` clamped to 1..40. An id that is no post id bounds nothing.

The home timeline is ``/v1/feed``'s reader (``feed.reader``) with the same batched rendering, so a page costs
the same DynamoDB calls as ``/v1/feed`` (the token's UpdateItem comes once per ``oauth.SYNC_EVERY`` requests).
``/v1``'s later pages carry the celebrities the reader follows in their cursor; Mastodon's ``max_id`` carries
nothing, so this face remembers them per reader for a minute from the page that read them (the first page,
or one GetItem of the STARS row when a later page comes first): a celebrity followed in that minute shows from
the next first page on, and later pages cost what ``/v1``'s do.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from chalicelib.core.declarations import uses
from chalicelib.core.lazy import lazy_module
from chalicelib.core.routes import Reply
from chalicelib.mastodon.errors import MastodonError
from chalicelib.mastodon.paging import PageParams, Window, window_links
from chalicelib.mastodon.routing import MastodonCall, MastodonRouter
from chalicelib.resources import INTERACTIONS, MEDIA, POSTS, SEARCH, TIMELINE, USERS

if TYPE_CHECKING:
    from chalicelib import flags
    from chalicelib.feed import reader as feeds
    from chalicelib.feed.reader import FeedPage
    from chalicelib.mastodon import statuses
    from chalicelib.mastodon.statuses import Status
    from chalicelib.posts.models import PostModel
    from chalicelib.search import service as search
else:
    flags = lazy_module("chalicelib.flags")
    statuses = lazy_module("chalicelib.mastodon.statuses")
    feeds = lazy_module("chalicelib.feed.reader")
    search = lazy_module("chalicelib.search.service")

router = MastodonRouter(__name__)

STARS_SECONDS = 60.0
_STARS_KEPT = 10_000
_stars: dict[str, tuple[float, list[str]]] = {}  # reader -> (when read, the celebrities followed)


class TimelineParams(PageParams):
    local: bool = False
    remote: bool = False
    only_media: bool = False


TIMELINE_LIMIT, TIMELINE_MAX = 20, 40  # Mastodon's default and maximum for timelines


def _id_or_none(raw: str) -> str | None:
    """A paging id: a status id's post (a comment's pages as its post); anything else (an old client's number, a
    typo) bounds nothing, as Mastodon ignores an id it does not know."""
    found = statuses.split_status_id(raw)
    return found[0] if found is not None else None


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


def _home_page(reader: str, limit: int, window: Window) -> tuple[list[PostModel], bool]:
    """The page's posts newest first, and whether older ones may follow."""
    page: FeedPage
    if window.oldest_first and window.after is not None and window.before is None:
        page = feeds.feed_page_after(reader, limit, window.after, _remembered_stars(reader))
        return page.posts, bool(page.posts)
    if window.before is None:
        page = feeds.feed_page(reader, limit, None, None)
        _remember(reader, page.stars)
    else:
        page = feeds.feed_page(reader, limit, window.before, _remembered_stars(reader))
    posts = [post for post in page.posts if window.after is None or post.post_id > window.after]
    return posts, page.last is not None and len(posts) == len(page.posts)


def _answer(call: MastodonCall[TimelineParams], shown: list[Status], more: bool, window: Window) -> Reply:
    return Reply(shown, headers=window_links(call, [status.id for status in shown], more=more, window=window))


@router.route("/api/v1/timelines/home", "GET", scope="read:statuses", params=TimelineParams)
@uses(TIMELINE.read(), POSTS.read(), MEDIA.read(), USERS.read(), INTERACTIONS.read())
def home(call: MastodonCall[TimelineParams]) -> Reply:
    """Statuses of the accounts you follow and your own, newest first."""
    reader, window = call.principal.username, call.params.window(_id_or_none)
    posts, more = _home_page(reader, call.params.clamped(default=TIMELINE_LIMIT, maximum=TIMELINE_MAX), window)
    return _answer(call, statuses.render_statuses(posts, viewer=reader, base_url=call.base_url), more, window)


@router.route("/api/v1/timelines/tag/{hashtag}", "GET", scope="read:statuses", optional=True,
              params=TimelineParams)
@uses(SEARCH.search(), POSTS.read(), MEDIA.read(), USERS.read(), INTERACTIONS.read())
def tag(call: MastodonCall[TimelineParams], hashtag: str) -> Reply:
    """A hashtag's statuses, newest first (the search index's tag timeline, as ``/v1/tags/{tag}/posts``).

    The index pages older only: ``since_id``/``min_id`` filter the newest page (newer ones, newest first)."""
    principal = call.principal_or_none
    if principal is not None and not flags.enabled(flags.SEARCH, principal.username, principal.groups):
        raise MastodonError(403, "This action is not allowed")
    params = call.params
    window = params.window(_id_or_none)
    if params.only_media or params.remote:
        return _answer(call, [], False, window)
    name = search.checked_tag(hashtag)
    posts, last = search.tag_posts(name, params.clamped(default=TIMELINE_LIMIT, maximum=TIMELINE_MAX), window.before)
    kept = [post for post in posts if window.after is None or post.post_id > window.after]
    viewer = principal.username if principal is not None else None
    return _answer(call, statuses.render_statuses(kept, viewer=viewer, base_url=call.base_url),
                   last is not None and len(kept) == len(posts), window)


@router.route("/api/v1/timelines/public", "GET", scope="read:statuses", optional=True, params=TimelineParams)
def public(call: MastodonCall[TimelineParams]) -> list[Any]:
    """Empty: the platform keeps no timeline of every post (no table or index orders all posts by time, and
    scanning the posts table per request would cost what the home timeline is built to avoid)."""
    return []
