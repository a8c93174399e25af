"""Provisioning a ``Manifest`` on moto, and the environment that tells the runtime where it all is.

Every declared table, queue (with its dead-letter queue), topic, bucket and
the user pool is created under a prefixed physical name, and every queue's
subscriptions to topics are made as the stacks make them: raw delivery (the
SQS body is the published message itself, its message attributes become the
SQS message's) and, when the subscription names types or channels, the filter
policy ``{"type": [...], "channels": [...]}`` on message attributes, which moto
applies (``channels`` is a String.Array: any listed element matches). ``Provisioned.env``
holds every variable the runtime reads, built by ``chalicelib.core.environment_build``
as the stack builds its own.

Usage::

    provisioned = provision(MANIFEST, clients, prefix="social-local-")
    os.environ.update(provisioned.env)
    provisioned.queues["fanout"].url
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from chalicelib.core.declarations import (
    Bucket,
    Manifest,
    Notification,
    Queue,
    Secret,
    Subscription,
    Table,
    Topic,
    UsagePlan,
    UserPool,
)
from chalicelib.core.environment_build import (
    Knobs,
    MailerValues,
    Physical,
    PoolValues,
    TranscoderValues,
    build_environment,
)
from local import metering
from local.aws import ACCOUNT_ID
from local.channels import ProvisionedMailer, provision_channels
from local.clients import Clients
from local.tables import create_table_request, enable_ttl

DEFAULT_PREFIX = "social-local-"
DEFAULT_CDN_URL = "http://127.0.0.1:8000/cdn"  # make dev's; the platform passes its own server's
LOCAL_STAGE = "local"
LOCAL_API_ID, LOCAL_API_STAGE = "local", "api"  # the local gateway's (local.gateway.API_ID, its stage)
QUOTA_VARIABLE = "INTEGRATION_QUOTA_PER_DAY"
# stacks/settings.py's defaults (integrationQuotaPerDay, integrationRateLimit, integrationBurstLimit)
DEFAULT_QUOTA_PER_DAY, DEFAULT_RATE_LIMIT, DEFAULT_BURST_LIMIT = 10_000, 10.0, 20


@dataclass(frozen=True)
class ProvisionedTable:
    declaration: Table
    name: str
    arn: str
    stream_arn: str | None


@dataclass(frozen=True)
class ProvisionedQueue:
    declaration: Queue
    url: str
    arn: str
    dlq_url: str
    dlq_arn: str
    visibility_timeout: int


@dataclass(frozen=True)
class ProvisionedTopic:
    declaration: Topic
    arn: str


@dataclass(frozen=True)
class ProvisionedSubscription:
    """A queue subscribed to a topic, raw, filtered on the ``type`` and ``channels`` attributes as declared."""

    declaration: Subscription
    queue: str
    topic: str
    arn: str

    def describe(self) -> str:
        declared = self.declaration
        filters = [f"{name} in {', '.join(values)}" for name, values in
                   (("type", declared.types), ("channels", declared.channels)) if values]
        return f"-> queue {self.queue} (raw, {' and '.join(filters) or 'every message'})"


@dataclass(frozen=True)
class ProvisionedBucket:
    declaration: Bucket
    name: str


@dataclass(frozen=True)
class ProvisionedSecret:
    declaration: Secret
    arn: str


@dataclass(frozen=True)
class ProvisionedUserPool:
    declaration: UserPool
    pool_id: str
    client_id: str
    jwks_url: str
    issuer: str


@dataclass(frozen=True)
class ProvisionedUsagePlan:
    declaration: UsagePlan
    name: str
    id: str
    quota_per_day: int


@dataclass
class Provisioned:
    """What exists on moto for one manifest, by logical name, and the runtime's environment."""

    prefix: str
    region: str
    tables: dict[str, ProvisionedTable] = field(default_factory=dict)
    queues: dict[str, ProvisionedQueue] = field(default_factory=dict)
    topics: dict[str, ProvisionedTopic] = field(default_factory=dict)
    buckets: dict[str, ProvisionedBucket] = field(default_factory=dict)
    subscriptions: list[ProvisionedSubscription] = field(default_factory=list)
    user_pool: ProvisionedUserPool | None = None
    secrets: dict[str, ProvisionedSecret] = field(default_factory=dict)
    mailers: dict[str, ProvisionedMailer] = field(default_factory=dict)
    push_apps: dict[str, dict[str, str]] = field(default_factory=dict)  # push service -> platform -> app ARN
    usage_plans: dict[str, ProvisionedUsagePlan] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)

    def describe(self) -> list[str]:
        """One human line per resource, for the startup banner."""
        lines = []
        for t in self.tables.values():
            extras = [f"stream {t.declaration.stream}"] if t.declaration.stream else []
            extras += [f"ttl {t.declaration.ttl_attribute}"] if t.declaration.ttl_attribute else []
            lines.append(f"table   {t.declaration.name:<16} {t.name}" + (f" ({', '.join(extras)})" if extras else ""))
        for q in self.queues.values():
            lines.append(f"queue   {q.declaration.name:<16} {q.url} (visibility {q.visibility_timeout}s, "
                         f"dead-letter after {q.declaration.max_receives} receives)")
        for tp in self.topics.values():
            lines.append(f"topic   {tp.declaration.name:<16} {tp.arn}")
            lines += [f"{'':<25}{s.describe()}" for s in self.subscriptions if s.topic == tp.declaration.name]
        cdn_base = {n: v for n, v in self.env.items() if n.endswith("_BUCKET_URL")}
        for b in self.buckets.values():
            extras = [f"-> queue {n.queue.name} ({', '.join(n.events)}, prefix {n.prefix or '(any)'})"
                      for n in b.declaration.notifications]
            url = cdn_base.get(b.declaration.url_env_var) if b.declaration.cdn else None
            extras += [f"served at {url}/<key>"] if url else []
            lines.append(f"bucket  {b.declaration.name:<16} {b.name}" + (f" {'; '.join(extras)}" if extras else ""))
        for sc in self.secrets.values():
            lines.append(f"secret  {sc.declaration.name:<16} {sc.arn}")
        for m in self.mailers.values():
            lines.append(f"mail    {m.declaration.name:<16} from {m.from_address}, templates "
                         f"{', '.join(m.template_prefix + t.name for t in m.declaration.templates)}")
        for name, apps in self.push_apps.items():
            lines.append(f"push    {name:<16} " + ", ".join(f"{k} {v}" for k, v in apps.items()))
        for up in self.usage_plans.values():
            lines.append(f"keys    {up.declaration.name:<16} usage plan {up.id} ({up.name}), {up.quota_per_day} "
                         f"calls a day per key (${QUOTA_VARIABLE})")
        if self.user_pool is not None:
            p = self.user_pool
            groups = ", ".join(p.declaration.groups) or "none"
            lines.append(f"users   {p.declaration.name:<16} pool {p.pool_id}, client {p.client_id}, groups: {groups}")
        return lines


