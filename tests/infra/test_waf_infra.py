"""WAF: an edge web ACL in us-east-1 and a regional one on the API stage, with rate, body and managed rules."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

import app as runtime_app
from chalicelib.core.routes import face_of, spec_of
from stacks.mocks import RecordedResource, Rendering, render
from stacks.settings import SettingsError, StackSettings
from stacks.waf import BODYLESS_METHODS, MANAGED_GROUPS, window_limit

ACL = "aws:wafv2/webAcl:WebAcl"
ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"


def _acls(rendering: Rendering) -> dict[str, RecordedResource]:
    return {acl.inputs["scope"]: acl for acl in rendering.of_type(ACL)}


def _rule(acl: RecordedResource, name: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [r for r in acl.inputs["rules"] if r["name"] == name]
    [rule] = found
    return rule


def _response_body(acl: RecordedResource, key: str) -> dict[str, Any]:
    """A custom response body of ``acl``, parsed; it must be the contract's error shape."""
    [body] = [b for b in acl.inputs["customResponseBodies"] if b["key"] == key]
    assert body["contentType"] == "APPLICATION_JSON"
    parsed: dict[str, Any] = json.loads(body["content"])
    assert set(parsed) == {"error"} and set(parsed["error"]) == {"code", "message"}
    return parsed


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_an_edge_acl_in_us_east_1_and_a_regional_one_on_the_api_stage(stack: str,
                                                                       request: pytest.FixtureRequest) -> None:
    rendering: Rendering = request.getfixturevalue(stack)
    acls = _acls(rendering)
    assert set(acls) == {"CLOUDFRONT", "REGIONAL"} and len(rendering.of_type(ACL)) == 2
    assert acls["CLOUDFRONT"].inputs["region"] == "us-east-1"
    assert acls["CLOUDFRONT"].outputs["arn"].startswith("arn:aws:wafv2:us-east-1:")
    assert ":global/webacl/" in acls["CLOUDFRONT"].outputs["arn"]
    [association] = rendering.of_type(ASSOCIATION)
    [api] = rendering.of_type("aws:apigateway/restApi:RestApi")
    [stage] = rendering.of_type("aws:apigateway/stage:Stage")
    # The stage's ARN in the form AssociateWebACL takes, not the execute-api one.
    assert association.inputs["resourceArn"] == (f"arn:aws:apigateway:us-east-1::/restapis/{api.outputs['id']}"
                                                 f"/stages/{stage.inputs['stageName']}")
    assert association.inputs["webAclArn"] == acls["REGIONAL"].outputs["arn"]
    # The edge ACL is exported for the site's distribution.
    assert rendering.exports["edgeWebAclArn"] == acls["CLOUDFRONT"].outputs["arn"]


def test_an_edge_acl_stays_in_us_east_1_when_the_stack_is_elsewhere() -> None:
    rendering = render("dev", {"aws:region": "eu-west-1"})
    acls = _acls(rendering)
    assert acls["CLOUDFRONT"].inputs["region"] == "us-east-1"
    assert acls["REGIONAL"].inputs["region"] == "eu-west-1"
    [association] = rendering.of_type(ASSOCIATION)
    assert association.inputs["resourceArn"].startswith("arn:aws:apigateway:eu-west-1::/restapis/")


def test_both_acls_allow_by_default_and_carry_the_managed_groups(dev: Rendering) -> None:
    for acl in _acls(dev).values():
        assert acl.inputs["defaultAction"] == {"allow": {}}
        groups = {r["statement"]["managedRuleGroupStatement"]["name"]: r for r in acl.inputs["rules"]
                  if "managedRuleGroupStatement" in r["statement"]}
        assert set(groups) == set(MANAGED_GROUPS)
        for rule in groups.values():
            assert rule["statement"]["managedRuleGroupStatement"]["vendorName"] == "AWS"
            assert rule["overrideAction"] == {"none": {}}  # the groups' own block actions apply
        # The common set's 8 KB body rule only counts: the API takes up to maxBodyBytes and refuses more itself.
        overrides = groups["AWSManagedRulesCommonRuleSet"]["statement"]["managedRuleGroupStatement"][
            "ruleActionOverrides"]
        assert overrides == [{"name": "SizeRestrictions_BODY", "actionToUse": {"count": {}}}]
        priorities = [r["priority"] for r in acl.inputs["rules"]]
        assert len(set(priorities)) == len(priorities)
        assert all(r["visibilityConfig"]["cloudwatchMetricsEnabled"] for r in acl.inputs["rules"])


def test_the_per_user_rate_is_the_seeds_1000_a_second_counted_per_minute_and_keyed_on_the_token(
        dev: Rendering) -> None:
    for acl in _acls(dev).values():
        statement = _rule(acl, "per-user-rate")["statement"]["rateBasedStatement"]
        assert statement["evaluationWindowSec"] == 60
        assert statement["limit"] == 60_000  # 1,000 a second over WAF's 60-second window
        assert statement["aggregateKeyType"] == "CUSTOM_KEYS"
        assert [k["header"]["name"] for k in statement["customKeys"]] == ["authorization"]
        for name in ("per-user-rate", "per-ip-rate"):
            # Over the limit: a 429 in the contract's error shape, not WAF's bare 403.
            response = _rule(acl, name)["action"]["block"]["customResponse"]
            assert response["responseCode"] == 429
            body = _response_body(acl, response["customResponseBodyKey"])
            assert body["error"]["code"] == "throttled"
        ip = _rule(acl, "per-ip-rate")["statement"]["rateBasedStatement"]
        assert ip["aggregateKeyType"] == "IP" and ip["limit"] == 120_000 and ip["evaluationWindowSec"] == 60


