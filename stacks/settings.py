"""Typed settings of one stack, built from Pulumi config.

The code's defaults are dev's settings; ``Pulumi.<stack>.yaml`` holds only what
differs (prod turns on deletion protection, PITR and so on). A stack named
``preview-*`` inherits dev's settings and then is forced as cheap and disposable
as AWS allows, whatever its config says.

Usage::

    settings = StackSettings.from_config()          # inside a Pulumi program
    settings = StackSettings.from_config(pulumi.Config("social"), stack="prod", region="eu-west-1")
    settings.namer.name("users")                    # 'social-prod-users'
"""

from __future__ import annotations

import dataclasses
import sys
from dataclasses import dataclass
from typing import Literal, cast, get_args

import pulumi

from stacks.naming import Namer

Environment = Literal["dev", "prod", "preview"]
MfaMode = Literal["OFF", "OPTIONAL", "ON"]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]

PROJECT = "social"
PREVIEW_PREFIX = "preview-"
DEFAULT_PACKAGE = "build/chalice/deployment.zip"
PREVIEW_TIMELINE_DAYS = 7
# CloudWatch accepts only these retention periods.
RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
                  3288, 3653)


class SettingsError(ValueError):
    """A stack's config is invalid; the message names the key to fix."""


def environment_of(stack: str) -> Environment:
    """``dev`` / ``prod`` by name, ``preview`` for ``preview-*``; anything else is refused.

    >>> environment_of("preview-feature-x")
    'preview'
    """
    if stack.startswith(PREVIEW_PREFIX) and len(stack) > len(PREVIEW_PREFIX):
        return "preview"
    if stack in ("dev", "prod"):
        return stack  # type: ignore[return-value]  # narrowed by the membership test
    raise SettingsError(f"unknown stack {stack!r}: use 'dev', 'prod' or 'preview-<branch>'")


PACKAGED_RUNTIME = f"python{sys.version_info.major}.{sys.version_info.minor}"


