"""Declarations of the AWS resources the runtime needs: the one source of truth.

The runtime names each resource by a logical name; ``stacks/`` derives the real
resources from these declarations and the local platform provisions the same
ones on moto. Physical names reach the code through environment variables whose
names are derived here, so both sides agree without repeating themselves.

Usage::

    USERS = Table("users", "chalicelib.users.models:UserModel")  # key schema read from the model
    FANOUT = Queue("fanout", visibility_timeout=60, max_receives=5)

    @bp.on_sqs_message(queue=FANOUT.name, batch_size=10)
    @uses(USERS.read_write(), FANOUT.consume())
    def fan_out(event): ...

``uses`` must sit *below* the Chalice decorator so that it marks the user's
function, which Chalice keeps as ``handler_map[name].func`` (or the route's
``view_function``).
"""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from chalicelib.core.environment import (
    DATABASE_URL,
    SEARCH_ENDPOINT,
    USER_POOL_ID,
    WEBSOCKET_ENDPOINT,
    resource_variable,
)

if TYPE_CHECKING:  # pynamodb is only needed by whoever inspects a table
    from pynamodb.models import Model

_NAME = re.compile(r"[a-z][a-z0-9-]{1,38}[a-z0-9]")

Access = Literal[
    "read", "write", "read_write",  # tables, buckets
    "send", "consume",  # queues
    "publish",  # topics
    "sign_up", "confirm", "delete_user", "read_user", "admin",  # the user pool
    "connect",  # a database
    "read_secret",  # a secret
    "transcode",  # a video transcoder (MediaConvert)
    "send_email",  # a mailer (SES)
    "push_register", "push",  # a push service (SNS mobile push): endpoints per device, and publishing to them
    "manage_connections",  # the WebSocket API's connections (post to, read, close)
    "search", "index",  # a search domain: query it; write documents and manage its indexes
    "manage_keys",  # a usage plan: create, read and delete API keys on it, and read their usage
]

GRANTS_ATTRIBUTE = "__platform_grants__"
F = TypeVar("F", bound=Callable[..., Any])


def _check_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise ValueError(f"logical name {name!r} must match ^{_NAME.pattern}$")
    return name


@dataclass(frozen=True)
class Grant:
    """One access need of a handler: what it touches and how."""

    resource: Resource
    access: Access


@dataclass(frozen=True)
class Resource:
    """Base of every declaration: a kind and a logical name."""

    name: str

    kind: str = field(default="resource", init=False)

    def grant(self, access: Access) -> Grant:
        return Grant(self, access)

    @property
    def env_var(self) -> str:
        raise NotImplementedError


class _ReadWrite:
    """Read, write and read-write grants, for data stores."""

    def grant(self, access: Access) -> Grant:  # Resource.grant, first in the MRO
        raise NotImplementedError

    def read(self) -> Grant:
        return self.grant("read")

    def write(self) -> Grant:
        return self.grant("write")

    def read_write(self) -> Grant:
        return self.grant("read_write")


@dataclass(frozen=True)
class Table(Resource, _ReadWrite):
    """A DynamoDB table whose schema is its PynamoDB model's.

    The model is named (``"package.module:Class"``), not imported: declaring the manifest must not
    load PynamoDB and botocore into every function's cold start. ``model`` imports it and checks that
    its ``Meta.logical_name`` is the table's name. ``stream`` names the stream view type
    (``NEW_AND_OLD_IMAGES`` …) when a handler reads the table's stream; ``ttl_attribute`` turns on expiry.
    """

    model_path: str = ""
    stream: str | None = None
    ttl_attribute: str | None = None
    kind: str = field(default="table", init=False)

    @classmethod
    def of(cls, model: type[Model], *, stream: str | None = None, ttl_attribute: str | None = None) -> Table:
        """The table of an imported model (named by its ``Meta.logical_name``): for code that holds the model
        anyway, such as tests and benchmarks; the runtime's manifest names its models instead."""
        return cls(model.Meta.logical_name, f"{model.__module__}:{model.__qualname__}",  # type: ignore[attr-defined]
                   stream=stream, ttl_attribute=ttl_attribute)

    def __post_init__(self) -> None:
        _check_name(self.name)
        if ":" not in self.model_path:
            raise ValueError(f"table {self.name!r}: model_path must be 'package.module:Class', not {self.model_path!r}")

    @property
    def model(self) -> type[Model]:
        module, _, attribute = self.model_path.partition(":")
        model: type[Model] = getattr(importlib.import_module(module), attribute)
        declared = getattr(model.Meta, "logical_name", None)
        if declared != self.name:
            raise ValueError(f"table {self.name!r}: {self.model_path}.Meta.logical_name is {declared!r}")
        return model

    @property
    def env_var(self) -> str:
        return resource_variable("table", self.name)

    def bind(self) -> None:
        """Point the model at the table the environment names now.

        Models read their table name at import; a process that provisions
        tables after importing them (the local platform, tests) rebinds here.
        """
        model = self.model
        model.Meta.table_name = table_name_for(self.name)
        model._connection = None  # pynamodb caches the endpoint with the connection


