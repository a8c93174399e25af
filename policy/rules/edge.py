"""The public edge: CloudFront distributions and the REST API's stage.

WAF: on dev and prod every distribution and every REST API stage has a web ACL (``stacks/waf.py``: an edge
ACL in us-east-1, a regional one associated with the stage). Previews are exempt by design: they run with
``waf`` off (``StackSettings.cheapest``: two ACLs cost ~$22 a month whatever the traffic) and are disposable.
WebSocket (API Gateway v2) stages cannot take a web ACL (WAF protects REST stages, not v2 APIs); browsers reach
the WebSocket through the site's distribution, whose ACL guards it.

Transport: viewers and API origins on HTTPS only; with a custom certificate, TLS 1.2 (2021 policy) or newer;
API origins over TLS 1.2. The default ``*.cloudfront.net`` certificate cannot be given a minimum version.
The stage logs every request (access logs) and traces it (X-Ray).
"""

from __future__ import annotations

from collections.abc import Sequence

from pulumi_policy.policy import PolicyResource

from policy.rules.common import DEV, PROD, Props, by_type, environment, get, items, resource_rule, stack_rule

DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
REST_STAGE = "aws:apigateway/stage:Stage"
ACL_ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"
HTTPS_VIEWER_POLICIES = ("redirect-to-https", "https-only")
MODERN_VIEWER_TLS = ("TLSv1.2_2021", "TLSv1.2_2025", "TLSv1.3_2025")
MODERN_ORIGIN_TLS = ("TLSv1.2",)


def _stage_arn_suffix(stage: PolicyResource) -> str:
    # WAF's AssociateWebACL names a stage arn:aws:apigateway:<region>::/restapis/<api-id>/stages/<stage>.
    return f"/restapis/{stage.props.get('restApi')}/stages/{stage.props.get('stageName')}"


def _waf(resources: Sequence[PolicyResource]) -> list[tuple[PolicyResource, str]]:
    found = []
    for distribution in by_type(resources, DISTRIBUTION):
        if not distribution.props.get("webAclId"):
            found.append((distribution, "a public distribution without a WAF web ACL (webAclId)"))
    associations = by_type(resources, ACL_ASSOCIATION)
    for stage in by_type(resources, REST_STAGE):
        suffix = _stage_arn_suffix(stage)
        if not any(str(a.props.get("resourceArn")).endswith(suffix) and a.props.get("webAclArn")
                   for a in associations):
            found.append((stage, "a public REST API stage without a WAF web ACL association"))
    return found


def _behaviours(props: Props) -> list[Props]:
    return [b for b in (props.get("defaultCacheBehavior"), *items(props.get("orderedCacheBehaviors"))) if b]


def _https_only(props: Props) -> list[str]:
    problems = [f"behaviour {get(b, 'pathPattern') or 'default'} lets viewers use HTTP "
                f"(viewerProtocolPolicy {get(b, 'viewerProtocolPolicy')})"
                for b in _behaviours(props) if get(b, "viewerProtocolPolicy") not in HTTPS_VIEWER_POLICIES]
    for origin in items(props.get("origins")):
        custom = get(origin, "customOriginConfig")
        if custom and get(custom, "originProtocolPolicy") != "https-only":
            problems.append(f"origin {get(origin, 'originId')} is reached over "
                            f"{get(custom, 'originProtocolPolicy')}, not https-only")
    return problems


def _modern_tls(props: Props) -> list[str]:
    problems = []
    certificate = props.get("viewerCertificate")
    custom_certificate = get(certificate, "acmCertificateArn") or get(certificate, "iamCertificateId")
    version = get(certificate, "minimumProtocolVersion")
    if custom_certificate and version not in MODERN_VIEWER_TLS:
        problems.append(f"viewers may use {version or 'the default'} TLS; at least TLSv1.2_2021 is required")
    for origin in items(props.get("origins")):
        protocols = [str(p) for p in items(get(origin, "customOriginConfig", "originSslProtocols"))]
        old = [p for p in protocols if p not in MODERN_ORIGIN_TLS]
        if old:
            problems.append(f"origin {get(origin, 'originId')} accepts {', '.join(old)}; TLSv1.2 only")
    return problems


def _stage_observed(props: Props) -> list[str]:
    problems = []
    if not get(props, "accessLogSettings", "destinationArn") or not get(props, "accessLogSettings", "format"):
        problems.append("no access logs (accessLogSettings with a destination and a format)")
    if props.get("xrayTracingEnabled") is not True:
        problems.append("X-Ray tracing is off (xrayTracingEnabled)")
    return problems


PUBLIC_ENDPOINT_WAF = stack_rule(
    "public-endpoint-waf", "On dev and prod, every CloudFront distribution and REST API stage has a WAF web ACL "
    "(previews run without WAF by design).", _waf, applies=lambda: environment() in (DEV, PROD))
CLOUDFRONT_HTTPS_ONLY = resource_rule(
    "cloudfront-https-only", "CloudFront serves viewers over HTTPS only and reaches custom origins over HTTPS "
    "only.", (DISTRIBUTION,), _https_only)
CLOUDFRONT_MODERN_TLS = resource_rule(
    "cloudfront-modern-tls", "CloudFront requires TLSv1.2_2021 or newer with a custom certificate, and speaks "
    "TLSv1.2 to custom origins.", (DISTRIBUTION,), _modern_tls)
API_STAGE_OBSERVED = resource_rule(
    "api-stage-logged-and-traced", "Every REST API stage writes access logs and traces with X-Ray.", (REST_STAGE,),
    _stage_observed)

POLICIES = (PUBLIC_ENDPOINT_WAF, CLOUDFRONT_HTTPS_ONLY, CLOUDFRONT_MODERN_TLS, API_STAGE_OBSERVED)