@dataclass(frozen=True)
class StackSettings:
    """Everything that differs between environments, typed. Defaults are dev's."""

    stack: str
    environment: Environment
    region: str = "us-east-1"
    project: str = PROJECT
    # Functions
    # `chalice package` bundles binary wheels (pydantic-core, psycopg, cryptography) for the Python
    # that runs it, the same virtual environment as this program: the runtime must be that one.
    lambda_runtime: str = PACKAGED_RUNTIME
    lambda_memory_mb: int = 512
    lambda_timeout_seconds: int = 10
    lambda_package: str = DEFAULT_PACKAGE
    log_retention_days: int = 14
    log_level: LogLevel = "INFO"
    tracing: bool = True
    max_body_bytes: int = 64 * 1024
    # Data and storage
    point_in_time_recovery: bool = False
    table_kms_encryption: bool = False  # False: DynamoDB's AWS-owned key (free); True: the AWS-managed KMS key
    deletion_protection: bool = False
    bucket_versioning: bool = False
    force_destroy_buckets: bool = False
    # Identity
    auto_confirm_signup: bool = False
    mfa: MfaMode = "OFF"
    access_token_minutes: int = 60
    refresh_token_days: int = 30
    # API
    throttle_rate_limit: float = 50.0
    throttle_burst_limit: int = 100
    manage_api_gateway_account: bool = False  # the account-wide CloudWatch role for API access logs
    # Observability
    alarm_email: str | None = None
    # Feed (read by the runtime as FANOUT_MAX_FOLLOWERS, TIMELINE_DAYS, BACKFILL_POSTS)
    fanout_max_followers: int = 50_000  # authors with more followers are merged at read time, not fanned out
    timeline_days: int = 30  # timeline entries expire after this many days (TTL)
    backfill_posts: int = 20  # posts copied into a timeline when its owner follows someone
    # Network (created only when the manifest declares a database): private subnets in this many AZs
    availability_zones: int = 2
    vpc_cidr: str = "10.40.0.0/16"
    # NAT gateways (with public subnets and an internet gateway): 0 leaves the VPC without any route to the
    # internet; AWS services are then reached through VPC endpoints only. Previews default to 0.
    nat_gateways: int = 1
    # Databases (PostgreSQL on RDS behind RDS Proxy)
    db_engine_version: str = "16"
    db_instance_class: str = "db.t4g.small"
    db_allocated_storage_gb: int = 20
    db_max_allocated_storage_gb: int = 100  # storage autoscaling ceiling; equal to the above turns it off
    db_backup_retention_days: int = 3
    db_multi_az: bool = False
    db_performance_insights: bool = True
    migration_timeout_seconds: int = 300  # the migrate_<database> function's timeout (not an API route)

    def __post_init__(self) -> None:
        if self.log_retention_days not in RETENTION_DAYS:
            raise SettingsError(f"logRetentionDays must be one of {RETENTION_DAYS}, not {self.log_retention_days}")
        if not 1 <= self.lambda_timeout_seconds <= 29:
            # API Gateway stops waiting at 29 s, so a longer routes function only wastes money.
            raise SettingsError("lambdaTimeoutSeconds must be within 1..29")
        if not 128 <= self.lambda_memory_mb <= 10240:
            raise SettingsError("lambdaMemoryMb must be within 128..10240")
        if self.lambda_runtime not in ("python3.11", "python3.12"):
            raise SettingsError("lambdaRuntime must be python3.11 or python3.12 (what the package is built for)")
        if self.mfa not in get_args(MfaMode):
            raise SettingsError(f"mfa must be one of {get_args(MfaMode)}")
        if self.log_level not in get_args(LogLevel):
            raise SettingsError(f"logLevel must be one of {get_args(LogLevel)}")
        if self.fanout_max_followers < 0:
            raise SettingsError("fanoutMaxFollowers must be 0 or more (0 merges every author's posts at read time)")
        if not 1 <= self.timeline_days <= 365:
            raise SettingsError("timelineDays must be within 1..365")
        if not 1 <= self.backfill_posts <= 1000:
            # The runtime passes it as a query limit, where 0 would mean no limit at all.
            raise SettingsError("backfillPosts must be within 1..1000")
        if not 2 <= self.availability_zones <= 6:
            # An RDS subnet group needs subnets in at least two AZs, even for a single-AZ instance.
            raise SettingsError("availabilityZones must be within 2..6")
        if not 0 <= self.nat_gateways <= self.availability_zones:
            raise SettingsError("natGateways must be within 0..availabilityZones (one per AZ at most)")
        if self.db_engine_version.split(".")[0] not in ("15", "16"):
            raise SettingsError("dbEngineVersion must be PostgreSQL 15 or 16 (e.g. '16' or '16.4')")
        if not 1 <= self.db_backup_retention_days <= 35:
            raise SettingsError("dbBackupRetentionDays must be within 1..35 (0 would turn automated backups off)")
        if not 20 <= self.db_allocated_storage_gb <= self.db_max_allocated_storage_gb:
            raise SettingsError("dbAllocatedStorageGb must be at least 20 and at most dbMaxAllocatedStorageGb")
        if not 1 <= self.migration_timeout_seconds <= 900:
            raise SettingsError("migrationTimeoutSeconds must be within 1..900")

    @property
    def namer(self) -> Namer:
        return Namer(self.project, self.stack, self.environment)

    @property
    def is_preview(self) -> bool:
        return self.environment == "preview"

    @classmethod
    def from_config(cls, config: pulumi.Config | None = None, stack: str | None = None,
                    region: str | None = None) -> StackSettings:
        """Settings of ``stack`` (default: the running stack) from its ``social:*`` config keys."""
        config = config or pulumi.Config(PROJECT)
        stack = stack or pulumi.get_stack()
        environment = environment_of(stack)
        region = region or pulumi.Config("aws").get("region") or "us-east-1"
        base = cls(stack=stack, environment=environment, region=region)
        values: dict[str, object] = {}
        for item in dataclasses.fields(cls):
            if item.name in ("stack", "environment", "region", "project"):
                continue
            key = _camel(item.name)
            default = getattr(base, item.name)
            try:
                if isinstance(default, bool):
                    value: object = config.get_bool(key)
                elif isinstance(default, int):
                    value = config.get_int(key)
                elif isinstance(default, float):
                    value = config.get_float(key)
                else:
                    value = config.get(key)
            except pulumi.ConfigTypeError as exc:
                raise SettingsError(f"social:{key}: {exc}") from exc
            if value is not None:
                values[item.name] = value
        if environment == "preview":
            # A preview's own NAT choice (0 unless its config asks), checked after cheapest() caps it.
            nat = cast(int, values.pop("nat_gateways", 0))
            return dataclasses.replace(base, **values).cheapest(nat_gateways=nat)  # type: ignore[arg-type]
        return dataclasses.replace(base, **values)  # type: ignore[arg-type]  # values typed per field above

    def cheapest(self, nat_gateways: int = 0) -> StackSettings:
        """This stack made disposable: what every ``preview-*`` stack runs with.

        No NAT gateway unless the preview's config asks for one (and then one at most): without it the
        ledger functions reach AWS only through the VPC endpoints (see stacks/network.py for what that loses).
        """
        return dataclasses.replace(
            self,
            availability_zones=2,
            nat_gateways=min(nat_gateways, 1),
            db_instance_class="db.t4g.micro",
            db_allocated_storage_gb=20,
            db_max_allocated_storage_gb=20,  # no storage autoscaling
            db_backup_retention_days=1,
            db_multi_az=False,
            db_performance_insights=False,
            point_in_time_recovery=False,
            table_kms_encryption=False,
            deletion_protection=False,
            bucket_versioning=False,
            force_destroy_buckets=True,
            log_retention_days=1,
            auto_confirm_signup=True,  # nobody reads a preview's confirmation mail
            mfa="OFF",
            timeline_days=min(self.timeline_days, PREVIEW_TIMELINE_DAYS),  # less to store; may be shorter still
        )


def _camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(part.capitalize() for part in rest)
