"""The integration routes' request and response documents."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import Field

from chalicelib.core.schema import RequestBody, ResponseBody
from chalicelib.core.usertext import SingleLineText

if TYPE_CHECKING:
    from chalicelib.integrations.keys import Integration, Usage


class NewIntegration(RequestBody):
    name: SingleLineText = Field(min_length=1, max_length=128)
    description: SingleLineText | None = Field(default=None, max_length=255)  # API Gateway keeps keys' descriptions


class Quota(ResponseBody):
    limit: int
    period: str


class Throttle(ResponseBody):
    rate_limit: float
    burst_limit: int


class UsageView(ResponseBody):
    day: str = Field(description="today, UTC (YYYY-MM-DD)")
    used: int
    remaining: int

    @classmethod
    def of(cls, usage: Usage) -> UsageView:
        return cls(day=usage.day, used=usage.used, remaining=usage.remaining)


class IntegrationView(ResponseBody):
    id: str
    name: str
    description: str | None
    enabled: bool
    created_at: datetime | None
    quota: Quota
    throttle: Throttle
    usage: UsageView | None = None

    @classmethod
    def of(cls, integration: Integration, usage: Usage | None = None) -> IntegrationView:
        limits = integration.limits
        return cls(id=integration.id, name=integration.name, description=integration.description,
                   enabled=integration.enabled, created_at=integration.created_at,
                   quota=Quota(limit=limits.quota_limit, period=limits.quota_period),
                   throttle=Throttle(rate_limit=limits.rate_limit, burst_limit=limits.burst_limit),
                   usage=UsageView.of(usage) if usage is not None else None)


class NewIntegrationView(IntegrationView):
    key: str = Field(description="the key's secret value, for the X-API-Key header: shown in this answer only")
