"""WAF: a web ACL at the edge (CloudFront) and one on the REST API's stage, with the same rules.

Rules, in the order WAF evaluates them (cheap blocks first, then the managed groups' inspection):

1. ``per-ip-rate``: requests per source IP (``aggregate_key_type="IP"``).
2. ``per-user-rate``: requests per caller token, keyed on the ``Authorization`` header (``CUSTOM_KEYS``
   with one header key; AWS's RateBasedStatementCustomKey: "each distinct value in the header contributes to
   the aggregation instance", and a request *without* the header is left out of the rule). A token stands
   for its user for its lifetime (an hour): a refresh starts a new count, which at worst doubles the limit
   for a minute.
3. ``no-body-where-none-is-taken``: GET, HEAD, DELETE and OPTIONS carrying a body are blocked (no route of
   the contract reads one on those methods; a body there is someone probing the parsers).
4. AWS managed rule groups: common (``AWSManagedRulesCommonRuleSet``), known bad inputs and SQL injection.
   The common set's ``SizeRestrictions_BODY`` blocks bodies over 8 KB; the API takes up to
   ``maxBodyBytes`` (64 KB by default; API Gateway and the app refuse more with the contract's 413), so
   that one rule only counts.

Rate limits (AWS WAF developer guide, "Rate-based rule high-level settings"): a rate-based rule counts
requests over an evaluation window of 60, 120, 300 or 600 seconds (300 by default), looking back from now
and checked about every 10 seconds, and its limit is at least 10 requests per window. The settings state
requests per second (the seed's 1,000 per user); here they become a limit per 60-second window, the
shortest one (it reacts fastest): ``limit = per_second * 60``, so 1,000/s is 60,000 per minute. A caller
can burst above the per-second figure within the minute as long as the minute's total stays under it.

Capacity: a web ACL's price covers 1,500 WCUs (more cost extra per request: AWS WAF developer guide, "Web
ACL capacity units"). The three groups take 700, 200 and 200 as AWS's managed rule group list states them; the
rate and body rules a few dozen more: about 1,150 in all (``wafv2 check-capacity`` confirms it against AWS).

Scopes: a CLOUDFRONT web ACL must be created in us-east-1 whatever the stack's region (``scope``'s
documentation in ``pulumi_aws/wafv2/web_acl.py``: "To work with CloudFront, you must also specify the
region us-east-1"); pulumi-aws 7 takes a ``region`` on every resource, so the edge ACL sets
``region="us-east-1"`` rather than needing a second provider. It is handed to the distribution by ARN
(``edge_acl_arn``: a distribution's ``web_acl_id`` takes a WAFv2 ACL's ARN). The REGIONAL one is associated
with the stage, whose ARN for WAF is ``arn:aws:apigateway:<region>::/restapis/<api-id>/stages/<stage>``
(AssociateWebACL).

Through the distribution, the regional ACL sees CloudFront's edge addresses as the source IP: there the
per-IP rule is the edge ACL's; the regional one guards callers that reach execute-api directly.

Usage::

    waf = Waf("social-dev-waf", WafArgs(settings), opts)   # before the distributions that need the edge ACL
    waf.edge_acl_arn                                         # for each distribution's web_acl_id
    waf.protect(api.rest_api.id, api.stage.stage_name)       # once the API exists: the regional association
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

import pulumi
import pulumi_aws as aws

from stacks.settings import StackSettings

EDGE_REGION = "us-east-1"  # CloudFront's web ACLs (and certificates) live here, whatever the stack's region
WINDOW_SECONDS = 60  # WAF's shortest evaluation window (60, 120, 300 or 600)
MIN_LIMIT = 10  # WAF's lowest rate limit per window
MAX_LIMIT = 2_000_000_000  # WAF's highest
USER_KEY_HEADER = "authorization"
MANAGED_GROUPS = ("AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet",
                  "AWSManagedRulesSQLiRuleSet")
# Rules of a managed group that only count here, with why: the API's own limits decide.
COUNT_ONLY = {"AWSManagedRulesCommonRuleSet": ("SizeRestrictions_BODY",)}
BODYLESS_METHODS = ("GET", "HEAD", "DELETE", "OPTIONS")
# WAF's own blocks answer in the contract's error shape (WAF's default is a bare 403): these bodies, by key.
RESPONSES: dict[str, tuple[int, str, str]] = {
    "throttled": (429, "throttled", "too many requests; retry later"),
    "unexpected_body": (400, "bad_request", "a GET, HEAD, DELETE or OPTIONS request takes no body"),
}

Scope = Literal["CLOUDFRONT", "REGIONAL"]


def window_limit(per_second: int) -> int:
    """A per-second rate as WAF's limit per ``WINDOW_SECONDS`` window (1,000/s -> 60,000 a minute)."""
    limit = per_second * WINDOW_SECONDS
    if not MIN_LIMIT <= limit <= MAX_LIMIT:
        raise ValueError(f"{per_second}/s is {limit} per {WINDOW_SECONDS} s; WAF takes {MIN_LIMIT}..{MAX_LIMIT}")
    return limit


def stage_arn(region: str, rest_api_id: pulumi.Input[str], stage_name: pulumi.Input[str]) -> pulumi.Output[str]:
    """The stage's ARN as WAF's AssociateWebACL takes it (not the execute-api ARN of its methods)."""
    return pulumi.Output.concat("arn:aws:apigateway:", region, "::/restapis/", rest_api_id, "/stages/", stage_name)


def _visibility(metric: str) -> aws.wafv2.WebAclRuleVisibilityConfigArgsDict:
    return {"cloudwatch_metrics_enabled": True, "metric_name": metric, "sampled_requests_enabled": True}


