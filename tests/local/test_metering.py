"""The local gateway's API keys as API Gateway's: the same refusals as the stack renders, GetUsage from the counts,
and the API function's apigateway calls judged against the stack's grant."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from local import metering
from local.aws import MotoServer, aws_environment
from local.grants import FunctionPolicy
from stacks.api import GATEWAY_RESPONSES
from stacks.policies import usage_plan_statements

REGION = "us-east-1"


def test_the_refusals_are_the_stacks_gateway_responses() -> None:
    for (status, code, message), response_type in ((metering.INVALID_KEY, "INVALID_API_KEY"),
                                                   (metering.QUOTA_EXCEEDED, "QUOTA_EXCEEDED")):
        assert GATEWAY_RESPONSES[response_type] == (status, code, json.dumps(message))


@pytest.fixture
def apigateway(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    metering.install()
    with MotoServer() as moto:
        for name, value in aws_environment(moto.endpoint, REGION).items():
            monkeypatch.setenv(name, value)
        client = boto3.client("apigateway")
        plans, keys = _plans_and_keys(client)
        yield client
        # Only what this test made goes: moto's state is process-wide, and moto.reset() also wiped the queues and
        # tables of a local platform other tests of this worker were still using.
        new_plans, new_keys = _plans_and_keys(client)
        for plan in new_plans - plans:
            client.delete_usage_plan(usagePlanId=plan)
        for key in new_keys - keys:
            client.delete_api_key(apiKey=key)


def _plans_and_keys(client: Any) -> tuple[set[str], set[str]]:
    return ({p["id"] for p in client.get_usage_plans(limit=500)["items"]},
            {k["id"] for k in client.get_api_keys(limit=500)["items"]})


def test_a_key_is_counted_until_its_quota_and_get_usage_reports_it(apigateway: Any) -> None:
    client = apigateway
    plan = client.create_usage_plan(name="p", quota={"limit": 2, "period": "DAY"})
    key = client.create_api_key(name="k", enabled=True)
    client.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    idle = client.create_api_key(name="idle", enabled=True)
    client.create_usage_plan_key(usagePlanId=plan["id"], keyId=idle["id"], keyType="API_KEY")
    assert metering.admit(key["value"], REGION) == key["id"]
    assert metering.admit(key["value"], REGION) == key["id"]
    with pytest.raises(metering.Refusal) as over:
        metering.admit(key["value"], REGION)
    assert (over.value.status, over.value.code) == (429, "quota_exceeded")
    today = datetime.now(UTC).date().isoformat()
    usage = client.get_usage(usagePlanId=plan["id"], startDate=today, endDate=today)
    assert usage["items"] == {key["id"]: [[2, 0]]}  # a key with no call is not listed, as in AWS

    # Disabled, deleted, off every plan: refused as unknown.
    loose = client.create_api_key(name="loose", enabled=True)
    for value in (None, "", "nobody's", loose["value"]):
        with pytest.raises(metering.Refusal) as refused:
            metering.admit(value, REGION)
        assert (refused.value.status, refused.value.code) == (403, "invalid_api_key")
    client.delete_api_key(apiKey=idle["id"])
    keys = client.get_usage_plan_keys(usagePlanId=plan["id"])["items"]
    assert [k["id"] for k in keys] == [key["id"]]  # a deleted key leaves its plan, as in AWS
    with pytest.raises(metering.Refusal):
        metering.admit(idle["value"], REGION)


def test_weekly_and_monthly_quotas_count_the_whole_period() -> None:
    assert metering._period_days("WEEK", "2026-12-02") == ["2026-11-30", "2026-12-01", "2026-12-02"]
    assert metering._period_days("MONTH", "2026-12-02") == ["2026-12-01", "2026-12-02"]
    assert metering._period_days("DAY", "2026-12-02") == ["2026-12-02"]


def test_the_api_function_may_manage_keys_of_its_plan_and_no_other() -> None:
    plan = f"arn:aws:apigateway:{REGION}::/usageplans/p1"
    policy = FunctionPolicy("api_handler", "social-local-api-handler",
                            {"Version": "2012-10-17", "Statement": usage_plan_statements("integrations", plan)})
    for operation, params in (("GetUsagePlans", {}), ("GetUsagePlan", {"usagePlanId": "p1"}),
                              ("CreateApiKey", {"name": "a"}), ("CreateUsagePlanKey", {"usagePlanId": "p1"}),
                              ("GetUsagePlanKeys", {"usagePlanId": "p1"}),
                              ("GetUsagePlanKey", {"usagePlanId": "p1", "keyId": "k"}),
                              ("GetApiKey", {"apiKey": "k"}), ("DeleteApiKey", {"apiKey": "k"}),
                              ("GetUsage", {"usagePlanId": "p1", "keyId": "k"})):
        policy.judge("apigateway", operation, params, REGION)
    for operation, params in (("GetUsage", {"usagePlanId": "p2"}), ("CreateUsagePlanKey", {"usagePlanId": "p2"}),
                              ("GetUsagePlanKeys", {"usagePlanId": "p2"})):
        with pytest.raises(ClientError):
            policy.judge("apigateway", operation, params, REGION)