@dataclass(frozen=True)
class Subscription:
    """A queue's subscription to a topic.

    Delivery is raw (the SQS body is the published message itself). With
    ``types``, only messages whose ``type`` message attribute is one of them
    arrive; with ``channels``, only messages whose ``channels`` attribute (a
    ``String.Array``) holds at least one of them. Both: both must match. The SNS
    filter policy is ``{"type": [...], "channels": [...]}`` with the keys given.

    Usage::

        Subscription(DOMAIN_EVENTS, types=("post.created",))
        Subscription(NOTIFICATIONS_TOPIC, channels=("email",))   # {"channels": ["email"]}
    """

    topic: Topic
    types: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()

    def filter_policy(self) -> dict[str, list[str]] | None:
        # SNS matches a String.Array attribute when any of its elements equals a listed value
        # (moto too: moto/sns/utils.py decodes String.Array values as JSON lists before matching).
        policy = {"type": list(self.types), "channels": list(self.channels)}
        return {name: values for name, values in policy.items() if values} or None


@dataclass(frozen=True)
class Queue(Resource):
    """An SQS queue, always with a dead-letter queue.

    A message received ``max_receives`` times without being deleted moves to
    the dead-letter queue, which keeps it ``dlq_retention_seconds``.
    ``subscriptions`` subscribe the queue to topics (the topic may send to it).
    """

    visibility_timeout: int = 60
    max_receives: int = 5
    retention_seconds: int = 4 * 24 * 3600
    dlq_retention_seconds: int = 14 * 24 * 3600
    fifo: bool = False
    subscriptions: tuple[Subscription, ...] = ()
    kind: str = field(default="queue", init=False)

    def __post_init__(self) -> None:
        _check_name(self.name)
        if not 1 <= self.max_receives <= 1000:
            raise ValueError("max_receives must be within 1..1000")

    @property
    def env_var(self) -> str:
        return resource_variable("queue", self.name)

    def send(self) -> Grant:
        return self.grant("send")

    def consume(self) -> Grant:
        return self.grant("consume")


@dataclass(frozen=True)
class Topic(Resource):
    """An SNS topic."""

    kind: str = field(default="topic", init=False)

    def __post_init__(self) -> None:
        _check_name(self.name)

    @property
    def env_var(self) -> str:
        return resource_variable("topic", self.name)

    def publish(self) -> Grant:
        return self.grant("publish")


@dataclass(frozen=True)
class Notification:
    """A bucket's object events delivered to a queue (S3 -> SQS), optionally under one key prefix.

    The queue's policy lets this bucket, of this account, send to it and nothing else.
    """

    queue: Queue
    events: tuple[str, ...] = ("s3:ObjectCreated:*",)
    prefix: str | None = None


@dataclass(frozen=True)
class Bucket(Resource, _ReadWrite):
    """An S3 bucket: private, encrypted, TLS only, versioned where the environment says so.

    ``cors_origins``: browsers of these origins may upload (POST/PUT) and read. ``expire_days``:
    objects are deleted this many days after creation (raw uploads); incomplete multipart uploads
    are aborted after ``abort_multipart_days``. ``notifications``: object events into queues.
    ``cdn``: served to the public through a CDN (CloudFront with origin access control in AWS, the
    local platform's HTTP server locally), whose base URL reaches the runtime as ``<NAME>_BUCKET_URL``.
    """

    cors_origins: tuple[str, ...] = ()
    expire_days: int | None = None
    abort_multipart_days: int = 1
    notifications: tuple[Notification, ...] = ()
    cdn: bool = False
    kind: str = field(default="bucket", init=False)

    def __post_init__(self) -> None:
        _check_name(self.name)
        if self.expire_days is not None and self.expire_days < 1:
            raise ValueError("expire_days must be at least 1")

    @property
    def env_var(self) -> str:
        return resource_variable("bucket", self.name)

    @property
    def url_env_var(self) -> str:
        """The variable that holds the public base URL of a ``cdn`` bucket (no trailing slash)."""
        return resource_variable("bucket_url", self.name)