def provision(manifest: Manifest, clients: Clients, *, prefix: str = DEFAULT_PREFIX,
              visibility_timeout: int | None = None, secret_values: Mapping[str, str] = {},
              cdn_url: str = DEFAULT_CDN_URL, api_url: str | None = None) -> Provisioned:
    """Create everything ``manifest`` declares; ``visibility_timeout`` caps every queue's (tests use 1-2 s).

    ``cdn_url`` is where the local HTTP server serves ``cdn`` buckets (``<cdn_url>/<bucket>/<key>``).

    A declared secret gets ``secret_values[name]`` when given, else a random value, as the stack does.
    """
    result = Provisioned(prefix=prefix, region=clients.region)
    for secret in manifest.secrets:
        value = secret_values.get(secret.name) or secrets.token_urlsafe(secret.length)[:secret.length]
        result.secrets[secret.name] = ProvisionedSecret(secret, _secret(clients, prefix + secret.name, value))
    for table in manifest.tables:
        result.tables[table.name] = _table(clients, table, prefix + table.name)
    for queue in manifest.queues:
        result.queues[queue.name] = _queue(clients, queue, prefix, visibility_timeout)
    for topic in manifest.topics:
        arn = clients.sns.create_topic(Name=prefix + topic.name)["TopicArn"]
        result.topics[topic.name] = ProvisionedTopic(topic, arn)
    for queue in manifest.queues:
        for subscription in queue.subscriptions:
            result.subscriptions.append(_subscribe(clients, result.queues[queue.name],
                                                   result.topics[subscription.topic.name], subscription))
    for bucket in manifest.buckets:
        result.buckets[bucket.name] = _bucket(clients, bucket, prefix + bucket.name, result.queues)
    if manifest.user_pool is not None:
        pool = _user_pool(clients, manifest.user_pool, prefix + manifest.user_pool.name, function_prefix=prefix)
        result.user_pool = pool
    result.mailers, result.push_apps = provision_channels(manifest, clients, prefix=prefix)
    for plan in manifest.usage_plans:
        result.usage_plans[plan.name] = _usage_plan(clients, plan, prefix + plan.name)
    result.env = local_environment(manifest, result, cdn_url=cdn_url, api_url=api_url)
    return result


