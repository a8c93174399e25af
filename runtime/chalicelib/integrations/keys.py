"""What an integration is, built from API Gateway's key and plan, and today's usage of it: no AWS here.

An integration is one API key on the integrations usage plan: the plan gives every key the same daily quota
and throttle (API Gateway counts them per key), the key carries the integration's name, description and state.
Its secret value is shown once, in the answer that made it.

Usage::

    plan = PlanLimits(quota_limit=10_000, quota_period="DAY", rate_limit=10.0, burst_limit=20)
    integration = Integration.of(key, plan)
    usage = Usage.of_day(get_usage_items, key_id, plan)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class PlanLimits:
    """The usage plan's quota (per period) and throttle, which each key gets for itself."""

    quota_limit: int
    quota_period: str
    rate_limit: float
    burst_limit: int

    @classmethod
    def of(cls, plan: Mapping[str, Any]) -> PlanLimits:
        """From API Gateway's ``GetUsagePlan`` answer."""
        quota, throttle = plan.get("quota") or {}, plan.get("throttle") or {}
        return cls(quota_limit=int(quota.get("limit", 0)), quota_period=str(quota.get("period", "DAY")),
                   rate_limit=float(throttle.get("rateLimit", 0.0)), burst_limit=int(throttle.get("burstLimit", 0)))


@dataclass(frozen=True)
class Usage:
    """Calls counted today (UTC) for one key, and what its quota has left."""

    day: str
    used: int
    remaining: int

    @classmethod
    def of_day(cls, items: Mapping[str, Sequence[Sequence[int]]], key_id: str, day: str, limits: PlanLimits) -> Usage:
        """From ``GetUsage``'s ``items`` (``{key id: [[used, remaining], ...]}``, one pair per day asked):
        a key with no call yet is absent, so it has used nothing."""
        days = items.get(key_id) or []
        if not days:
            return cls(day=day, used=0, remaining=limits.quota_limit)
        used, remaining = days[-1][0], days[-1][1]
        return cls(day=day, used=int(used), remaining=max(int(remaining), 0))


@dataclass(frozen=True)
class Integration:
    """One integration key, without its secret value."""

    id: str
    name: str
    description: str | None
    enabled: bool
    created_at: datetime | None
    limits: PlanLimits

    @classmethod
    def of(cls, key: Mapping[str, Any], limits: PlanLimits) -> Integration:
        """From API Gateway's ``ApiKey`` (``CreateApiKey``, ``GetApiKey``)."""
        created = key.get("createdDate")
        return cls(id=str(key["id"]), name=str(key.get("name") or ""), description=key.get("description") or None,
                   enabled=bool(key.get("enabled", False)),
                   created_at=created if isinstance(created, datetime) else None, limits=limits)


def page_after(key_ids: Sequence[str], after: str | None, limit: int) -> tuple[list[str], str | None]:
    """One page of ``key_ids`` in a stable order (by id), from the one after ``after``; and the last id of the
    page when more follow (the next page's position), else None."""
    ordered = sorted(set(key_ids))
    start = next((i for i, key_id in enumerate(ordered) if key_id > after), len(ordered)) if after else 0
    page = ordered[start:start + limit]
    return page, page[-1] if start + limit < len(ordered) and page else None
