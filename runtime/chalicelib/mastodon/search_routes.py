"""``/api/v2/search``, ``/api/v1/trends/...`` and ``/api/v1/tags/:name``: ``/v1``'s search (``search.service``)
in Mastodon's shapes.

Accounts, statuses and hashtags come from the same engine and the same rules as ``/v1/search``; results are read
back from the tables (a deleted post is never found). The engine pages by position, Mastodon by ``offset``: a
page at ``offset`` reads ``offset + limit`` results and keeps the last ``limit`` (``offset`` stops at 1000).
With the ``search`` flag off for the caller, every search answers nothing, as a server without search would.

Tags: Mastodon's ``history`` counts uses and accounts per day, newest first; the platform counts distinct
authors per day (trends) and posts of the last 24 hours (hashtag search), so a trend's ``uses`` and
``accounts`` are both its authors, and a searched tag shows today's posts as both. Trending statuses and
links, and following tags, do not exist here: empty lists, and a 422 for following one.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from chalicelib import flags
from chalicelib.core import errors
from chalicelib.core.declarations import uses
from chalicelib.core.lazy import lazy_module
from chalicelib.mastodon.account_routes import accounts, find_accounts
from chalicelib.mastodon.errors import MastodonError, unprocessable
from chalicelib.mastodon.paging import clamp
from chalicelib.mastodon.params import Params
from chalicelib.mastodon.routing import MastodonCall, MastodonRouter
from chalicelib.resources import FOLLOWS, INTERACTIONS, MEDIA, POSTS, SEARCH, USERS

if TYPE_CHECKING:
    from chalicelib.mastodon import statuses
    from chalicelib.mastodon.statuses import HistoryTag, SearchResults, Status
    from chalicelib.search import service
    from chalicelib.search.port import Trend
else:
    service = lazy_module("chalicelib.search.service")
    statuses = lazy_module("chalicelib.mastodon.statuses")

router = MastodonRouter(__name__)

SEARCH_LIMIT, SEARCH_MAX = 20, 40
TRENDS_LIMIT, TRENDS_MAX = 10, 20


def _day(value: date) -> str:
    return str(int(datetime(value.year, value.month, value.day, tzinfo=UTC).timestamp()))


def _tag(name: str, history: list[tuple[date, int]], base_url: str, *, signed_in: bool) -> HistoryTag:
    """A Tag with its history (newest day first), ``following`` false for a signed-in caller."""
    days = [statuses.TagHistory(day=_day(day), uses=str(count), accounts=str(count)) for day, count in history]
    return statuses.HistoryTag(name=name, url=f"{base_url}/tags/{name}", history=days,
                               following=False if signed_in else None)


def _trend_tag(trend: Trend, base_url: str, *, signed_in: bool) -> HistoryTag:
    history = [(date.fromisoformat(day), people) for day, people in reversed(trend.history)]
    return _tag(trend.tag, history, base_url, signed_in=signed_in)


def _searched_tags(query: str, limit: int, offset: int, base_url: str) -> list[HistoryTag]:
    found, _ = service.search_hashtags(query.removeprefix("#"), limit, offset)
    today = datetime.now(UTC).date()
    return [_tag(name, [(today, uses_24h)], base_url, signed_in=True) for name, uses_24h in found]


class SearchParams(Params):
    q: str = Field(max_length=service.MAX_QUERY)
    type: Literal["accounts", "statuses", "hashtags"] | None = None
    resolve: bool = False  # every account and status is local: nothing to resolve
    following: bool = False
    account_id: str | None = Field(None, max_length=64)
    exclude_unreviewed: bool = False
    max_id: str | None = Field(None, max_length=64)  # relevance-ordered results page by offset
    min_id: str | None = Field(None, max_length=64)
    limit: int | None = None
    offset: int = Field(0, ge=0)


def _search_statuses(call: MastodonCall[SearchParams], limit: int) -> list[Status]:
    params = call.params
    if params.offset >= service.MAX_TAG_OFFSET:
        return []
    found, _ = service.search_posts(params.q, params.offset + limit, None)
    page = [post for post in found[params.offset:] if params.account_id is None or post.author == params.account_id]
    return statuses.render_statuses(page[:limit], viewer=call.principal.username, base_url=call.base_url)


@router.route("/api/v2/search", "GET", scope="read:search", params=SearchParams)
@uses(SEARCH.search(), POSTS.read(), USERS.read(), MEDIA.read(), FOLLOWS.read(), INTERACTIONS.read())
def search(call: MastodonCall[SearchParams]) -> SearchResults:
    """Accounts, statuses and hashtags matching ``q`` (one ``type``, or all three)."""
    params, principal = call.params, call.principal
    results = statuses.SearchResults(accounts=[], statuses=[], hashtags=[])
    if not params.q.strip() or not flags.enabled(flags.SEARCH, principal.username, principal.groups):
        return results
    limit = clamp(params.limit, default=SEARCH_LIMIT, maximum=SEARCH_MAX)
    if params.type in (None, "accounts"):
        results.accounts = accounts(find_accounts(principal.username, params.q, limit, params.offset,
                                                  following=params.following), call.base_url)
    if params.type in (None, "statuses"):
        results.statuses = _search_statuses(call, limit)
    if params.type in (None, "hashtags") and params.offset < service.MAX_TAG_OFFSET:
        results.hashtags = _searched_tags(params.q, limit, params.offset, call.base_url)
    return results


class TrendsParams(Params):
    limit: int | None = None
    offset: int = Field(0, ge=0, le=TRENDS_MAX)


@router.route("/api/v1/trends/tags", "GET", public=True, params=TrendsParams)
@router.route("/api/v1/trends", "GET", public=True, params=TrendsParams)
@uses(SEARCH.search())
def trending_tags(call: MastodonCall[TrendsParams]) -> list[HistoryTag]:
    """Tags used by the most people in the last 24 hours, with their week's history."""
    limit = clamp(call.params.limit, default=TRENDS_LIMIT, maximum=TRENDS_MAX)
    trends = service.trends(call.params.offset + limit)[call.params.offset:]
    return [_trend_tag(trend, call.base_url, signed_in=False) for trend in trends]


