"""What earns coins, as pure functions: which domain event pays whom, how much, under which id.

Every award has a deterministic transfer id, so a redelivered, retried or
duplicated event maps to the same transfer and pays at most once; a like,
unlike and like again is still ``like:<post>:<liker>``.

Usage::

    award = award_for(event, Rules.from_settings())     # None: this event pays nothing
    granted = capped_amount(award.amount, earned_today, rules.daily_cap)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from chalicelib import flags
from chalicelib.core.settings import get_settings


@dataclass(frozen=True)
class Rules:
    post: int = 10
    like_received: int = 2
    comment: int = 5
    daily_cap: int = 500
    weekly_bonus: int = 50

    @classmethod
    def from_settings(cls) -> Rules:
        """The settings' amounts, overridden by the flags (the same for everyone: a batch pays many users)."""
        return cls(flags.number(flags.COINS_POST), flags.number(flags.COINS_LIKE_RECEIVED),
                   flags.number(flags.COINS_COMMENT), flags.number(flags.COINS_DAILY_CAP), get_settings().weekly_bonus)


@dataclass(frozen=True)
class Award:
    transfer_id: str
    username: str
    amount: int
    reason: str
    day: date  # the UTC day the event happened: the day whose cap it counts against
    source: str | None = None  # whose action earned it, when not the awardee's own (the liker)


def event_time(event: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(event["occurred_at"])


def award_for(event: dict[str, Any], rules: Rules) -> Award | None:
    """The award a domain event earns, or None (self-likes and other events earn nothing)."""
    kind, data, day = event["type"], event["data"], event_time(event).date()
    if kind == "post.created":
        return Award(f"post:{data['post_id']}", data["author"], rules.post, "post", day)
    if kind == "like.created":
        if data["liker"] == data["post_author"]:
            return None
        return Award(f"like:{data['post_id']}:{data['liker']}", data["post_author"], rules.like_received,
                     "like_received", day, source=data["liker"])
    if kind == "comment.created":
        return Award(f"comment:{data['comment_id']}", data["author"], rules.comment, "comment", day)
    return None


def capped_amount(requested: int, earned_today: int, cap: int) -> int:
    """What may still be paid today: the award, cut to what remains under the cap, never negative."""
    return max(0, min(requested, cap - earned_today))
