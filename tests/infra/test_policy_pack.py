"""The policy pack (``policy/``) against the rendered stacks: every rule holds on dev, prod, a preview and the
account stack, and each rule reports a resource built to break it (a real recorded resource with exactly the
property the rule checks broken), naming the resource and what is wrong.

The adapter below hands the rules what the engine would (``pulumi_policy.policy._PolicyAnalyzerServicer``):
a resource rule gets one resource's inputs, a stack rule every resource's outputs, both with camelCase names
behind the SDK's unknown-checking proxies; PULUMI_STACK names the stack, as the CLI sets it for the pack.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import struct_pb2  # type: ignore[import-untyped]  # no stubs installed
from pulumi.runtime import proto
from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.policy import _PolicyAnalyzerServicer
from pulumi_policy.proxy import unknown_checking_proxy

from policy.pack import ENFORCEMENT_LEVEL, PACK_NAME, POLICIES
from stacks.mocks import RecordedResource, Rendering, render
from stacks.settings import PROJECT

ROOT = Path(__file__).resolve().parents[2]
OPTIONS = PolicyResourceOptions(protect=False, ignore_changes=[], delete_before_replace=None, aliases=[],
                                custom_timeouts=PolicyCustomTimeouts(0, 0, 0), additional_secret_outputs=[])
POLICY_NAMES = [p.name for p in POLICIES]


@dataclass(frozen=True)
class Violation:
    policy: str
    message: str
    urn: str | None


def urn_of(stack: str, resource: RecordedResource) -> str:
    return f"urn:pulumi:{stack}::{PROJECT}::{resource.type}::{resource.name}"


def _props(values: dict[str, Any]) -> Any:
    # What the analyzer does with the engine's properties: deserialize (assets, secrets), then proxy.
    return unknown_checking_proxy(deserialize_properties(copy.deepcopy(values)))


@contextmanager
def running_on(stack: str) -> Iterator[None]:
    """PULUMI_STACK as the CLI sets it for the pack's process."""
    previous = os.environ.get("PULUMI_STACK")
    os.environ["PULUMI_STACK"] = stack
    try:
        yield
    finally:
        if previous is None:
            del os.environ["PULUMI_STACK"]
        else:
            os.environ["PULUMI_STACK"] = previous


def evaluate(stack: str, resources: Sequence[RecordedResource],
             policies: Sequence[Policy] = POLICIES) -> list[Violation]:
    """Every violation ``policies`` report on ``resources`` of ``stack``, as the engine would run them."""
    found: list[Violation] = []
    resource_args = [ResourceValidationArgs(r.type, _props(r.inputs), urn_of(stack, r), r.name, OPTIONS, None)
                     for r in resources if r.custom]
    stack_args = StackValidationArgs([PolicyResource(r.type, _props(r.outputs), urn_of(stack, r), r.name, OPTIONS,
                                                     None, None, [], {}) for r in resources])
    with running_on(stack):
        for policy in policies:
            def report(message: str, urn: str | None = None, name: str = policy.name) -> None:
                found.append(Violation(name, message, urn))

            if isinstance(policy, ResourceValidationPolicy):
                for args in resource_args:
                    policy.validate(args, report)
            elif isinstance(policy, StackValidationPolicy):
                policy.validate(stack_args, report)
    return found


# Every rendering the pack must pass: the app on each kind of stack, the fixture app (every trigger kind) and a
# prod with a custom domain (its own certificate: the TLS minimum applies).
@pytest.fixture(scope="module")
def account() -> Rendering:
    return render("account-us-east-1")


@pytest.fixture(scope="module")
def prod_custom_domain() -> Rendering:
    return render("prod", {"webDomain": "app.example.org"})


CLEAN = ["dev", "prod", "preview", "account", "fixture_dev", "prod_custom_domain"]
_baselines: dict[str, list[Violation]] = {}


def baseline(rendering: Rendering) -> list[Violation]:
    """The violations of an unbroken rendering (none, unless a stack has a real problem)."""
    key = f"{rendering.stack}/{id(rendering)}"
    if key not in _baselines:
        _baselines[key] = evaluate(rendering.stack, rendering.resources)
    return _baselines[key]


