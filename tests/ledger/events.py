"""Domain events as the coin-award queue delivers them, and the balances they must produce."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from chalicelib.ledger.rules import Rules, award_for


def _event(event_id: str, kind: str, day: date, actor: str, data: dict[str, Any], second: int = 0) -> dict[str, Any]:
    return {"id": event_id, "type": kind, "occurred_at": f"{day.isoformat()}T12:00:{second % 60:02d}+00:00",
            "actor": actor, "data": data}


def post(post_id: str, author: str, day: date) -> dict[str, Any]:
    return _event(f"evt-post-{post_id}", "post.created", day, author, {"post_id": post_id, "author": author})


def like(post_id: str, post_author: str, liker: str, day: date, nth: int = 0) -> dict[str, Any]:
    # nth > 0: the same like again after an unlike: another event, the same award.
    return _event(f"evt-like-{post_id}-{liker}-{nth}", "like.created", day, liker,
                  {"post_id": post_id, "post_author": post_author, "liker": liker})


def comment(comment_id: str, post_id: str, post_author: str, author: str, day: date) -> dict[str, Any]:
    return _event(f"evt-comment-{comment_id}", "comment.created", day, author,
                  {"post_id": post_id, "post_author": post_author, "comment_id": comment_id, "author": author})


def expected_balances(events: list[dict[str, Any]], rules: Rules) -> dict[str, int]:
    """Whatever the order, a user's day pays min(sum of its distinct awards, cap)."""
    awards = {}
    for event in events:
        award = award_for(event, rules)
        if award is not None:
            awards[award.transfer_id] = award
    per_day: dict[tuple[str, date], int] = defaultdict(int)
    for award in awards.values():
        per_day[(award.username, award.day)] += award.amount
    balances: dict[str, int] = defaultdict(int)
    for (username, _), total in per_day.items():
        balances[username] += min(total, rules.daily_cap)
    return dict(balances)
