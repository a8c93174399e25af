"""Print, offline, every resource a stack would create: type, name and key settings, then a count.

Runs the real Pulumi program under mocks (no Pulumi CLI, no AWS account).

Usage::

    python -m tools.plan --stack prod
    python -m tools.plan --stack preview-feature-x --config lambdaMemoryMb=256
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from stacks.mocks import RecordedResource, Rendering, render  # after the path fix above


def _get(inputs: dict[str, Any], path: str) -> Any:
    value: Any = inputs
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _redrive(inputs: dict[str, Any]) -> str | None:
    raw = inputs.get("redrivePolicy")
    return f"maxReceives={json.loads(raw)['maxReceiveCount']}" if raw else None


def _policy(inputs: dict[str, Any]) -> str:
    statements = json.loads(inputs.get("policy", "{}")).get("Statement", [])
    return "; ".join(f"{s['Sid']}({len(s['Action'])} actions)" for s in statements)


def _vpc(inputs: dict[str, Any]) -> str | None:
    config = inputs.get("vpcConfig")
    return f"vpc={len(config.get('subnetIds', []))} subnets" if config else None


def _routes(inputs: dict[str, Any]) -> str | None:
    # stacks/functions.py describes an API function as "api: app.app serving <n> routes".
    found = re.search(r"serving (\d+) routes", inputs.get("description") or "")
    return f"routes={found.group(1)}" if found else None


def _rule(inputs: dict[str, Any]) -> str:
    peer = inputs.get("referencedSecurityGroupId") or inputs.get("prefixListId") or inputs.get("cidrIpv4")
    return f"tcp/{int(inputs.get('fromPort') or 0)} {peer}"


def _queue_policy(inputs: dict[str, Any]) -> str:
    senders = []
    for statement in json.loads(inputs.get("policy", "{}")).get("Statement", []):
        source = statement.get("Condition", {}).get("ArnEquals", {}).get("aws:SourceArn", [])
        principal = statement.get("Principal", {}).get("Service", "?")
        for arn in [source] if isinstance(source, str) else source:
            senders.append(f"{principal} from {arn.rsplit(':', 1)[-1]}")
    return "allows " + ", ".join(senders) if senders else ""


def _sids(inputs: dict[str, Any]) -> str:
    statements = json.loads(inputs.get("policy", "{}")).get("Statement", [])
    return "statements=" + ",".join(str(s.get("Sid", "?")) for s in statements)


def _lifecycle(inputs: dict[str, Any]) -> str:
    parts = []
    for rule in inputs.get("rules") or []:
        expire = (rule.get("expiration") or {}).get("days")
        abort = (rule.get("abortIncompleteMultipartUpload") or {}).get("daysAfterInitiation")
        noncurrent = (rule.get("noncurrentVersionExpiration") or {}).get("noncurrentDays")
        parts.append(" ".join(f"{label}={int(value)}d" for label, value in
                              (("expire", expire), ("abortMultipart", abort), ("noncurrent", noncurrent))
                              if value is not None))
    return "; ".join(parts)


def _notifications(inputs: dict[str, Any]) -> str:
    entries = []
    for kind, key in (("queue", "queues"), ("lambda", "lambdaFunctions")):
        for entry in inputs.get(key) or []:
            target = str(entry.get("queueArn") or entry.get("lambdaFunctionArn") or "?").rsplit(":", 1)[-1]
            entries.append(f"{kind} {target} on {','.join(entry.get('events', []))} "
                           f"prefix={entry.get('filterPrefix') or '*'}")
    return "; ".join(entries)


# What a platform engineer checks first, per type: (label, input path) or a function of the inputs.
KEY_SETTINGS: dict[str, Sequence[tuple[str, str] | Callable[[dict[str, Any]], str | None]]] = {
    "aws:lambda/function:Function": [("handler", "handler"), ("runtime", "runtime"),
                                     # Lambda's default when a function names none
                                     lambda i: "arch=" + ",".join(i.get("architectures") or ["x86_64"]),
                                     ("memory", "memorySize"), ("timeout", "timeout"),
                                     ("tracing", "tracingConfig.mode"),
                                     ("timelineDays", "environment.variables.TIMELINE_DAYS"), _routes, _vpc],
    "aws:dynamodb/table:Table": [("hash", "hashKey"), ("range", "rangeKey"), ("billing", "billingMode"),
                                 ("pitr", "pointInTimeRecovery.enabled"), ("kms", "serverSideEncryption.enabled"),
                                 ("deletionProtection", "deletionProtectionEnabled"), ("stream", "streamViewType"),
                                 ("ttl", "ttl.attributeName")],
    "aws:sqs/queue:Queue": [("visibility", "visibilityTimeoutSeconds"), ("retention", "messageRetentionSeconds"),
                            ("sse", "sqsManagedSseEnabled"), _redrive],
    "aws:sqs/queuePolicy:QueuePolicy": [_queue_policy],
    "aws:sns/topicSubscription:TopicSubscription": [("protocol", "protocol"), ("raw", "rawMessageDelivery"),
                                                    ("filter", "filterPolicy")],
    "aws:s3/bucket:Bucket": [("forceDestroy", "forceDestroy")],
    "aws:appconfig/configurationProfile:ConfigurationProfile": [("type", "type")],
    "aws:appconfig/environment:Environment": [lambda i: f"monitors={len(i.get('monitors') or [])}"],
    "aws:appconfig/deploymentStrategy:DeploymentStrategy": [
        ("minutes", "deploymentDurationInMinutes"), ("growth", "growthFactor"), ("bake", "finalBakeTimeInMinutes")],
    "aws:s3/bucketPolicy:BucketPolicy": [_sids],
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": [_lifecycle],
    "aws:s3/bucketNotification:BucketNotification": [_notifications],
    "aws:s3/bucketCorsConfiguration:BucketCorsConfiguration": [
        lambda i: "; ".join(f"{','.join(r.get('allowedMethods', []))} from {','.join(r.get('allowedOrigins', []))}"
                            for r in i.get("corsRules") or [])],
    "aws:cloudfront/distribution:Distribution": [
        ("priceClass", "priceClass"), ("viewer", "defaultCacheBehavior.viewerProtocolPolicy"),
        ("compress", "defaultCacheBehavior.compress"), ("cachePolicy", "defaultCacheBehavior.cachePolicyId"),
        lambda i: "oac=" + ("yes" if all(o.get("originAccessControlId") for o in i.get("origins") or []) else "no"),
        # The web client's (stacks/web.py): its domain, TLS floor and what each path goes to.
        lambda i: "aliases=" + ",".join(i["aliases"]) if i.get("aliases") else "",
        ("tls", "viewerCertificate.minimumProtocolVersion"),
        lambda i: " ".join(f"{b['pathPattern']}->{b['targetOriginId']}" for b in i.get("orderedCacheBehaviors") or [])],
    "aws:cloudfront/cachePolicy:CachePolicy": [("minTtl", "minTtl"), ("defaultTtl", "defaultTtl"),
                                               ("maxTtl", "maxTtl")],
    "aws:cloudfront/function:Function": [("runtime", "runtime"), ("publish", "publish")],
    "aws:acm/certificate:Certificate": [("domain", "domainName"), ("region", "region"),
                                        ("validation", "validationMethod")],
    "aws:s3/bucketObjectv2:BucketObjectv2": [("key", "key"), ("type", "contentType"), ("cache", "cacheControl")],
    "aws:cloudfront/originAccessControl:OriginAccessControl": [
        ("origin", "originAccessControlOriginType"), ("signing", "signingBehavior"), ("protocol", "signingProtocol")],
    "aws:mediaconvert/queue:Queue": [("pricing", "pricingPlan"), ("status", "status")],
    "random:index/randomPassword:RandomPassword": [("length", "length"), ("special", "special")],
    "aws:cloudwatch/logGroup:LogGroup": [("name", "name"), ("retentionDays", "retentionInDays")],
    "aws:iam/rolePolicy:RolePolicy": [_policy],
    "aws:lambda/eventSourceMapping:EventSourceMapping": [
        ("batch", "batchSize"), ("window", "maximumBatchingWindowInSeconds"), ("start", "startingPosition"),
        ("responses", "functionResponseTypes"), ("bisect", "bisectBatchOnFunctionError")],
    "aws:cognito/userPool:UserPool": [("mfa", "mfaConfiguration"), ("minPassword", "passwordPolicy.minimumLength"),
                                      ("deletionProtection", "deletionProtection")],
    "aws:cognito/userPoolClient:UserPoolClient": [("flows", "explicitAuthFlows"), ("secret", "generateSecret")],
    "aws:apigateway/stage:Stage": [("stage", "stageName"), ("xray", "xrayTracingEnabled")],
    "aws:apigateway/methodSettings:MethodSettings": [("rate", "settings.throttlingRateLimit"),
                                                     ("burst", "settings.throttlingBurstLimit")],
    "aws:cloudwatch/metricAlarm:MetricAlarm": [("metric", "metricName"), ("dimensions", "dimensions")],
    "aws:cloudwatch/eventRule:EventRule": [("schedule", "scheduleExpression"), ("pattern", "eventPattern")],
    "aws:lambda/permission:Permission": [("principal", "principal")],
    "aws:apigatewayv2/route:Route": [("route", "routeKey")],
    "aws:ec2/vpc:Vpc": [("cidr", "cidrBlock")],
    "aws:ec2/subnet:Subnet": [("cidr", "cidrBlock"), ("az", "availabilityZone")],
    "aws:ec2/vpcEndpoint:VpcEndpoint": [("service", "serviceName"), ("type", "vpcEndpointType"),
                                        ("privateDns", "privateDnsEnabled")],
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": [_rule],
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": [_rule],
    "aws:rds/instance:Instance": [("engine", "engineVersion"), ("class", "instanceClass"),
                                  ("encrypted", "storageEncrypted"), ("public", "publiclyAccessible"),
                                  ("multiAz", "multiAz"), ("backupDays", "backupRetentionPeriod"),
                                  ("deletionProtection", "deletionProtection"),
                                  ("skipFinalSnapshot", "skipFinalSnapshot"),
                                  ("performanceInsights", "performanceInsightsEnabled")],
    "aws:rds/parameterGroup:ParameterGroup": [("family", "family")],
    "aws:rds/proxy:Proxy": [("requireTls", "requireTls"), ("engine", "engineFamily")],
    "aws:rds/proxyDefaultTargetGroup:ProxyDefaultTargetGroup": [
        ("maxConnections%", "connectionPoolConfig.maxConnectionsPercent"),
        ("borrowTimeout", "connectionPoolConfig.connectionBorrowTimeout")],
    "aws:lambda/invocation:Invocation": [("scripts", "triggers.scripts")],
}


def key_settings(resource: RecordedResource) -> str:
    """A one-line summary of the settings that matter for this resource's type."""
    parts = []
    for item in KEY_SETTINGS.get(resource.type, ()):
        if callable(item):
            text = item(resource.inputs)
            if text:
                parts.append(text)
            continue
        label, path = item
        value = _get(resource.inputs, path)
        if value is not None:
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            parts.append(f"{label}={value}")
    return ", ".join(parts)


