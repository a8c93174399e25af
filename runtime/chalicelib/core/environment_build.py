"""How the stack and the local platform build the runtime's environment: the physical value of each declared
resource and the settings an environment chooses, as the variables ``chalicelib.core.environment`` names.

Apart from the names so the runtime never loads it (its dataclasses are cold-start time): the stack
(``stacks/platform.py``, whose values are ``pulumi.Output``) and the local platform (``local/provision.py``,
plain strings) call ``build_environment`` with the manifest and the physical value of each declared resource.
A new variable (say a secret's ARN) is one more name in ``chalicelib.core.environment`` and one more field of
``Physical`` or ``Knobs`` here.

Usage::

    physical = Physical(tables={"users": "social-dev-users"}, queues={...}, topics={...}, buckets={...},
                        user_pool=PoolValues(id="us-east-1_abc", client_id="...", jwks_url="...", issuer="..."))
    variables = build_environment(manifest, physical, Knobs(stage="dev", auto_confirm_signup=False))
    variables["USERS_TABLE"]  # 'social-dev-users'
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Generic, TypeVar

from chalicelib.core.environment import (
    ADMIN_MFA_REQUIRED,
    APPCONFIG_APPLICATION,
    APPCONFIG_ENVIRONMENT,
    APPCONFIG_PROFILE,
    AUTO_CONFIRM_SIGNUP,
    BACKFILL_POSTS,
    CORS_ORIGINS,
    DATABASE_HOST,
    DATABASE_NAME,
    DATABASE_PORT,
    DATABASE_SECRET_ARN,
    DIGEST_SEGMENTS,
    FANOUT_MAX_FOLLOWERS,
    JWKS_URL,
    LIBRARY_SETTINGS,
    LOG_LEVEL,
    MAX_BODY_BYTES,
    PUBLIC_API_URL,
    SEARCH_ENDPOINT,
    SEARCH_INDEX_PREFIX,
    STAGE,
    TIMELINE_DAYS,
    TOKEN_ISSUER,
    TRACING,
    USER_POOL_CLIENT_ID,
    USER_POOL_ID,
    WEBSOCKET_ENDPOINT,
    resource_variable,
)

if TYPE_CHECKING:
    from chalicelib.core.declarations import Manifest

T = TypeVar("T")


@dataclass(frozen=True)
class PoolValues(Generic[T]):
    """The user pool as the runtime needs it: to call Cognito, and to verify its tokens."""

    id: T
    client_id: T
    jwks_url: T
    issuer: T


@dataclass(frozen=True)
class TranscoderValues(Generic[T]):
    """A transcoder as the runtime needs it: the role jobs run as, and the queue they go to."""

    role_arn: T
    queue_arn: T


@dataclass(frozen=True)
class MailerValues(Generic[T]):
    """A mailer as the runtime needs it: the address it sends from, and its templates' name prefix."""

    from_address: T
    template_prefix: T


@dataclass(frozen=True)
class FlagsValues(Generic[T]):
    """Where the runtime reads its feature flags in AWS: AppConfig's application, environment and profile."""

    application: T
    environment: T
    profile: T


@dataclass(frozen=True)
class Physical(Generic[T]):
    """The physical value of each declared resource, by kind and logical name."""

    tables: Mapping[str, T] = field(default_factory=dict)  # table names
    queues: Mapping[str, T] = field(default_factory=dict)  # queue URLs
    topics: Mapping[str, T] = field(default_factory=dict)  # topic ARNs
    buckets: Mapping[str, T] = field(default_factory=dict)  # bucket names
    user_pool: PoolValues[T] | None = None
    secrets: Mapping[str, T] = field(default_factory=dict)  # secret ARNs (the values never reach the environment)
    bucket_urls: Mapping[str, T] = field(default_factory=dict)  # public base URLs of ``cdn`` buckets
    transcoders: Mapping[str, TranscoderValues[T]] = field(default_factory=dict)
    websocket_endpoint: T | None = None
    mailers: Mapping[str, MailerValues[T]] = field(default_factory=dict)
    push_apps: Mapping[str, T] = field(default_factory=dict)  # a JSON object {platform: application ARN}
    public_api_url: T | None = None  # e.g. https://<id>.execute-api.<region>.amazonaws.com/api (no trailing slash)
    flags: FlagsValues[T] | None = None  # AppConfig's identifiers (the local platform sets FLAGS_FILE instead)
    search_endpoint: T | None = None  # the OpenSearch domain's https URL (AWS)
    search_index_prefix: T | None = None  # the stack's own indexes in it (previews share dev's domain)
    usage_plans: Mapping[str, T] = field(default_factory=dict)  # usage plan names (their ids come after the API)


