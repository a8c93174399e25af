"""What API Gateway does with API keys on key-required methods, for the local gateway, and the usage it counts.

On a method marked ``apiKeyRequired`` (``Router.route(api_key=True)``), API Gateway reads ``X-API-Key``,
refuses a missing, unknown or disabled key, or one on no usage plan of the stage, with INVALID_API_KEY (403),
a key over its plan's quota with QUOTA_EXCEEDED (429), and counts every call it lets through against the
key's plan. ``stacks/api.py`` renders those two in the contract's error shape (GATEWAY_RESPONSES); so does
``admit`` here. Keys and plans are moto's (what ``CreateApiKey`` and ``CreateUsagePlanKey`` made), read from
its in-process backend; the throttle (requests per second) is not enforced locally.

moto stores usage plans but does not count usage, nor serve ``GetUsage``, and keeps a deleted key on its
plans: ``install()`` makes a deleted key leave its plans and adds ``GetUsage`` to moto, answering from these
counts (process-wide, as moto's backends are), so the admin route's usage goes through the same boto3 call
locally as in AWS. It must run before the platform's moto server first serves an API Gateway call (moto
builds each service's URL map then): ``local.provision`` installs it before it creates the plans.

Usage::

    install()
    key_id = admit(headers, region)     # raises Refusal(403 | 429, code, message); else the call is counted
    counted(key_id, "2026-11-30")       # 1
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from local.aws import ACCOUNT_ID

# As stacks/api.py's GATEWAY_RESPONSES render INVALID_API_KEY and QUOTA_EXCEEDED (tests/local check they agree).
INVALID_KEY = (403, "invalid_api_key", "the X-API-Key is unknown or disabled")
QUOTA_EXCEEDED = (429, "quota_exceeded", "this key's quota is used up; it renews with its period")

_LOCK = threading.Lock()
_COUNTS: dict[tuple[str, str, str], int] = {}  # (plan id, key id, UTC day) -> calls let through
_INSTALLED = False


class Refusal(Exception):
    """What API Gateway answers itself instead of calling the function."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _today() -> str:
    return datetime.now(UTC).date().isoformat()


def _backend(region: str) -> Any:
    from moto.apigateway.models import apigateway_backends

    return apigateway_backends[ACCOUNT_ID][region]


def _period_days(period: str, day: str) -> list[str]:
    """The days of the quota period ``day`` falls in (DAY, WEEK from Monday, MONTH)."""
    current = date.fromisoformat(day)
    if period == "WEEK":
        start = current - timedelta(days=current.weekday())
    elif period == "MONTH":
        start = current.replace(day=1)
    else:
        start = current
    return [(start + timedelta(days=n)).isoformat() for n in range((current - start).days + 1)]


def _used(plan_id: str, key_id: str, days: Iterable[str]) -> int:
    return sum(_COUNTS.get((plan_id, key_id, day), 0) for day in days)


def admit(api_key: str | None, region: str) -> str:
    """The id of the key a request may go through with, its call counted; ``Refusal`` otherwise."""
    if not api_key:
        raise Refusal(*INVALID_KEY)
    backend = _backend(region)
    key = next((k for k in list(backend.keys.values()) if k.value == api_key), None)
    if key is None or not key.enabled:
        raise Refusal(*INVALID_KEY)
    plans = [backend.usage_plans[plan_id] for plan_id, keys in list(backend.usage_plan_keys.items())
             if key.id in keys and plan_id in backend.usage_plans]
    if not plans:
        raise Refusal(*INVALID_KEY)
    plan = plans[0]
    quota = plan.quota or {}
    day = _today()
    with _LOCK:
        limit, period = quota.get("limit"), str(quota.get("period", "DAY"))
        if limit is not None and _used(plan.id, key.id, _period_days(period, day)) >= int(limit):
            raise Refusal(*QUOTA_EXCEEDED)
        _COUNTS[(plan.id, key.id, day)] = _COUNTS.get((plan.id, key.id, day), 0) + 1
    return str(key.id)


def counted(plan_id: str, key_id: str, day: str) -> int:
    """Calls of ``key_id`` let through on ``day`` (UTC) under ``plan_id``."""
    with _LOCK:
        return _COUNTS.get((plan_id, key_id, day), 0)


def usage(region: str, plan_id: str, key_id: str | None, start: str, end: str) -> dict[str, Any]:
    """``GetUsage``'s JSON answer: per key of the plan, ``[used, remaining]`` for each day from ``start`` to ``end``."""
    backend = _backend(region)
    plan = backend.get_usage_plan(plan_id)  # moto's NotFound for an unknown plan
    quota = plan.quota or {}
    limit = quota.get("limit")
    period = str(quota.get("period", "DAY"))
    first, last = date.fromisoformat(start), date.fromisoformat(end)
    days = [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]
    keys = [key_id] if key_id else list(backend.usage_plan_keys.get(plan_id, {}))
    items: dict[str, list[list[int]]] = {}
    with _LOCK:
        for key in keys:
            rows = []
            for day in days:
                used = _COUNTS.get((plan_id, key, day), 0)
                left = int(limit) - _used(plan_id, key, _period_days(period, day)) if limit is not None else 0
                rows.append([used, max(left, 0)])
            if any(used for used, _ in rows):  # API Gateway lists only keys that were used
                items[key] = rows
    # boto3 names it "items"; on the wire (API Gateway's JSON) it is "values".
    return {"usagePlanId": plan_id, "startDate": start, "endDate": end, "values": items}


def install() -> None:
    """Teach moto's API Gateway ``GetUsage`` (GET /usageplans/{id}/usage), answered from these counts."""
    global _INSTALLED
    with _LOCK:
        if _INSTALLED:
            return
        from moto.apigateway import urls
        from moto.apigateway.responses import APIGatewayResponse

        def get_usage(response: APIGatewayResponse) -> str:
            plan_id = response.path.split("/")[2]
            query = response.querystring
            answer = usage(response.region, plan_id, (query.get("keyId") or [None])[0],
                           query["startDate"][0], query["endDate"][0])
            return json.dumps(answer)

        from moto.apigateway.models import APIGatewayBackend

        delete_api_key = APIGatewayBackend.delete_api_key

        def delete_api_key_and_its_plan_keys(backend: APIGatewayBackend, api_key_id: str) -> None:
            # API Gateway takes a deleted key off its plans; moto kept it listed in GetUsagePlanKeys.
            delete_api_key(backend, api_key_id)
            for keys in backend.usage_plan_keys.values():
                keys.pop(api_key_id, None)

        urls.url_paths["{0}/usageplans/(?P<usage_plan_id>[^/]+)/usage$"] = APIGatewayResponse.dispatch
        APIGatewayResponse.get_usage = get_usage  # type: ignore[attr-defined]
        APIGatewayBackend.delete_api_key = delete_api_key_and_its_plan_keys  # type: ignore[method-assign,assignment]
        _INSTALLED = True