@dataclass(frozen=True)
class Transcoder(Resource):
    """A video transcoder: AWS Elemental MediaConvert in AWS, a local adapter (PyAV) on the local platform.

    The stack creates the role MediaConvert runs as (read ``source``, write ``destination``) and an
    on-demand MediaConvert queue (the provider has no job templates: the runtime builds each job's
    settings); ``transcode()`` lets a handler submit jobs with them. The runtime finds them through
    ``<NAME>_TRANSCODER_ROLE_ARN`` and ``<NAME>_TRANSCODER_QUEUE_ARN``. Job state changes arrive as
    EventBridge events (source ``aws.mediaconvert``).
    """

    source: Bucket | None = None
    destination: Bucket | None = None
    kind: str = field(default="transcoder", init=False)

    def __post_init__(self) -> None:
        _check_name(self.name)

    @property
    def env_var(self) -> str:
        return resource_variable("transcoder_role", self.name)

    @property
    def queue_env_var(self) -> str:
        return resource_variable("transcoder_queue", self.name)

    def transcode(self) -> Grant:
        return self.grant("transcode")



@dataclass(frozen=True)
class EmailTemplate:
    """An SES template: ``{{variables}}`` (Handlebars) in the subject, the plain-text and the HTML part."""

    name: str
    subject: str
    text: str
    html: str

    def __post_init__(self) -> None:
        _check_name(self.name)


@dataclass(frozen=True)
class Mailer(Resource):
    """Mail sent through SES from the environment's sending identity, with declared templates.

    The stack creates each template as ``<stack prefix>-<template>`` and gives the runtime the sender
    address (``<NAME>_MAILER_FROM``) and the templates' name prefix (``<NAME>_MAILER_TEMPLATES``);
    ``send()`` may send from that identity with those templates and nothing else.
    """

    templates: tuple[EmailTemplate, ...] = ()
    kind: str = field(default="mailer", init=False)

    def __post_init__(self) -> None:
        _check_name(self.name)
        names = [t.name for t in self.templates]
        if len(set(names)) != len(names):
            raise ValueError(f"mailer {self.name!r} declares a template twice")

    @property
    def env_var(self) -> str:
        return resource_variable("mailer_from", self.name)

    @property
    def templates_env_var(self) -> str:
        return resource_variable("mailer_templates", self.name)

    def send(self) -> Grant:
        return self.grant("send_email")


@dataclass(frozen=True)
class PushService(Resource):
    """Mobile push through SNS: platform applications (``apns``, ``fcm``) that exist where the stack configures
    them, and a platform endpoint per registered device.

    The runtime reads ``<NAME>_PUSH_APPS``, a JSON object of platform to application ARN (only the
    configured ones). ``register()`` creates, reads and deletes endpoints of those applications;
    ``push()`` publishes to them (and reads and deletes the ones AWS disabled).
    """

    platforms: tuple[str, ...] = ("apns", "fcm")
    kind: str = field(default="push", init=False)

    def __post_init__(self) -> None:
        _check_name(self.name)
        if not set(self.platforms) <= {"apns", "fcm"}:
            raise ValueError("push platforms are apns and fcm")

    @property
    def env_var(self) -> str:
        return resource_variable("push_apps", self.name)

    def register(self) -> Grant:
        return self.grant("push_register")

    def push(self) -> Grant:
        return self.grant("push")


@dataclass(frozen=True)
class WebSocket(Resource):
    """The WebSocket API, whose routes are the app's ``on_ws_*`` handlers.

    The API itself is derived from ``app.websocket_handlers``; declaring it lets any
    handler (a queue consumer pushing to users, not only the WebSocket handlers) hold
    ``manage()``: post to, read and close connections through the API Gateway
    Management API, whose endpoint reaches the runtime as ``WEBSOCKET_ENDPOINT``.
    """

    kind: str = field(default="websocket", init=False)

    def __post_init__(self) -> None:
        _check_name(self.name)

    @property
    def env_var(self) -> str:
        return WEBSOCKET_ENDPOINT

    def manage(self) -> Grant:
        return self.grant("manage_connections")


@dataclass(frozen=True)
class UsagePlan(Resource):
    """An API Gateway usage plan on the REST API's stage: API keys (``X-API-Key``) metered by it.

    The stack creates the plan (``stacks/integrations.py``); the runtime finds it by the name it reads from
    ``<NAME>_USAGE_PLAN`` (its id only exists once the API does, after the functions). ``manage_keys()``
    creates keys on the plan, reads them and their usage, and deletes them.
    """

    kind: str = field(default="usage_plan", init=False)

    def __post_init__(self) -> None:
        _check_name(self.name)

    @property
    def env_var(self) -> str:
        return resource_variable("usage_plan", self.name)

    def manage_keys(self) -> Grant:
        return self.grant("manage_keys")