@dataclass(frozen=True)
class Knobs:
    """The runtime's settings an environment chooses; None leaves the runtime's default."""

    stage: str
    auto_confirm_signup: bool
    max_body_bytes: int | None = None
    tracing: bool | None = None
    log_level: str | None = None
    fanout_max_followers: int | None = None
    timeline_days: int | None = None
    backfill_posts: int | None = None
    digest_segments: int | None = None
    admin_mfa_required: bool | None = None
    cors_origins: tuple[str, ...] | None = None

    def variables(self) -> dict[str, str]:
        values: dict[str, str | int | bool | None] = {
            STAGE: self.stage, AUTO_CONFIRM_SIGNUP: self.auto_confirm_signup, MAX_BODY_BYTES: self.max_body_bytes,
            TRACING: self.tracing, LOG_LEVEL: self.log_level, FANOUT_MAX_FOLLOWERS: self.fanout_max_followers,
            TIMELINE_DAYS: self.timeline_days, BACKFILL_POSTS: self.backfill_posts,
            DIGEST_SEGMENTS: self.digest_segments, ADMIN_MFA_REQUIRED: self.admin_mfa_required,
            CORS_ORIGINS: json.dumps(list(self.cors_origins)) if self.cors_origins is not None else None,
        }
        return {name: str(value).lower() if isinstance(value, bool) else str(value)
                for name, value in values.items() if value is not None}


def build_environment(manifest: Manifest, physical: Physical[T], knobs: Knobs) -> dict[str, T | str]:
    """Every variable the runtime reads, for every function (per-function ones: ``database_environment``).

    Raises ``LookupError`` when a declared table, queue, topic, bucket or secret has no physical value,
    a ``cdn`` bucket no public URL (``Physical.bucket_urls``), or a transcoder no role and queue
    (``Physical.transcoders``): every platform, the stack and the local one, provides them.
    """
    environment: dict[str, T | str] = {**LIBRARY_SETTINGS, **knobs.variables()}
    values: dict[str, Mapping[str, T]] = {"table": physical.tables, "queue": physical.queues,
                                          "topic": physical.topics, "bucket": physical.buckets,
                                          "secret": physical.secrets, "usage_plan": physical.usage_plans}
    for resource in manifest.resources():
        if resource.kind not in values:
            continue
        if resource.name not in values[resource.kind]:
            raise LookupError(f"{resource.kind} {resource.name!r} is declared but has no physical value")
        environment[resource_variable(resource.kind, resource.name)] = values[resource.kind][resource.name]
    for bucket in manifest.buckets:
        if bucket.cdn:
            if bucket.name not in physical.bucket_urls:
                raise LookupError(f"bucket {bucket.name!r} is declared with cdn=True but has no public URL "
                                  f"(Physical.bucket_urls[{bucket.name!r}], for {bucket.url_env_var})")
            environment[bucket.url_env_var] = physical.bucket_urls[bucket.name]
    for transcoder in manifest.transcoders:
        if transcoder.name not in physical.transcoders:
            raise LookupError(f"transcoder {transcoder.name!r} is declared but has no role and queue "
                              f"(Physical.transcoders[{transcoder.name!r}], for {transcoder.env_var} and "
                              f"{transcoder.queue_env_var})")
        job = physical.transcoders[transcoder.name]
        environment[transcoder.env_var] = job.role_arn
        environment[transcoder.queue_env_var] = job.queue_arn
    for mailer in manifest.mailers:
        if mailer.name not in physical.mailers:
            raise LookupError(f"mailer {mailer.name!r} is declared but has no sender (Physical.mailers)")
        environment[mailer.env_var] = physical.mailers[mailer.name].from_address
        environment[mailer.templates_env_var] = physical.mailers[mailer.name].template_prefix
    for push in manifest.push_services:
        if push.name not in physical.push_apps:
            raise LookupError(f"push service {push.name!r} is declared but has no applications (Physical.push_apps)")
        environment[push.env_var] = physical.push_apps[push.name]
    pool = physical.user_pool
    if manifest.user_pool is not None and pool is not None:
        environment |= {USER_POOL_ID: pool.id, USER_POOL_CLIENT_ID: pool.client_id, JWKS_URL: pool.jwks_url,
                        TOKEN_ISSUER: pool.issuer}
    if physical.websocket_endpoint is not None:
        environment[WEBSOCKET_ENDPOINT] = physical.websocket_endpoint
    if physical.public_api_url is not None:
        environment[PUBLIC_API_URL] = physical.public_api_url
    if physical.flags is not None:
        environment |= {APPCONFIG_APPLICATION: physical.flags.application,
                        APPCONFIG_ENVIRONMENT: physical.flags.environment, APPCONFIG_PROFILE: physical.flags.profile}
    if manifest.search is not None and physical.search_endpoint is not None:
        environment[SEARCH_ENDPOINT] = physical.search_endpoint
        if physical.search_index_prefix is not None:
            environment[SEARCH_INDEX_PREFIX] = physical.search_index_prefix
    return environment


def database_environment(host: T, port: T, name: T, secret_arn: T) -> dict[str, T]:
    """What a function that connects to a database gets (in the VPC, through RDS Proxy)."""
    return {DATABASE_HOST: host, DATABASE_PORT: port, DATABASE_NAME: name, DATABASE_SECRET_ARN: secret_arn}
