"""``GET /feed``: the home timeline."""

from __future__ import annotations

from chalicelib.core.declarations import uses
from chalicelib.core.pagination import Page, next_cursor
from chalicelib.core.routes import Call, Router
from chalicelib.feed.reader import feed_page
from chalicelib.posts.views import Post, posts_with_media
from chalicelib.resources import INTERACTIONS, MEDIA, POSTS, TIMELINE, USERS

router = Router(__name__, tag="feed")


@router.route("/feed", "GET", response=Page[Post])
@uses(TIMELINE.read(), POSTS.read(), MEDIA.read(), USERS.read(), INTERACTIONS.read())
def feed(call: Call[None]) -> Page[Post]:
    """Posts of the accounts you follow and your own, newest first."""
    reader = call.principal.username
    scope = f"feed:{reader}"
    limit, position = call.page_request(scope)
    if position.get("before"):
        page = feed_page(reader, limit, position["before"], position.get("stars") or [])
    else:
        page = feed_page(reader, limit, None, None)
    cursor = next_cursor(scope, {"before": page.last, "stars": page.stars} if page.last else None)
    return Page[Post](items=posts_with_media(page.posts, viewer=reader), next_cursor=cursor)