def table(rendering: Rendering) -> str:
    """The rendering as an aligned text table, sorted by type then name, with a count per type."""
    rows = sorted(((r.short_type, r.name, key_settings(r)) for r in rendering.custom), key=lambda row: row[:2])
    width_type = max((len(row[0]) for row in rows), default=4)
    width_name = max((len(row[1]) for row in rows), default=4)
    lines = [f"{'TYPE':<{width_type}}  {'NAME':<{width_name}}  KEY SETTINGS"]
    lines += [f"{t:<{width_type}}  {n:<{width_name}}  {s}" for t, n, s in rows]
    counts = Counter(row[0] for row in rows)
    lines.append("")
    lines.append(f"{len(rows)} resources in stack {rendering.stack!r} "
                 f"({len(rendering.resources) - len(rows)} components): "
                 + ", ".join(f"{count} {kind}" for kind, count in sorted(counts.items())))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--stack", required=True, help="dev, prod or preview-<branch>")
    parser.add_argument("--config", action="append", default=[], metavar="KEY=VALUE",
                        help="override a config value (social: implied), e.g. lambdaMemoryMb=256")
    args = parser.parse_args(argv)
    overrides = dict(item.split("=", 1) for item in args.config)
    from chalicelib.flags.validation import FlagsDocumentError  # importing stacks put runtime/ on the path

    try:
        rendering = render(args.stack, overrides)
    except FlagsDocumentError as exc:  # the program validates the flags document before any resource
        print(f"plan failed: {exc}", file=sys.stderr)
        return 1
    print(table(rendering))
    for warning in rendering.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
