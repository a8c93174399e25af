"""``GET /feed``: the home timeline."""

from __future__ import annotations

from chalicelib.core.declarations import uses
from chalicelib.core.pagination import Page, cursor_codec, parse_limit
from chalicelib.core.routes import Call, Router
from chalicelib.feed.reader import feed_page
from chalicelib.posts.views import Post
from chalicelib.resources import FOLLOWS, POSTS, TIMELINE, USERS

router = Router(__name__, tag="feed")


@router.route("/feed", "GET", response=Page[Post])
@uses(TIMELINE.read(), POSTS.read(), FOLLOWS.read(), USERS.read())
def feed(call: Call[None]) -> Page[Post]:
    """Posts of the accounts you follow and your own, newest first."""
    reader = call.principal.username
    scope = f"feed:{reader}"
    position = cursor_codec().decode(scope, call.query("cursor")) or {}
    posts, last = feed_page(reader, parse_limit(call.query("limit")), position.get("before"))
    return Page[Post](items=[Post.of(p) for p in posts],
                      next_cursor=cursor_codec().encode(scope, {"before": last}) if last else None)
