"""``GET /feed``: the home timeline."""

from __future__ import annotations

from chalicelib.core.declarations import uses
from chalicelib.core.pagination import Page, cursor_codec, parse_limit
from chalicelib.core.routes import Call, Router
from chalicelib.feed.reader import feed_page
from chalicelib.posts.views import Post
from chalicelib.resources import POSTS, TIMELINE

router = Router(__name__, tag="feed")


@router.route("/feed", "GET", response=Page[Post])
@uses(TIMELINE.read(), POSTS.read())
def feed(call: Call[None]) -> Page[Post]:
    """Posts of the accounts you follow and your own, newest first."""
    reader = call.principal.username
    scope = f"feed:{reader}"
    position = cursor_codec().decode(scope, call.query("cursor")) or {}
    if position.get("before"):
        page = feed_page(reader, parse_limit(call.query("limit")), position["before"], position.get("stars") or [])
    else:
        page = feed_page(reader, parse_limit(call.query("limit")), None, None)
    cursor = cursor_codec().encode(scope, {"before": page.last, "stars": page.stars}) if page.last else None
    return Page[Post](items=[Post.of(p) for p in page.posts], next_cursor=cursor)
