"""How search results, hashtags and trends look on the wire (posts and profiles: their own views)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.core.schema import ResponseBody

if TYPE_CHECKING:
    from chalicelib.search.port import Trend


class Hashtag(ResponseBody):
    """A tag found by its prefix, with its posts of the last 24 hours."""

    tag: str
    uses_24h: int


class TrendDay(ResponseBody):
    day: str  # ISO date (UTC)
    people: int


class TrendingTag(ResponseBody):
    """A tag, the distinct people who used it in the last 24 hours, and per day (oldest first)."""

    tag: str
    people: int
    history: list[TrendDay]

    @classmethod
    def of(cls, trend: Trend) -> TrendingTag:
        return cls(tag=trend.tag, people=trend.people,
                   history=[TrendDay(day=day, people=people) for day, people in trend.history])


class TrendingTags(ResponseBody):
    """``{"items": [...]}``: the top tags, most people first (a short list: no cursor)."""

    items: list[TrendingTag]