@router.route("/api/v1/trends/statuses", "GET", public=True)
@router.route("/api/v1/trends/links", "GET", public=True)
def trends_not_kept(call: MastodonCall[Any]) -> list[Any]:
    """Trending statuses and links are not computed here."""
    return []


def _tag_name(name: str) -> str:
    """A tag as stored; 404 for a name that cannot be a tag, as Mastodon answers."""
    try:
        return service.checked_tag(name)
    except errors.Unprocessable as error:
        raise MastodonError(404) from error


@router.route("/api/v1/tags/{name}", "GET", public=True)
@uses(SEARCH.search())
def tag(call: MastodonCall[Any], name: str) -> HistoryTag:
    """A tag and its posts of the last 24 hours (any well-formed tag exists: one nobody used has no history)."""
    wanted = _tag_name(name)
    found = [t for t in _searched_tags(wanted, 10, 0, call.base_url) if t.name == wanted]
    return found[0] if found else _tag(wanted, [], call.base_url, signed_in=False)


@router.route("/api/v1/tags/{name}/follow", "POST", scope="write:follows")
def follow_tag(call: MastodonCall[Any], name: str) -> HistoryTag:
    """Following tags is not available here."""
    _tag_name(name)
    raise unprocessable("following hashtags is not available on this server")


@router.route("/api/v1/tags/{name}/unfollow", "POST", scope="write:follows")
def unfollow_tag(call: MastodonCall[Any], name: str) -> HistoryTag:
    """Nothing to undo: the tag, not followed."""
    return _tag(_tag_name(name), [], call.base_url, signed_in=True)


@router.route("/api/v1/followed_tags", "GET", scope="read:follows")
def followed_tags(call: MastodonCall[Any]) -> list[Any]:
    """Nobody follows tags here."""
    return []
