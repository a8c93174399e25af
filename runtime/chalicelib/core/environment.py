"""The environment variables that tell the runtime where things are: their names, and how they are built.

One place for both sides: the stack (``stacks/platform.py``, whose values are
``pulumi.Output``) and the local platform (``local/provision.py``, plain
strings) call ``build_environment`` with the manifest and the physical value of
each declared resource; ``chalicelib.core.settings`` and the declarations read
the names defined here. A new variable (say a secret's ARN) is one more name
here and one more field of ``Physical`` or ``Knobs``.

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

from chalicelib.core.metric_names import NAMESPACE

if TYPE_CHECKING:  # the declarations import this module for the names
    from chalicelib.core.declarations import Manifest

T = TypeVar("T")

# Where the runtime runs and how it behaves.
STAGE = "STAGE"
AUTO_CONFIRM_SIGNUP = "AUTO_CONFIRM_SIGNUP"
# "true" where the pool offers TOTP (prod): admin routes then refuse admins without it.
ADMIN_MFA_REQUIRED = "ADMIN_MFA_REQUIRED"
MAX_BODY_BYTES = "MAX_BODY_BYTES"
JWKS_CACHE_SECONDS = "JWKS_CACHE_SECONDS"
TRACING = "TRACING"
LOG_LEVEL = "LOG_LEVEL"
CURSOR_SECRET = "CURSOR_SECRET"  # the cursor key where no secret is declared (unit tests, scripts)
FANOUT_MAX_FOLLOWERS = "FANOUT_MAX_FOLLOWERS"
TIMELINE_DAYS = "TIMELINE_DAYS"
BACKFILL_POSTS = "BACKFILL_POSTS"
# The coin rules (no environment sets them yet: the runtime's defaults are the rules).
COINS_POST = "COINS_POST"
COINS_LIKE_RECEIVED = "COINS_LIKE_RECEIVED"
COINS_COMMENT = "COINS_COMMENT"
DAILY_CAP = "DAILY_CAP"
WEEKLY_BONUS = "WEEKLY_BONUS"
# The feature flags: a document on disk (the local platform), or AppConfig's data API (the stack), cached briefly.
FLAGS_FILE = "FLAGS_FILE"
APPCONFIG_APPLICATION = "APPCONFIG_APPLICATION"
APPCONFIG_ENVIRONMENT = "APPCONFIG_ENVIRONMENT"
APPCONFIG_PROFILE = "APPCONFIG_PROFILE"
FLAGS_CACHE_SECONDS = "FLAGS_CACHE_SECONDS"
# The user pool.
USER_POOL_ID = "USER_POOL_ID"
USER_POOL_CLIENT_ID = "USER_POOL_CLIENT_ID"
JWKS_URL = "JWKS_URL"
TOKEN_ISSUER = "TOKEN_ISSUER"
# Where the public API answers (links in mails: unsubscribe), and how the digest pages over users.
PUBLIC_API_URL = "PUBLIC_API_URL"
DIGEST_SEGMENTS = "DIGEST_SEGMENTS"
# Search: the OpenSearch domain's https URL and the stack's index prefix (AWS), or the embedded backend's
# SQLite file (the local platform). See chalicelib/search/backends.py.
SEARCH_ENDPOINT = "SEARCH_ENDPOINT"
SEARCH_INDEX_PREFIX = "SEARCH_INDEX_PREFIX"
SEARCH_SQLITE_FILE = "SEARCH_SQLITE_FILE"
# The WebSocket API's management endpoint.
WEBSOCKET_ENDPOINT = "WEBSOCKET_ENDPOINT"
# Where Mastodon clients open the streaming API (``ws://host:port``) when it is not the site's own host (the
# local platform's WebSocket port); unset in AWS, where CloudFront routes /api/v1/streaming on the site's host.
STREAMING_API_URL = "STREAMING_API_URL"
# Browser origins of third-party clients the API answers with CORS headers: a JSON list; none by default.
CORS_ORIGINS = "CORS_ORIGINS"
# A database: a URL (local platform, tests), or the proxy and the credentials' secret (set per connecting function).
DATABASE_URL = "DATABASE_URL"
DATABASE_HOST = "DATABASE_HOST"
DATABASE_PORT = "DATABASE_PORT"
DATABASE_NAME = "DATABASE_NAME"
DATABASE_SECRET_ARN = "DATABASE_SECRET_ARN"
DATABASE_VARIABLES = (DATABASE_HOST, DATABASE_PORT, DATABASE_NAME, DATABASE_SECRET_ARN)
# A shared server's master secret: only the migrate function gets it, to create and drop the stack's database.
DATABASE_ADMIN_SECRET_ARN = "DATABASE_ADMIN_SECRET_ARN"

# What names each kind of declared resource, as a suffix of its logical name: USERS_TABLE, FANOUT_QUEUE_URL...
_RESOURCE_SUFFIXES = {"table": "TABLE", "queue": "QUEUE_URL", "topic": "TOPIC_ARN", "bucket": "BUCKET",
                      "secret": "SECRET_ARN", "bucket_url": "BUCKET_URL", "transcoder_role": "TRANSCODER_ROLE_ARN",
                      "transcoder_queue": "TRANSCODER_QUEUE_ARN", "mailer_from": "MAILER_FROM",
                      "mailer_templates": "MAILER_TEMPLATES", "push_apps": "PUSH_APPS",
                      "usage_plan": "USAGE_PLAN"}


def resource_variable(kind: str, name: str) -> str:
    """The variable that holds the physical name (URL, ARN) of a declared resource.

    >>> resource_variable("queue", "timeline-updates")
    'TIMELINE_UPDATES_QUEUE_URL'
    """
    return f"{name.upper().replace('-', '_')}_{_RESOURCE_SUFFIXES[kind]}"


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


# The libraries' own settings, the same for the stack's functions and the local platform. Powertools
# (chalicelib.core.logs, chalicelib.core.metrics): the service on every log line and the business metrics'
# namespace. Pydantic: no plugins are used, and looking for them reads every installed package's metadata
# (36 ms of a cold start here, in the first model built).
LIBRARY_SETTINGS: Mapping[str, str] = {"POWERTOOLS_SERVICE_NAME": "social", "POWERTOOLS_METRICS_NAMESPACE": NAMESPACE,
                                       "PYDANTIC_DISABLE_PLUGINS": "__all__"}


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
