"""The integrations usage plan in API Gateway: its keys, their usage, as the runtime's role may call them.

The plan is found by the name the stack gives the runtime (``INTEGRATIONS_USAGE_PLAN``): its id only exists
once the REST API does, which is after the functions. Found once per process.

Usage::

    plan = UsagePlanKeys.current()
    key, value = plan.create("Acme", "orders sync")
    plan.usage(key["id"], "2026-11-30")
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from chalicelib.core.clients import aws_client
from chalicelib.core.declarations import physical_name
from chalicelib.core.errors import NotFound
from chalicelib.integrations.keys import PlanLimits
from chalicelib.resources import INTEGRATIONS


@functools.cache  # module-level: the local platform clears it with the runtime's other caches
def plan_id_named(name: str) -> str:
    """The id of the usage plan called ``name`` (the stack's own name, ``social-<stack>-integrations``)."""
    for page in aws_client("apigateway").get_paginator("get_usage_plans").paginate():
        for plan in page.get("items", []):
            if plan.get("name") == name:
                return str(plan["id"])
    raise LookupError(f"no usage plan named {name!r}: is the stack's integrations plan deployed?")


class UsagePlanKeys:
    """The API keys of one usage plan (by id)."""

    def __init__(self, plan_id: str) -> None:
        self.plan_id = plan_id

    @classmethod
    def current(cls) -> UsagePlanKeys:
        """The stack's integrations plan."""
        return cls(plan_id_named(physical_name(INTEGRATIONS)))

    def limits(self) -> PlanLimits:
        return PlanLimits.of(aws_client("apigateway").get_usage_plan(usagePlanId=self.plan_id))

    def create(self, name: str, description: str | None) -> tuple[Mapping[str, Any], str]:
        """A new enabled key on the plan: the key, and its secret value."""
        gateway = aws_client("apigateway")
        extra = {"description": description} if description else {}
        key: dict[str, Any] = gateway.create_api_key(name=name, enabled=True, **extra)
        try:
            gateway.create_usage_plan_key(usagePlanId=self.plan_id, keyId=key["id"], keyType="API_KEY")
        except Exception:
            gateway.delete_api_key(apiKey=key["id"])  # a key outside the plan would be metered by nothing
            raise
        return key, str(key["value"])

    def key_ids(self) -> list[str]:
        """Every key id on the plan."""
        pages = aws_client("apigateway").get_paginator("get_usage_plan_keys").paginate(usagePlanId=self.plan_id)
        return [str(item["id"]) for page in pages for item in page.get("items", [])]

    def get(self, key_id: str) -> Mapping[str, Any]:
        """A key of this plan (404 for any other, and for a deleted one)."""
        gateway = aws_client("apigateway")
        try:
            gateway.get_usage_plan_key(usagePlanId=self.plan_id, keyId=key_id)
            found: dict[str, Any] = gateway.get_api_key(apiKey=key_id, includeValue=False)
        except gateway.exceptions.NotFoundException as exc:
            raise NotFound("integration_not_found", "no integration has this id") from exc
        return found

    def usage(self, key_id: str, day: str) -> Mapping[str, Any]:
        """``GetUsage``'s ``items`` for one key and one day."""
        answer = aws_client("apigateway").get_usage(usagePlanId=self.plan_id, keyId=key_id, startDate=day,
                                                    endDate=day)
        items: dict[str, Any] = answer.get("items") or {}
        return items

    def delete(self, key_id: str) -> None:
        """Revoke: the key is deleted (API Gateway takes it off every plan)."""
        self.get(key_id)
        aws_client("apigateway").delete_api_key(apiKey=key_id)
