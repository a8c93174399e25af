"""Search routes: posts, people and hashtags by what they say; a hashtag's timeline; trending tags.

Query text is data (see ``chalicelib.search.port.terms``): whatever ``q`` holds, the answer is
results or a 4xx, never a 5xx. Results are read back from the tables, so deleted posts never show.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib import flags
from chalicelib.core.declarations import uses
from chalicelib.core.errors import Forbidden
from chalicelib.core.lazy import lazy_module
from chalicelib.core.pagination import Page, next_cursor, parse_limit
from chalicelib.core.routes import Call, QueryParam, Router
from chalicelib.posts.views import Post, posts_with_media
from chalicelib.resources import FOLLOWS, INTERACTIONS, MEDIA, POSTS, SEARCH, USERS
from chalicelib.search.views import Hashtag, TrendingTag, TrendingTags
from chalicelib.users.views import Profile, profiles_for

if TYPE_CHECKING:
    from chalicelib.search import service
else:
    service = lazy_module("chalicelib.search.service")

router = Router(__name__, tag="search")

SearchResults = Page[Post | Profile | Hashtag]


def _check_enabled(call: Call[None]) -> None:
    """The ``search`` flag (``chalicelib/flags``) can turn search off, for everyone or for some users."""
    principal = call.principal
    if not flags.enabled(flags.SEARCH, principal.username, principal.groups):
        raise Forbidden("search_disabled", "search is switched off for your account for now")


@router.route("/search", "GET", response=SearchResults, errors=(403, 503), query=(
    QueryParam("q", f"what to look for, as words (at most {service.MAX_QUERY} characters); the last word also "
                    "matches as a prefix; operators, quotes and wildcards are searched as text"),
    QueryParam("type", "posts (default): posts with every word, relevance blended with recency and likes; "
                       "users: exact username, then usernames and display-name words starting with q; "
                       "hashtags: tags starting with q, most used in the last 24 hours first",
               {"type": "string", "enum": list(service.KINDS), "default": "posts"})))
@uses(SEARCH.search(), POSTS.read(), USERS.read(), MEDIA.read(), FOLLOWS.read(), INTERACTIONS.read())
def search(call: Call[None]) -> Page[Post | Profile | Hashtag]:
    """Search posts, people or hashtags; ranked results, paged with the cursor."""
    _check_enabled(call)
    kind = service.kind_of(call.query("type"))
    query = service.checked_query(call.query("q"))
    scope = f"search:{kind}:{query}"
    limit, position = call.page_request(scope)
    if kind == "hashtags":
        tags, offset = service.search_hashtags(query, limit, int(position.get("offset") or 0))
        return SearchResults(items=[Hashtag(tag=tag, uses_24h=uses) for tag, uses in tags],
                             next_cursor=next_cursor(scope, {"offset": offset} if offset is not None else None))
    after = service.position_of(position.get("after"))
    items: list[Post | Profile | Hashtag]
    if kind == "users":
        users, more = service.search_users(query, limit, after)
        items = list(profiles_for(users, call.principal.username))
    else:
        posts, more = service.search_posts(query, limit, after)
        items = list(posts_with_media(posts, viewer=call.principal.username))
    return SearchResults(items=items, next_cursor=next_cursor(scope, {"after": more} if more else None))


@router.route("/tags/{tag}/posts", "GET", response=Page[Post], errors=(403, 503))
@uses(SEARCH.search(), POSTS.read(), MEDIA.read(), USERS.read(), INTERACTIONS.read())
def tag_posts(call: Call[None], tag: str) -> Page[Post]:
    """A hashtag's posts, newest first (``#`` and case ignored)."""
    _check_enabled(call)
    name = service.checked_tag(tag)
    scope = f"tag:{name}"
    limit, position = call.page_request(scope)
    before = position.get("before")
    posts, last = service.tag_posts(name, limit, before if isinstance(before, str) else None)
    return Page[Post](items=posts_with_media(posts, viewer=call.principal.username),
                      next_cursor=next_cursor(scope, {"before": last} if last else None))


@router.route("/trends/tags", "GET", response=TrendingTags, errors=(403, 503), query=(
    QueryParam("limit", "how many tags", {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}),))
@uses(SEARCH.search())
def trending_tags(call: Call[None]) -> TrendingTags:
    """Tags used by the most distinct people in the last 24 hours, with the people per day of the last week."""
    _check_enabled(call)
    limit = parse_limit(call.query("limit"))
    return TrendingTags(items=[TrendingTag.of(trend) for trend in service.trends(limit)])