@dataclass(frozen=True)
class Database(Resource):
    """A relational database (PostgreSQL on RDS behind RDS Proxy in AWS).

    Functions with a ``connect()`` grant run inside the VPC. They find the
    database through ``DATABASE_URL`` when it is set (the local platform, tests),
    otherwise through ``DATABASE_HOST``, ``DATABASE_PORT``, ``DATABASE_NAME``
    and the credentials secret ``DATABASE_SECRET_ARN`` (the stack sets these).
    ``migrations`` names the Alembic scripts folder, relative to ``runtime/``.
    """

    migrations: str = ""
    kind: str = field(default="database", init=False)

    def __post_init__(self) -> None:
        _check_name(self.name)

    @property
    def env_var(self) -> str:
        return DATABASE_URL

    def connect(self) -> Grant:
        return self.grant("connect")


@dataclass(frozen=True)
class SearchDomain(Resource):
    """A search engine: an OpenSearch domain in AWS, an embedded backend on the local platform.

    In AWS the domain sits in the VPC: functions with a ``search()`` or ``index()`` grant run in
    the VPC too (beside the database's), and sign their requests with their role, which the
    domain's access policy names. The runtime finds it through ``SEARCH_ENDPOINT`` and its own
    indexes through ``SEARCH_INDEX_PREFIX`` (stacks sharing a domain differ by prefix).
    """

    kind: str = field(default="search", init=False)

    def __post_init__(self) -> None:
        _check_name(self.name)

    @property
    def env_var(self) -> str:
        return SEARCH_ENDPOINT

    def search(self) -> Grant:
        """Queries (``_search``): GET, HEAD and POST."""
        return self.grant("search")

    def index(self) -> Grant:
        """Writes (``_bulk``) and index management (create, aliases, reindex): every HTTP method."""
        return self.grant("index")


@dataclass(frozen=True)
class Secret(Resource):
    """A Secrets Manager secret the app reads at cold start (signing keys and the like).

    The platform creates it with a random value; rotating it (a new version becomes
    ``AWSCURRENT``, the old one ``AWSPREVIOUS``) needs no deploy. The runtime finds
    it through ``<NAME>_SECRET_ARN``; its value never sits in an environment variable.
    """

    length: int = 64
    kind: str = field(default="secret", init=False)

    def __post_init__(self) -> None:
        _check_name(self.name)
        if not 32 <= self.length <= 4096:
            raise ValueError("a secret's length must be within 32..4096")

    @property
    def env_var(self) -> str:
        return resource_variable("secret", self.name)

    def read(self) -> Grant:
        return self.grant("read_secret")


@dataclass(frozen=True)
class PasswordPolicy:
    """The user pool's password rules; the runtime checks them before Cognito does."""

    min_length: int = 10
    require_lowercase: bool = True
    require_uppercase: bool = True
    require_numbers: bool = True
    require_symbols: bool = False


@dataclass(frozen=True)
class UserPool(Resource):
    """The Cognito user pool, its app client and the groups it has.

    The app reads ``USER_POOL_ID``, ``USER_POOL_CLIENT_ID``, ``JWKS_URL`` and
    ``TOKEN_ISSUER`` (moto signs tokens with the real AWS issuer while serving
    its JWKS locally, so the two are separate settings). ``pre_sign_up`` names
    the app's pure Lambda function (``@lambda_function(name=...)``) that the
    pool calls before every sign-up, to refuse it by raising.
    """

    password_policy: PasswordPolicy = PasswordPolicy()
    groups: tuple[str, ...] = ()
    pre_sign_up: str | None = None
    kind: str = field(default="user_pool", init=False)

    def __post_init__(self) -> None:
        _check_name(self.name)

    @property
    def env_var(self) -> str:
        return USER_POOL_ID

    def sign_up(self) -> Grant:
        """Public sign-up, sign-in and refresh: no IAM needed, listed for clarity."""
        return self.grant("sign_up")

    def confirm(self) -> Grant:
        """Confirming a sign-up at once (``AdminConfirmSignUp``), where the environment allows it."""
        return self.grant("confirm")

    def delete_user(self) -> Grant:
        """Deleting an account (``AdminDeleteUser``): undoing a sign-up whose registration failed."""
        return self.grant("delete_user")

    def read_user(self) -> Grant:
        """Reading one account (``AdminGetUser``): whether an admin has multi-factor sign-in on."""
        return self.grant("read_user")

    def admin(self) -> Grant:
        """User administration: groups, attributes, listing users."""
        return self.grant("admin")