@pytest.mark.parametrize("rendering_name", CLEAN)
@pytest.mark.parametrize("policy_name", POLICY_NAMES)
def test_every_rule_holds_on_every_stack(rendering_name: str, policy_name: str,
                                         request: pytest.FixtureRequest) -> None:
    rendering: Rendering = request.getfixturevalue(rendering_name)
    assert [v.message for v in baseline(rendering) if v.policy == policy_name] == []


# ---------------------------------------------------------------------------------------------------------------
# Violations: for each rule, resources built to break it (a recorded resource copied with one property broken).

Broken = tuple[list[RecordedResource], str, str]  # (resources, the resource the rule must name, words it must say)


@dataclass(frozen=True)
class Case:
    """A way to break ``policy``: ``build`` turns the unbroken rendering into broken resources."""

    policy: str
    stack: str  # the rendering's fixture
    build: Callable[[Rendering], Broken]
    label: str
    also: frozenset[str] = field(default_factory=frozenset)  # other rules the same breakage rightly trips


def _first(rendering: Rendering, type_token: str, where: Callable[[RecordedResource], bool] = lambda r: True
           ) -> RecordedResource:
    return next(r for r in rendering.of_type(type_token) if where(r))


def _changed(rendering: Rendering, target: RecordedResource, change: Callable[[dict[str, Any]], None]
             ) -> list[RecordedResource]:
    """The rendering's resources with ``target`` replaced by a copy whose inputs (and so outputs) ``change``."""
    inputs, outputs = copy.deepcopy(target.inputs), copy.deepcopy(target.outputs)
    change(inputs)
    change(outputs)
    broken = replace(target, inputs=inputs, outputs=outputs)
    return [broken if r is target else r for r in rendering.resources]


def _without(rendering: Rendering, target: RecordedResource) -> list[RecordedResource]:
    return [r for r in rendering.resources if r is not target]


def _with(rendering: Rendering, extra: RecordedResource) -> list[RecordedResource]:
    return [*rendering.resources, extra]


def _set(path: Sequence[str], value: Any) -> Callable[[dict[str, Any]], None]:
    """A change that sets ``props[path[0]]...[path[-1]] = value`` (None deletes it)."""
    def change(props: dict[str, Any]) -> None:
        for step in path[:-1]:
            props = props[step]
        if value is None:
            props.pop(path[-1], None)
        else:
            props[path[-1]] = value
    return change


def _bucket(rendering: Rendering, logical: str) -> RecordedResource:
    return rendering.named(f"social-{rendering.stack}-{logical}")


def _part(rendering: Rendering, bucket: str, part: str) -> RecordedResource:
    return rendering.named(f"social-{rendering.stack}-{bucket}-{part}")


def _main_queue(rendering: Rendering) -> RecordedResource:
    return _first(rendering, "aws:sqs/queue:Queue", lambda q: "redrivePolicy" in q.inputs)


def _function(rendering: Rendering, logical: str) -> RecordedResource:
    return rendering.named(f"social-{rendering.stack}-{logical}")