def _usage_plan(clients: Clients, plan: UsagePlan, name: str) -> ProvisionedUsagePlan:
    """The plan as ``stacks/integrations.py`` makes it, on the local gateway's stage; its quota from
    ``$INTEGRATION_QUOTA_PER_DAY`` (tests make it small), the throttle as the stack's defaults (not enforced)."""
    metering.install()  # GetUsage, before moto first serves API Gateway
    quota = int(os.environ.get(QUOTA_VARIABLE) or DEFAULT_QUOTA_PER_DAY)
    created = clients.client("apigateway").create_usage_plan(
        name=name, description="integration keys: each key's own quota and throttle",
        apiStages=[{"apiId": LOCAL_API_ID, "stage": LOCAL_API_STAGE}],
        quota={"limit": quota, "period": "DAY"},
        throttle={"rateLimit": DEFAULT_RATE_LIMIT, "burstLimit": DEFAULT_BURST_LIMIT})
    return ProvisionedUsagePlan(plan, name, str(created["id"]), quota)


def _secret(clients: Clients, name: str, value: str) -> str:
    """A new secret; one this prefix left behind (moto kept across a start) is replaced, not rotated."""
    manager = clients.client("secretsmanager")
    try:
        return str(manager.create_secret(Name=name, SecretString=value)["ARN"])
    except manager.exceptions.ResourceExistsException:
        manager.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
        return str(manager.create_secret(Name=name, SecretString=value)["ARN"])


def local_environment(manifest: Manifest, provisioned: Provisioned, *,
                      cdn_url: str = DEFAULT_CDN_URL, api_url: str | None = None) -> dict[str, str]:
    """The runtime's variables for what was provisioned, built as the stack builds its own.

    Sign-ups are confirmed at once; the other knobs keep the runtime's defaults unless the
    process environment sets them. ``DATABASE_URL`` is set by the platform. ``cdn_url`` is where
    the local HTTP server serves ``cdn`` buckets (``<cdn_url>/<bucket>/<key>``: ``local.cdn``).
    A transcoder gets moto-style role and queue ARNs (``transcoder_arns``): the local transcoder
    runs jobs itself and never reads them, the local grants judge ``transcode`` against them.
    """
    pool = provisioned.user_pool
    physical = Physical[str](
        tables={n: t.name for n, t in provisioned.tables.items()},
        queues={n: q.url for n, q in provisioned.queues.items()},
        topics={n: t.arn for n, t in provisioned.topics.items()},
        buckets={n: b.name for n, b in provisioned.buckets.items()},
        bucket_urls={n: f"{cdn_url}/{b.name}" for n, b in provisioned.buckets.items() if b.declaration.cdn},
        transcoders={t.name: transcoder_arns(provisioned.prefix, provisioned.region, t.name)
                     for t in manifest.transcoders},
        secrets={n: s.arn for n, s in provisioned.secrets.items()},
        user_pool=PoolValues(id=pool.pool_id, client_id=pool.client_id, jwks_url=pool.jwks_url, issuer=pool.issuer)
        if pool is not None else None,
        mailers={n: MailerValues(from_address=m.from_address, template_prefix=m.template_prefix)
                 for n, m in provisioned.mailers.items()},
        push_apps={n: json.dumps(apps, sort_keys=True) for n, apps in provisioned.push_apps.items()},
        public_api_url=api_url if manifest.mailers else None,  # links in mails; the stack gives it to mailers only
        usage_plans={n: p.name for n, p in provisioned.usage_plans.items()},
    )
    return build_environment(manifest, physical, Knobs(stage=LOCAL_STAGE, auto_confirm_signup=True))


def transcoder_arns(prefix: str, region: str, name: str) -> TranscoderValues[str]:
    """The moto-style role and MediaConvert queue ARNs of a local transcoder (nothing is created)."""
    return TranscoderValues(role_arn=f"arn:aws:iam::{ACCOUNT_ID}:role/{prefix}{name}-transcoder",
                            queue_arn=f"arn:aws:mediaconvert:{region}:{ACCOUNT_ID}:queues/{prefix}{name}")


def _table(clients: Clients, table: Table, name: str) -> ProvisionedTable:
    description = clients.dynamodb.create_table(**create_table_request(table, name))["TableDescription"]
    if table.ttl_attribute:
        enable_ttl(clients.dynamodb, name, table.ttl_attribute)
    return ProvisionedTable(table, name, description["TableArn"], description.get("LatestStreamArn"))


def _queue_arn(clients: Clients, url: str) -> str:
    attributes = clients.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    return str(attributes["QueueArn"])