def rules(settings: StackSettings, metric_prefix: str) -> list[aws.wafv2.WebAclRuleArgsDict]:
    """The rules both ACLs carry, in evaluation order (see the module's docstring)."""
    def block(key: str) -> aws.wafv2.WebAclRuleActionArgsDict:
        return {"block": {"custom_response": {"response_code": RESPONSES[key][0], "custom_response_body_key": key}}}

    found: list[aws.wafv2.WebAclRuleArgsDict] = [
        {"name": "per-ip-rate", "priority": 0, "action": block("throttled"),
         "statement": {"rate_based_statement": {
             "aggregate_key_type": "IP", "evaluation_window_sec": WINDOW_SECONDS,
             "limit": window_limit(settings.waf_ip_requests_per_second)}},
         "visibility_config": _visibility(f"{metric_prefix}-per-ip-rate")},
        {"name": "per-user-rate", "priority": 1, "action": block("throttled"),
         "statement": {"rate_based_statement": {
             "aggregate_key_type": "CUSTOM_KEYS", "evaluation_window_sec": WINDOW_SECONDS,
             "limit": window_limit(settings.waf_user_requests_per_second),
             "custom_keys": [{"header": {"name": USER_KEY_HEADER,
                                         "text_transformations": [{"priority": 0, "type": "NONE"}]}}]}},
         "visibility_config": _visibility(f"{metric_prefix}-per-user-rate")},
        {"name": "no-body-where-none-is-taken", "priority": 2, "action": block("unexpected_body"),
         "statement": {"and_statement": {"statements": [
             {"regex_match_statement": {
                 "regex_string": f"^({'|'.join(BODYLESS_METHODS)})$", "field_to_match": {"method": {}},
                 "text_transformations": [{"priority": 0, "type": "NONE"}]}},
             # A body beyond what WAF inspects is still a body: oversize requests match.
             {"size_constraint_statement": {
                 "comparison_operator": "GT", "size": 0,
                 "field_to_match": {"body": {"oversize_handling": "MATCH"}},
                 "text_transformations": [{"priority": 0, "type": "NONE"}]}},
         ]}},
         "visibility_config": _visibility(f"{metric_prefix}-no-body")},
    ]
    for offset, group in enumerate(MANAGED_GROUPS):
        found.append({
            "name": group, "priority": 10 + offset, "override_action": {"none": {}},
            "statement": {"managed_rule_group_statement": {
                "vendor_name": "AWS", "name": group,
                "rule_action_overrides": [{"name": rule, "action_to_use": {"count": {}}}
                                          for rule in COUNT_ONLY.get(group, ())]}},
            "visibility_config": _visibility(f"{metric_prefix}-{group}")})
    return found


@dataclass(frozen=True)
class WafArgs:
    """The environment (the REST API stage the regional ACL protects comes later: ``Waf.protect``)."""

    settings: StackSettings


class Waf(pulumi.ComponentResource):
    """A CLOUDFRONT web ACL (in us-east-1, for the distribution) and a REGIONAL one on the API's stage."""

    edge: aws.wafv2.WebAcl
    api: aws.wafv2.WebAcl
    association: aws.wafv2.WebAclAssociation | None
    edge_acl_arn: pulumi.Output[str]

    def __init__(self, name: str, args: WafArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("social:waf:Waf", name, None, opts)
        settings = args.settings
        child = pulumi.ResourceOptions(parent=self)
        self.edge = self._acl(settings, "edge", "CLOUDFRONT", child)
        self.api = self._acl(settings, "api", "REGIONAL", child)
        self.association = None
        self.edge_acl_arn = self.edge.arn
        self._settings = settings
        self.register_outputs({"edgeWebAclArn": self.edge.arn, "apiWebAclArn": self.api.arn})

    def protect(self, rest_api_id: pulumi.Input[str], stage_name: pulumi.Input[str]) -> aws.wafv2.WebAclAssociation:
        """Associate the regional ACL with the API's stage. The ACLs exist before the API (the distributions made
        earlier need the edge one), so the association comes once the stage does."""
        self.association = aws.wafv2.WebAclAssociation(
            self._settings.namer.name("api-waf"),
            resource_arn=stage_arn(self._settings.region, rest_api_id, stage_name),
            web_acl_arn=self.api.arn,
            opts=pulumi.ResourceOptions(parent=self),
        )
        return self.association

    @staticmethod
    def _acl(settings: StackSettings, role: str, scope: Scope, child: pulumi.ResourceOptions) -> aws.wafv2.WebAcl:
        namer = settings.namer
        metric = namer.name(f"waf-{role}", 128)
        return aws.wafv2.WebAcl(
            namer.name(f"waf-{role}"),
            name=namer.name(f"waf-{role}", 128),
            description=f"{scope.lower()} web ACL of {settings.stack}",
            scope=scope,
            # CLOUDFRONT ACLs exist only in us-east-1; a REGIONAL one lives beside the API.
            region=EDGE_REGION if scope == "CLOUDFRONT" else settings.region,
            default_action={"allow": {}},
            custom_response_bodies=[
                {"key": key, "content_type": "APPLICATION_JSON",
                 "content": json.dumps({"error": {"code": code, "message": message}})}
                for key, (_, code, message) in RESPONSES.items()],
            rules=rules(settings, metric),
            visibility_config={"cloudwatch_metrics_enabled": True, "metric_name": metric,
                               "sampled_requests_enabled": True},
            tags=namer.tags(component="waf"),
            opts=child,
        )