def test_the_rates_come_from_config() -> None:
    rendering = render("dev", {"wafUserRequestsPerSecond": "5", "wafIpRequestsPerSecond": "20"})
    acl = _acls(rendering)["REGIONAL"]
    assert _rule(acl, "per-user-rate")["statement"]["rateBasedStatement"]["limit"] == 300
    assert _rule(acl, "per-ip-rate")["statement"]["rateBasedStatement"]["limit"] == 1200


def test_a_rate_waf_cannot_count_is_refused() -> None:
    with pytest.raises(SettingsError, match="wafUserRequestsPerSecond"):
        StackSettings(stack="dev", environment="dev", waf_user_requests_per_second=0)
    with pytest.raises(ValueError, match=r"10\.\.2000000000"):
        window_limit(40_000_000)


def test_bodies_on_methods_that_take_none_are_blocked(dev: Rendering) -> None:
    rule = _rule(_acls(dev)["REGIONAL"], "no-body-where-none-is-taken")
    response = rule["action"]["block"]["customResponse"]
    assert response["responseCode"] == 400
    assert _response_body(_acls(dev)["REGIONAL"], response["customResponseBodyKey"])["error"]["code"] == "bad_request"
    method, size = rule["statement"]["andStatement"]["statements"]
    assert method["regexMatchStatement"]["fieldToMatch"] == {"method": {}}
    pattern = method["regexMatchStatement"]["regexString"]

    assert all(re.fullmatch(pattern, m) for m in ("GET", "HEAD", "DELETE", "OPTIONS"))
    assert not any(re.fullmatch(pattern, m) for m in ("POST", "PUT", "PATCH"))
    assert size["sizeConstraintStatement"]["comparisonOperator"] == "GT"
    assert size["sizeConstraintStatement"]["size"] == 0
    assert size["sizeConstraintStatement"]["fieldToMatch"]["body"]["oversizeHandling"] == "MATCH"


def test_a_preview_has_no_web_acl(preview: Rendering) -> None:
    assert not preview.of_type(ACL) and not preview.of_type(ASSOCIATION)
    assert "edgeWebAclArn" not in preview.exports


# ---- integration keys: the usage plan ------------------------------------------------------------

PLAN = "aws:apigateway/usagePlan:UsagePlan"


@pytest.mark.parametrize("stack", ["dev", "prod", "preview"])
def test_one_usage_plan_meters_integration_keys_on_the_api_stage(stack: str, request: pytest.FixtureRequest) -> None:
    rendering: Rendering = request.getfixturevalue(stack)
    [plan] = rendering.of_type(PLAN)
    [api] = rendering.of_type("aws:apigateway/restApi:RestApi")
    [stage] = rendering.of_type("aws:apigateway/stage:Stage")
    assert plan.inputs["apiStages"] == [{"apiId": api.outputs["id"], "stage": stage.inputs["stageName"]}]
    assert plan.inputs["quotaSettings"] == {"limit": 10_000, "period": "DAY"}
    assert plan.inputs["throttleSettings"] == {"rateLimit": 10.0, "burstLimit": 20}
    assert api.inputs["apiKeySource"] == "HEADER"  # keys come in X-API-Key
    # Keys are an admin's to make through the API: the stack makes none.
    assert not rendering.of_type("aws:apigateway/apiKey:ApiKey")


def test_an_integration_quota_comes_from_config() -> None:
    rendering = render("dev", {"integrationQuotaPerDay": "500", "integrationRateLimit": "2.5",
                               "integrationBurstLimit": "5"})
    [plan] = rendering.of_type(PLAN)
    assert plan.inputs["quotaSettings"] == {"limit": 500, "period": "DAY"}
    assert plan.inputs["throttleSettings"] == {"rateLimit": 2.5, "burstLimit": 5}


def test_no_route_of_the_app_takes_a_body_on_a_method_the_waf_refuses_bodies_on() -> None:
    # The edge refuses bodies on these methods; a route that read one there would never get it.
    specs = [spec_of(entry.view_function) for methods in runtime_app.app.routes.values() for entry in methods.values()
             if face_of(entry.view_function) is None]  # the Mastodon face's routes take no JSON model bodies
    assert specs and all(spec is not None for spec in specs)  # every route declares what it takes
    assert [f"{s.method} {s.path}" for s in specs if s is not None and s.body is not None
            and s.method in BODYLESS_METHODS] == []
    assert any(s is not None and s.body is not None and s.method == "POST" for s in specs)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_distribution_is_guarded_by_the_edge_acl(stack: str, request: pytest.FixtureRequest) -> None:
    rendering: Rendering = request.getfixturevalue(stack)
    edge = _acls(rendering)["CLOUDFRONT"]
    distributions = rendering.of_type("aws:cloudfront/distribution:Distribution")
    # The site's (it routes the API) and each media CDN's: every public endpoint is behind WAF.
    prefix = f"social-{rendering.stack}"
    assert {d.name for d in distributions} >= {f"{prefix}-site-cdn", f"{prefix}-media-cdn"}
    assert [d.inputs.get("webAclId") for d in distributions] == [edge.outputs["arn"]] * len(distributions)


def test_a_previews_distribution_has_no_web_acl(preview: Rendering) -> None:
    assert all(d.inputs.get("webAclId") is None for d in preview.of_type("aws:cloudfront/distribution:Distribution"))