def _queue(clients: Clients, queue: Queue, prefix: str, cap: int | None) -> ProvisionedQueue:
    suffix = ".fifo" if queue.fifo else ""
    fifo: dict[str, str] = {"FifoQueue": "true"} if queue.fifo else {}
    dlq_url = clients.sqs.create_queue(
        QueueName=f"{prefix}{queue.name}-dlq{suffix}",
        Attributes={"MessageRetentionPeriod": str(queue.dlq_retention_seconds), **fifo})["QueueUrl"]
    dlq_arn = _queue_arn(clients, dlq_url)
    visibility = queue.visibility_timeout if cap is None else min(cap, queue.visibility_timeout)
    url = clients.sqs.create_queue(
        QueueName=f"{prefix}{queue.name}{suffix}",
        Attributes={
            "VisibilityTimeout": str(visibility),
            "MessageRetentionPeriod": str(queue.retention_seconds),
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": queue.max_receives}),
            **fifo,
        })["QueueUrl"]
    return ProvisionedQueue(queue, url, _queue_arn(clients, url), dlq_url, dlq_arn, visibility)


def _subscribe(clients: Clients, queue: ProvisionedQueue, topic: ProvisionedTopic,
               subscription: Subscription) -> ProvisionedSubscription:
    attributes = {"RawMessageDelivery": "true"}
    policy = subscription.filter_policy()
    if policy is not None:
        attributes.update({"FilterPolicy": json.dumps(policy), "FilterPolicyScope": "MessageAttributes"})
    arn = clients.sns.subscribe(TopicArn=topic.arn, Protocol="sqs", Endpoint=queue.arn, Attributes=attributes,
                                ReturnSubscriptionArn=True)["SubscriptionArn"]
    return ProvisionedSubscription(subscription, queue.declaration.name, topic.declaration.name, str(arn))


def _bucket(clients: Clients, bucket: Bucket, name: str, queues: Mapping[str, ProvisionedQueue]) -> ProvisionedBucket:
    config: dict[str, Any] = {}
    if clients.region != "us-east-1":
        config["CreateBucketConfiguration"] = {"LocationConstraint": clients.region}
    clients.s3.create_bucket(Bucket=name, **config)
    if bucket.cors_origins:
        clients.s3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": [{
            "AllowedOrigins": list(bucket.cors_origins), "AllowedMethods": ["GET", "PUT", "POST", "HEAD"],
            "AllowedHeaders": ["*"], "ExposeHeaders": ["ETag"], "MaxAgeSeconds": 3000}]})
    if bucket.notifications:  # moto sends an ``s3:TestEvent`` to each queue first, as S3 does
        clients.s3.put_bucket_notification_configuration(Bucket=name, NotificationConfiguration={
            "QueueConfigurations": [_queue_configuration(n, queues[n.queue.name].arn) for n in bucket.notifications]})
    return ProvisionedBucket(bucket, name)


def _queue_configuration(notification: Notification, queue_arn: str) -> dict[str, Any]:
    entry: dict[str, Any] = {"Id": f"to-{notification.queue.name}", "QueueArn": queue_arn,
                             "Events": list(notification.events)}
    if notification.prefix:
        entry["Filter"] = {"Key": {"FilterRules": [{"Name": "prefix", "Value": notification.prefix}]}}
    return entry


def _user_pool(clients: Clients, pool: UserPool, name: str, function_prefix: str) -> ProvisionedUserPool:
    policy = pool.password_policy
    # moto keeps the trigger's ARN; local/cognito_triggers.py calls the function it names.
    triggers = ({"LambdaConfig": {"PreSignUp": f"arn:aws:lambda:{clients.region}:{ACCOUNT_ID}:function:"
                                                f"{function_prefix}{pool.pre_sign_up}"}} if pool.pre_sign_up else {})
    created = clients.cognito.create_user_pool(
        **triggers,
        PoolName=name,
        Policies={"PasswordPolicy": {
            "MinimumLength": policy.min_length,
            "RequireUppercase": policy.require_uppercase,
            "RequireLowercase": policy.require_lowercase,
            "RequireNumbers": policy.require_numbers,
            "RequireSymbols": policy.require_symbols,
        }},
        Schema=[{"Name": "email", "AttributeDataType": "String", "Required": True, "Mutable": True}],
        AutoVerifiedAttributes=["email"],
    )["UserPool"]
    pool_id = created["Id"]
    # As the stacks' pools where users may turn it on (prod): TOTP optional, no SMS.
    clients.cognito.set_user_pool_mfa_config(UserPoolId=pool_id, MfaConfiguration="OPTIONAL",
                                             SoftwareTokenMfaConfiguration={"Enabled": True})
    client_id = clients.cognito.create_user_pool_client(
        UserPoolId=pool_id, ClientName=f"{name}-app", GenerateSecret=False,
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    for group in pool.groups:
        clients.cognito.create_group(UserPoolId=pool_id, GroupName=group)
    return ProvisionedUserPool(
        declaration=pool,
        pool_id=pool_id,
        client_id=client_id,
        jwks_url=f"{clients.endpoint}/{pool_id}/.well-known/jwks.json",
        issuer=f"https://cognito-idp.{clients.region}.amazonaws.com/{pool_id}",
    )