def _add_statement(statement: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    def change(props: dict[str, Any]) -> None:
        policy = json.loads(props["policy"])
        policy["Statement"].append(statement)
        props["policy"] = json.dumps(policy)
    return change


def _without_tls_statement(props: dict[str, Any]) -> None:
    policy = json.loads(props["policy"])
    policy["Statement"] = [s for s in policy["Statement"] if s.get("Sid") != "DenyInsecureTransport"]
    props["policy"] = json.dumps(policy)


def _s3_unencrypted(r: Rendering) -> Broken:
    return _without(r, _part(r, "media", "encryption")), _bucket(r, "media").name, "server-side encryption"


def _s3_plain_http(r: Rendering) -> Broken:
    return (_changed(r, _part(r, "media", "tls-only"), _without_tls_statement), _bucket(r, "media").name,
            "without TLS")


def _s3_public_policy(r: Rendering) -> Broken:
    return (_changed(r, _part(r, "uploads", "public-access"), _set(["blockPublicPolicy"], False)),
            _bucket(r, "uploads").name, "public access block")


def _s3_public_acl(r: Rendering) -> Broken:
    return (_changed(r, _bucket(r, "media"), _set(["acl"], "public-read")), _bucket(r, "media").name,
            "public canned ACL (public-read)")


def _s3_unversioned(r: Rendering) -> Broken:
    return _without(r, _part(r, "media", "versioning")), _bucket(r, "media").name, "versioning is not Enabled"


def _api_policy(r: Rendering) -> RecordedResource:
    return r.named(f"{_function(r, 'api-handler').name}-policy")


def _iam_star(r: Rendering) -> Broken:
    statement = {"Sid": "Everything", "Effect": "Allow", "Action": "*", "Resource": "*"}
    return _changed(r, _api_policy(r), _add_statement(statement)), _api_policy(r).name, "allows * on Resource '*'"


def _iam_star_star(r: Rendering) -> Broken:
    statement = {"Sid": "AllServices", "Effect": "Allow", "Action": ["dynamodb:GetItem", "*:*"], "Resource": ["*"]}
    return (_changed(r, _api_policy(r), _add_statement(statement)), _api_policy(r).name,
            "statement AllServices allows *:* on Resource '*'")


def _iam_not_action(r: Rendering) -> Broken:
    statement = {"Sid": "AllButIam", "Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}
    return (_changed(r, _api_policy(r), _add_statement(statement)), _api_policy(r).name,
            "allows with NotAction/NotResource")


def _iam_admin_attached(r: Rendering) -> Broken:
    attachment = _first(r, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    return (_changed(r, attachment, _set(["policyArn"], "arn:aws:iam::aws:policy/AdministratorAccess")),
            attachment.name, "attaches arn:aws:iam::aws:policy/AdministratorAccess")


def _sqs_unencrypted(r: Rendering) -> Broken:
    queue = _main_queue(r)
    return _changed(r, queue, _set(["sqsManagedSseEnabled"], False)), queue.name, "SQS-managed SSE"


def _sqs_no_redrive(r: Rendering) -> Broken:
    queue = _main_queue(r)
    return _changed(r, queue, _set(["redrivePolicy"], None)), queue.name, "no redrive policy"


def _sqs_redrive_elsewhere(r: Rendering) -> Broken:
    queue = _main_queue(r)
    elsewhere = json.dumps({"deadLetterTargetArn": "arn:aws:sqs:us-east-1:999999999999:elsewhere",
                            "maxReceiveCount": 5})
    return (_changed(r, queue, _set(["redrivePolicy"], elsewhere)), queue.name,
            "arn:aws:sqs:us-east-1:999999999999:elsewhere, which is not a queue of this stack")


def _sns_unencrypted(r: Rendering) -> Broken:
    topic = r.named(f"social-{r.stack}-domain-events-topic")
    return _changed(r, topic, _set(["kmsMasterKeyId"], None)), topic.name, "allows sns:Publish"


def _lambda_untraced(r: Rendering) -> Broken:
    function = _function(r, "api-handler")
    return (_changed(r, function, _set(["tracingConfig", "mode"], "PassThrough")), function.name,
            "tracing is PassThrough, not Active")


def _lambda_unmanaged_logs(r: Rendering) -> Broken:
    function = _function(r, "api-handler")
    group = r.named(f"{function.name}-logs")
    return _without(r, group), function.name, f"/aws/lambda/{function.name} is not a resource of the stack"


def _lambda_logs_forever(r: Rendering) -> Broken:
    function = _function(r, "api-handler")
    group = r.named(f"{function.name}-logs")
    return (_changed(r, group, _set(["retentionInDays"], None)), function.name,
            f"/aws/lambda/{function.name} has no retention")


def _lambda_async_without_destination(r: Rendering) -> Broken:
    # S3 may now invoke the API's function asynchronously, which has no on-failure destination.
    function = _function(r, "api-handler")
    permission = _first(r, "aws:lambda/permission:Permission", lambda p: p.inputs["principal"] == "s3.amazonaws.com")
    extra = replace(permission, name=f"{function.name}-allow-s3", inputs={**permission.inputs,
                                                                          "function": function.inputs["name"]},
                    outputs={**permission.outputs, "function": function.inputs["name"]})
    return _with(r, extra), function.name, "invoked asynchronously by s3.amazonaws.com"


def _stream_retries_forever(r: Rendering) -> Broken:
    mapping = _first(r, "aws:lambda/eventSourceMapping:EventSourceMapping",
                     lambda m: ":dynamodb:" in m.inputs["eventSourceArn"])
    return (_changed(r, mapping, _set(["maximumRetryAttempts"], -1)), mapping.name, "unbounded retries")


def _site(r: Rendering) -> RecordedResource:
    return r.named(f"social-{r.stack}-site-cdn")


def _distribution_without_waf(r: Rendering) -> Broken:
    return _changed(r, _site(r), _set(["webAclId"], None)), _site(r).name, "without a WAF web ACL"


def _stage_without_waf(r: Rendering) -> Broken:
    association = _first(r, "aws:wafv2/webAclAssociation:WebAclAssociation")
    stage = _first(r, "aws:apigateway/stage:Stage")
    return _without(r, association), stage.name, "without a WAF web ACL association"


def _http_viewers(r: Rendering) -> Broken:
    return (_changed(r, _site(r), _set(["defaultCacheBehavior", "viewerProtocolPolicy"], "allow-all")),
            _site(r).name, "behaviour default lets viewers use HTTP (viewerProtocolPolicy allow-all)")


def _http_origin(r: Rendering) -> Broken:
    def change(props: dict[str, Any]) -> None:
        for origin in props["origins"]:
            if origin["originId"] == "api":
                origin["customOriginConfig"]["originProtocolPolicy"] = "http-only"
    return _changed(r, _site(r), change), _site(r).name, "origin api is reached over http-only"


def _old_viewer_tls(r: Rendering) -> Broken:
    certificate = {"acmCertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/x",
                   "sslSupportMethod": "sni-only", "minimumProtocolVersion": "TLSv1"}
    return (_changed(r, _site(r), _set(["viewerCertificate"], certificate)), _site(r).name,
            "viewers may use TLSv1 TLS")


def _old_origin_tls(r: Rendering) -> Broken:
    def change(props: dict[str, Any]) -> None:
        for origin in props["origins"]:
            if origin["originId"] == "api":
                origin["customOriginConfig"]["originSslProtocols"] = ["TLSv1", "TLSv1.2"]
    return _changed(r, _site(r), change), _site(r).name, "origin api accepts TLSv1; TLSv1.2 only"


def _stage(r: Rendering) -> RecordedResource:
    return _first(r, "aws:apigateway/stage:Stage")


def _stage_unlogged(r: Rendering) -> Broken:
    return _changed(r, _stage(r), _set(["accessLogSettings"], None)), _stage(r).name, "no access logs"


def _stage_untraced(r: Rendering) -> Broken:
    return _changed(r, _stage(r), _set(["xrayTracingEnabled"], False)), _stage(r).name, "X-Ray tracing is off"


def _instance(r: Rendering) -> RecordedResource:
    return _first(r, "aws:rds/instance:Instance")


def _rds_unencrypted(r: Rendering) -> Broken:
    return _changed(r, _instance(r), _set(["storageEncrypted"], False)), _instance(r).name, "not encrypted"


def _rds_public(r: Rendering) -> Broken:
    return _changed(r, _instance(r), _set(["publiclyAccessible"], True)), _instance(r).name, "publicly accessible"


def _proxy_plain(r: Rendering) -> Broken:
    proxy = _first(r, "aws:rds/proxy:Proxy")
    return _changed(r, proxy, _set(["requireTls"], False)), proxy.name, "without TLS (requireTls)"


def _postgres_plain(r: Rendering) -> Broken:
    group = _first(r, "aws:rds/parameterGroup:ParameterGroup")
    return (_changed(r, group, _set(["parameters"], [{"name": "rds.force_ssl", "value": "0"}])), group.name,
            "rds.force_ssl is not 1")


def _domain(r: Rendering) -> RecordedResource:
    return _first(r, "aws:opensearch/domain:Domain")


def _search_unencrypted(r: Rendering) -> Broken:
    return (_changed(r, _domain(r), _set(["encryptAtRest", "enabled"], False)), _domain(r).name,
            "not encrypted at rest")


def _search_plain_nodes(r: Rendering) -> Broken:
    return (_changed(r, _domain(r), _set(["nodeToNodeEncryption", "enabled"], False)), _domain(r).name,
            "between nodes is not encrypted")


def _search_old_tls(r: Rendering) -> Broken:
    return (_changed(r, _domain(r), _set(["domainEndpointOptions", "tlsSecurityPolicy"],
                                         "Policy-Min-TLS-1-0-2019-07")), _domain(r).name, "TLS below 1.2")


def _rds_unprotected(r: Rendering) -> Broken:
    return _changed(r, _instance(r), _set(["deletionProtection"], False)), _instance(r).name, "deletion protection"


def _rds_short_backups(r: Rendering) -> Broken:
    return (_changed(r, _instance(r), _set(["backupRetentionPeriod"], 1.0)), _instance(r).name,
            "keeps 1.0 days of backups")


def _table(r: Rendering) -> RecordedResource:
    return _first(r, "aws:dynamodb/table:Table")


def _table_without_pitr(r: Rendering) -> Broken:
    return (_changed(r, _table(r), _set(["pointInTimeRecovery", "enabled"], False)), _table(r).name,
            "point-in-time recovery is off")


def _table_unprotected(r: Rendering) -> Broken:
    return (_changed(r, _table(r), _set(["deletionProtectionEnabled"], False)), _table(r).name,
            "deletion protection is off")


def _pool_unprotected(r: Rendering) -> Broken:
    pool = _first(r, "aws:cognito/userPool:UserPool")
    return _changed(r, pool, _set(["deletionProtection"], "INACTIVE")), pool.name, "deletion protection"


def _open_ingress(r: Rendering) -> Broken:
    rule = _first(r, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")

    def change(props: dict[str, Any]) -> None:
        props.pop("referencedSecurityGroupId", None)
        props["cidrIpv4"] = "0.0.0.0/0"
    return _changed(r, rule, change), rule.name, "ingress open to 0.0.0.0/0"


CASES = [
    Case("s3-bucket-encrypted", "dev", _s3_unencrypted, "no SSE configuration"),
    Case("s3-bucket-tls-only", "dev", _s3_plain_http, "no deny of plain HTTP"),
    Case("s3-bucket-private", "dev", _s3_public_policy, "a public access block flag off"),
    Case("s3-bucket-private", "dev", _s3_public_acl, "a public canned ACL"),
    Case("s3-bucket-versioned-in-prod", "prod", _s3_unversioned, "no versioning"),
    # Allowed every action, the API's function could publish to the (unencrypted, alarm-only) alarm topic too.
    Case("iam-no-wildcard-admin", "dev", _iam_star, "* on *", also=frozenset({"sns-topic-encrypted"})),
    Case("iam-no-wildcard-admin", "dev", _iam_star_star, "*:* on *", also=frozenset({"sns-topic-encrypted"})),
    Case("iam-no-wildcard-admin", "dev", _iam_not_action, "NotAction"),
    Case("iam-no-wildcard-admin", "account", _iam_admin_attached, "AdministratorAccess"),
    Case("sqs-queue-encrypted", "dev", _sqs_unencrypted, "SSE off"),
    # Without its redrive, the queue's DLQ is parked in by nothing: it is reported too, as a queue without one.
    Case("sqs-queue-has-dlq", "dev", _sqs_no_redrive, "no redrive"),
    Case("sqs-queue-has-dlq", "dev", _sqs_redrive_elsewhere, "redrive to another account"),
    Case("sns-topic-encrypted", "dev", _sns_unencrypted, "no KMS key"),
    Case("lambda-active-tracing", "dev", _lambda_untraced, "PassThrough"),
    Case("lambda-log-group-retention", "dev", _lambda_unmanaged_logs, "no log group"),
    Case("lambda-log-group-retention", "dev", _lambda_logs_forever, "no retention"),
    Case("lambda-failures-parked", "fixture_dev", _lambda_async_without_destination, "async without destination"),
    Case("lambda-failures-parked", "dev", _stream_retries_forever, "stream retries forever"),
    Case("public-endpoint-waf", "dev", _distribution_without_waf, "distribution"),
    Case("public-endpoint-waf", "prod", _stage_without_waf, "stage"),
    Case("cloudfront-https-only", "dev", _http_viewers, "viewers"),
    Case("cloudfront-https-only", "dev", _http_origin, "origin"),
    Case("cloudfront-modern-tls", "dev", _old_viewer_tls, "viewer TLS"),
    Case("cloudfront-modern-tls", "dev", _old_origin_tls, "origin TLS"),
    Case("api-stage-logged-and-traced", "dev", _stage_unlogged, "access logs"),
    Case("api-stage-logged-and-traced", "dev", _stage_untraced, "X-Ray"),
    Case("rds-encrypted-and-private", "prod", _rds_unencrypted, "unencrypted"),
    Case("rds-encrypted-and-private", "account", _rds_public, "public"),
    Case("database-tls-only", "prod", _proxy_plain, "proxy"),
    Case("database-tls-only", "prod", _postgres_plain, "parameter group"),
    Case("opensearch-encrypted", "prod", _search_unencrypted, "at rest"),
    Case("opensearch-encrypted", "account", _search_plain_nodes, "node to node"),
    Case("opensearch-encrypted", "prod", _search_old_tls, "TLS 1.0"),
    Case("rds-prod-protected", "prod", _rds_unprotected, "deletion protection"),
    Case("rds-prod-protected", "prod", _rds_short_backups, "backups"),
    Case("dynamodb-prod-protected", "prod", _table_without_pitr, "PITR"),
    Case("dynamodb-prod-protected", "prod", _table_unprotected, "deletion protection"),
    Case("user-pool-prod-protected", "prod", _pool_unprotected, "deletion protection"),
    Case("no-open-ingress", "prod", _open_ingress, "0.0.0.0/0"),
]


def test_every_rule_has_a_violation_case_and_a_unique_name() -> None:
    assert len(set(POLICY_NAMES)) == len(POLICY_NAMES)
    assert {c.policy for c in CASES} == set(POLICY_NAMES)


@pytest.mark.parametrize("case", CASES, ids=[f"{c.policy}:{c.label}" for c in CASES])
def test_each_rule_reports_a_resource_built_to_break_it(case: Case, request: pytest.FixtureRequest) -> None:
    rendering: Rendering = request.getfixturevalue(case.stack)
    resources, culprit, words = case.build(rendering)
    found = evaluate(rendering.stack, resources)
    mine = [v for v in found if v.policy == case.policy]
    assert any(v.message.startswith(f"{culprit} (") and words in v.message for v in mine), (
        f"{case.policy} did not report {culprit!r} with {words!r}: {[v.message for v in mine]}")
    # Stack rules point the engine at the resource: its URN.
    for violation in mine:
        if violation.urn is not None:
            assert violation.urn.endswith(f"::{violation.message.split(' (')[0]}")
    # Only this rule (and the ones the case names) sees anything new.
    before = {(v.policy, v.message) for v in baseline(rendering)}
    others = {(v.policy, v.message) for v in found if v.policy != case.policy} - before
    assert {policy for policy, _ in others} <= case.also, others


PROD_ONLY = ("s3-bucket-versioned-in-prod", "rds-prod-protected", "dynamodb-prod-protected", "user-pool-prod-protected")


@pytest.mark.parametrize("case", [c for c in CASES if c.policy in PROD_ONLY], ids=lambda c: f"{c.policy}:{c.label}")
def test_prod_only_rules_leave_other_stacks_alone(case: Case, prod: Rendering) -> None:
    resources, _, _ = case.build(prod)
    assert [v for v in evaluate("dev", resources) if v.policy == case.policy] == []
    assert [v for v in evaluate("preview-feature-x", resources) if v.policy == case.policy] == []


def test_previews_need_no_waf_but_dev_and_prod_do(preview: Rendering) -> None:
    waf = [p for p in POLICIES if p.name == "public-endpoint-waf"]
    assert evaluate(preview.stack, preview.resources, waf) == []
    assert len(evaluate("dev", preview.resources, waf)) == len(preview.of_type(
        "aws:cloudfront/distribution:Distribution")) + len(preview.of_type("aws:apigateway/stage:Stage"))


# ---------------------------------------------------------------------------------------------------------------
# Enforcement, through the SDK's own analyzer servicer (what `pulumi preview --policy-pack policy` talks to).

def cli_policy_config(path: Path) -> dict[str, EnforcementLevel]:
    """What the CLI makes of a --policy-pack-config file: "all" applies to every policy, then each policy's
    own key (pulumi's analyzer config.go, applyConfig); each level is sent to the pack."""
    given: dict[str, Any] = json.loads(path.read_text())

    def level(value: Any) -> EnforcementLevel:
        return EnforcementLevel(value if isinstance(value, str) else value["enforcementLevel"])

    levels = {name: level(given["all"]) if "all" in given else ENFORCEMENT_LEVEL for name in POLICY_NAMES}
    return levels | {name: level(value) for name, value in given.items() if name != "all"}


def _servicer(config: dict[str, EnforcementLevel] | None = None) -> Any:
    """The SDK's analyzer (its gRPC methods are untyped, hence Any), configured as the CLI would."""
    servicer: Any = _PolicyAnalyzerServicer(PACK_NAME, "1.0.0", list(POLICIES), ENFORCEMENT_LEVEL)
    if config is not None:
        levels = {proto.ADVISORY: EnforcementLevel.ADVISORY, proto.MANDATORY: EnforcementLevel.MANDATORY}
        by_level = {v: k for k, v in levels.items()}
        servicer.Configure(proto.ConfigureAnalyzerRequest(policyConfig={
            name: proto.PolicyConfig(enforcementLevel=by_level[value]) for name, value in config.items()}), None)
    return servicer


def _analyze(servicer: Any, stack: str, resource: RecordedResource) -> Any:
    properties = struct_pb2.Struct()
    properties.update(json.loads(json.dumps(resource.inputs)))
    with running_on(stack):
        return servicer.Analyze(proto.AnalyzeRequest(urn=urn_of(stack, resource), type=resource.type,
                                                     name=resource.name, properties=properties), None)


def _untraced(rendering: Rendering) -> RecordedResource:
    resources, name, _ = _lambda_untraced(rendering)
    return next(r for r in resources if r.name == name)


def test_the_pack_is_mandatory_by_default_and_every_rule_is_declared(dev: Rendering) -> None:
    info = _servicer().GetAnalyzerInfo(None, None)
    assert info.name == PACK_NAME and info.supportsConfig
    assert sorted(p.name for p in info.policies) == sorted(POLICY_NAMES)
    assert {p.enforcementLevel for p in info.policies} == {proto.MANDATORY}
    response = _analyze(_servicer(), "dev", _untraced(dev))
    [diagnostic] = response.diagnostics
    assert diagnostic.policyName == "lambda-active-tracing" and diagnostic.enforcementLevel == proto.MANDATORY
    # The engine's camelCase properties reach the rule; the message leads with the rule's description.
    assert diagnostic.message.startswith("Every Lambda function has X-Ray active tracing.\n")
    assert "tracing is PassThrough, not Active" in diagnostic.message


def test_previews_config_makes_every_rule_advisory(preview: Rendering) -> None:
    config = cli_policy_config(ROOT / "policy" / "preview.json")
    assert set(config.values()) == {EnforcementLevel.ADVISORY} and set(config) == set(POLICY_NAMES)
    response = _analyze(_servicer(config), preview.stack, _untraced(preview))
    [diagnostic] = response.diagnostics
    assert diagnostic.policyName == "lambda-active-tracing" and diagnostic.enforcementLevel == proto.ADVISORY


def test_stack_rules_run_through_the_servicer_too(dev: Rendering) -> None:
    resources, culprit, _ = _s3_unencrypted(dev)
    request = proto.AnalyzeStackRequest()
    for resource in resources:
        properties = struct_pb2.Struct()
        properties.update(json.loads(json.dumps(resource.outputs, default=str)))
        request.resources.append(proto.AnalyzerResource(urn=urn_of("dev", resource), type=resource.type,
                                                        name=resource.name, properties=properties))
    with running_on("dev"):
        response = _servicer().AnalyzeStack(request, None)
    reported = {(d.policyName, d.urn) for d in response.diagnostics}
    bucket = next(r for r in resources if r.name == culprit)
    assert ("s3-bucket-encrypted", urn_of("dev", bucket)) in reported