@dataclass(frozen=True)
class Manifest:
    """Everything the runtime declares, in one place for stacks and the local platform."""

    tables: tuple[Table, ...] = ()
    queues: tuple[Queue, ...] = ()
    topics: tuple[Topic, ...] = ()
    buckets: tuple[Bucket, ...] = ()
    user_pool: UserPool | None = None
    databases: tuple[Database, ...] = ()
    secrets: tuple[Secret, ...] = ()
    transcoders: tuple[Transcoder, ...] = ()
    mailers: tuple[Mailer, ...] = ()
    push_services: tuple[PushService, ...] = ()
    websocket: WebSocket | None = None
    search: SearchDomain | None = None
    usage_plans: tuple[UsagePlan, ...] = ()

    def __post_init__(self) -> None:
        seen: set[tuple[str, str]] = set()
        for resource in self.resources():
            key = (resource.kind, resource.name)
            if key in seen:
                raise ValueError(f"{resource.kind} {resource.name!r} is declared twice")
            seen.add(key)
        for queue in self.queues:
            for subscription in queue.subscriptions:
                if subscription.topic not in self.topics:
                    raise ValueError(f"queue {queue.name!r} subscribes to undeclared topic {subscription.topic.name!r}")
        for bucket in self.buckets:
            for notification in bucket.notifications:
                if notification.queue not in self.queues:
                    raise ValueError(f"bucket {bucket.name!r} notifies undeclared queue {notification.queue.name!r}")
        for transcoder in self.transcoders:
            for used in (transcoder.source, transcoder.destination):
                if used is not None and used not in self.buckets:
                    raise ValueError(f"transcoder {transcoder.name!r} uses undeclared bucket {used.name!r}")

    def resources(self) -> Iterable[Resource]:
        yield from self.tables
        yield from self.queues
        yield from self.topics
        yield from self.buckets
        if self.user_pool is not None:
            yield self.user_pool
        yield from self.databases
        yield from self.secrets
        yield from self.transcoders
        yield from self.mailers
        yield from self.push_services
        if self.websocket is not None:
            yield self.websocket
        if self.search is not None:
            yield self.search
        yield from self.usage_plans

    def queue(self, name: str) -> Queue:
        return _find(self.queues, name, "queue")

    def topic(self, name: str) -> Topic:
        return _find(self.topics, name, "topic")

    def bucket(self, name: str) -> Bucket:
        return _find(self.buckets, name, "bucket")

    def table(self, name: str) -> Table:
        return _find(self.tables, name, "table")


R = TypeVar("R", bound=Resource)


def _find(items: Iterable[R], name: str, kind: str) -> R:
    for item in items:
        if item.name == name:
            return item
    raise LookupError(f"no {kind} named {name!r} is declared")


def uses(*grants: Grant) -> Callable[[F], F]:
    """Record what a handler touches, for its IAM policy and nothing else."""

    def mark(func: F) -> F:
        existing: tuple[Grant, ...] = getattr(func, GRANTS_ATTRIBUTE, ())
        setattr(func, GRANTS_ATTRIBUTE, existing + tuple(grants))
        return func

    return mark


def grants_of(handler: Callable[..., Any]) -> tuple[Grant, ...]:
    """The grants recorded on a handler, looking through Chalice's wrappers."""
    for candidate in (handler, getattr(handler, "func", None), getattr(handler, "__wrapped__", None)):
        if candidate is not None and hasattr(candidate, GRANTS_ATTRIBUTE):
            return tuple(getattr(candidate, GRANTS_ATTRIBUTE))
    return ()


def table_name_for(logical_name: str) -> str:
    """The physical name of a table, for a PynamoDB model's ``Meta``.

    Usage::

        class UserModel(Model):
            class Meta:
                logical_name = "users"
                table_name = table_name_for(logical_name)
                region = aws_region()
    """
    import chalicelib.core.dynamodb_sessions  # noqa: F401  (every model calls this: one botocore loader for all)

    return os.environ.get(resource_variable("table", _check_name(logical_name)), logical_name)


def aws_region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"


def physical_name(resource: Resource, default: str | None = None) -> str:
    """The physical name (or URL, or ARN) the platform gave a declared resource."""
    value = os.environ.get(resource.env_var, default)
    if value is None:
        raise LookupError(f"{resource.env_var} is not set: is {resource.kind} {resource.name!r} provisioned?")
    return value
