"""``GET /feed``: the home timeline."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.core.declarations import uses
from chalicelib.core.lazy import lazy_module
from chalicelib.core.pagination import Page, next_cursor
from chalicelib.core.routes import Call, Router
from chalicelib.posts.views import Post, posts_with_media
from chalicelib.resources import INTERACTIONS, MEDIA, POSTS, TIMELINE, USERS

if TYPE_CHECKING:
    from chalicelib.feed import reader as feeds
else:
    feeds = lazy_module("chalicelib.feed.reader")

router = Router(__name__, tag="feed")


@router.route("/feed", "GET", response=Page[Post])
@uses(TIMELINE.read(), POSTS.read(), MEDIA.read(), USERS.read(), INTERACTIONS.read())
def feed(call: Call[None]) -> Page[Post]:
    """Posts of the accounts you follow and your own, newest first."""
    reader = call.principal.username
    scope = f"feed:{reader}"
    limit, position = call.page_request(scope)
    if position.get("before"):
        page = feeds.feed_page(reader, limit, position["before"], position.get("stars") or [])
    else:
        page = feeds.feed_page(reader, limit, None, None)
    cursor = next_cursor(scope, {"before": page.last, "stars": page.stars} if page.last else None)
    return Page[Post](items=posts_with_media(page.posts, viewer=reader), next_cursor=cursor)
