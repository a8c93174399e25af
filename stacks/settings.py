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
import re
from dataclasses import dataclass
from typing import Literal, get_args

import pulumi

from stacks.naming import Namer

Environment = Literal["dev", "prod", "preview", "account"]
MfaMode = Literal["OFF", "OPTIONAL", "ON"]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]

PROJECT = "social"
PREVIEW_PREFIX = "preview-"
ACCOUNT_PREFIX = "account-"
# A preview's name becomes part of every physical name ('social-preview-<branch>-<resource>'): lower-case
# words of letters and digits joined by single dashes, short enough that names stay readable under AWS's
# 64-character limits (longer ones would all be cut to a hash and look alike).
PREVIEW_NAME = re.compile(r"preview-[a-z0-9]+(?:-[a-z0-9]+)*")
MAX_STACK_NAME = 32
REGION_NAME = re.compile(r"[a-z]{2}(?:-gov)?-[a-z]+-[0-9]")
CORS_ORIGIN = re.compile(r"https://[a-z0-9.-]+(:[0-9]{1,5})?|http://(localhost|127\.0\.0\.1)(:[0-9]{1,5})?")
DEFAULT_PACKAGE = "build/chalice/deployment.zip"
PREVIEW_TIMELINE_DAYS = 7
# CloudWatch accepts only these retention periods.
RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
                  3288, 3653)


# The account stack's shared network and server, unless its config says otherwise: one NAT gateway (route
# functions fetch the JWKS through it), the smallest server, a day of backups.
ACCOUNT_DEFAULTS: dict[str, object] = {
    "nat_gateways": 1, "availability_zones": 2, "db_instance_class": "db.t4g.micro", "db_backup_retention_days": 1,
    "db_performance_insights": False, "db_proxy": False, "log_retention_days": 7,
}


class SettingsError(ValueError):
    """A stack's config is invalid; the message names the key to fix."""


def environment_of(stack: str) -> Environment:
    """``dev`` / ``prod`` by name, ``preview`` for ``preview-*``, ``account`` for ``account-<region>``.

    Names that would collide with another stack's resources or make invalid resource names
    (upper case, underscores, ``--``, too long) are refused with the name to use instead.

    >>> environment_of("preview-feature-x")
    'preview'
    """
    if stack in ("dev", "prod"):
        return stack  # type: ignore[return-value]  # narrowed by the membership test
    if stack.startswith(ACCOUNT_PREFIX):
        if not REGION_NAME.fullmatch(stack.removeprefix(ACCOUNT_PREFIX)):
            raise SettingsError(f"account stack {stack!r} must be named account-<region>, e.g. account-eu-west-1")
        return "account"
    if stack.startswith(PREVIEW_PREFIX) and len(stack) > len(PREVIEW_PREFIX):
        if not PREVIEW_NAME.fullmatch(stack) or len(stack) > MAX_STACK_NAME:
            raise SettingsError(
                f"preview stack {stack!r} would make invalid or colliding resource names: use lower-case letters "
                f"and digits joined by single dashes, at most {MAX_STACK_NAME} characters, e.g. "
                f"{suggest_preview_name(stack)!r}")
        return "preview"
    raise SettingsError(f"unknown stack {stack!r}: use 'dev', 'prod', 'preview-<branch>' or 'account-<region>'")


def suggest_preview_name(stack: str) -> str:
    """A valid preview name for a branch-like name (what CI should name the stack).

    >>> suggest_preview_name("preview-Feature_X--2")
    'preview-feature-x-2'
    """
    words = re.findall(r"[a-z0-9]+", stack.removeprefix(PREVIEW_PREFIX).lower())
    return (PREVIEW_PREFIX + "-".join(words))[:MAX_STACK_NAME].rstrip("-") if words else "preview-branch"


# The newest Python Lambda runs that the package is built for: `make package` builds the archive with
# this interpreter (binary wheels are per Python version), and the stack refuses an archive built for another.
LAMBDA_RUNTIME = "python3.13"
SUPPORTED_RUNTIMES = ("python3.12", "python3.13")
# The instruction set every function runs on (Graviton: arm64 compute is 20% cheaper per GB-s than x86_64,
# tools/prices.toml), and the one `make package` selects binary wheels for: chalice's packager reads it as
# `lambda_architecture` from runtime/.chalice/config.json (tests/infra/test_package_and_plan.py checks that the
# two agree), package.json records the machine of the archive's compiled modules, and the stack refuses an
# archive built for another.
LAMBDA_ARCHITECTURE = "arm64"
SUPPORTED_ARCHITECTURES = ("x86_64", "arm64")
# RFC 2606/6761 names: fine for an offline plan, never an address anyone reads.
WEB_DOMAIN = re.compile(r"(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")
PLACEHOLDER_DOMAIN = re.compile(r"(^|[@.])(example\.(com|org|net)|[^@]*\.(example|test|invalid))$", re.IGNORECASE)


# The web client's page that takes the hosted sign-in pages' code (web/src/App.tsx's /auth/callback route).
WEB_CALLBACK_PATH = "/auth/callback"


@dataclass(frozen=True)
class StackSettings:
    """Everything that differs between environments, typed. Defaults are dev's."""

    stack: str
    environment: Environment
    region: str = "us-east-1"
    project: str = PROJECT
    # Functions. The API's functions answer within API Gateway's 29 s; scheduled, batch and queue functions
    # (workers) get their own, longer timeout and memory (a queue's consumer at most its visibility timeout).
    lambda_runtime: str = LAMBDA_RUNTIME
    lambda_architecture: str = LAMBDA_ARCHITECTURE
    lambda_memory_mb: int = 512
    lambda_timeout_seconds: int = 10
    worker_memory_mb: int = 1024
    worker_timeout_seconds: int = 300
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
    user_pool_tier: str = "LITE"  # Cognito's feature plan: LITE, ESSENTIALS or PLUS
    access_token_minutes: int = 60
    # Sign-in with Google and Facebook (Cognito's identity providers and hosted domain): each exists once its
    # client id is set, with its secret as encrypted config (googleClientSecret, facebookClientSecret: see
    # stacks/identity.py); signInCallbackUrls (comma-separated) is where the hosted pages send people back
    # (the web app's sign-in landing page), authDomainPrefix the hosted domain's prefix (default: derived).
    google_client_id: str | None = None
    facebook_client_id: str | None = None
    sign_in_callback_urls: str | None = None
    auth_domain_prefix: str | None = None
    refresh_token_days: int = 30
    # API
    throttle_rate_limit: float = 50.0
    throttle_burst_limit: int = 100
    # WAF (stacks/waf.py): a web ACL at the edge and one on the API stage. Rates are per second; WAF counts them
    # per 60-second window (x 60). The per-user rate is the seed's 1,000 requests a second, keyed on the token.
    waf: bool = True
    # CloudWatch alarms (stacks/observability.py) on every function's errors and every dead-letter queue:
    # $0.10 each a month. Previews have none: a disposable stack pages nobody.
    alarms: bool = True
    # The stack's CloudWatch dashboard (stacks/dashboard.py): $3 a month beyond an account's first 3. Previews
    # have none, as they have no alarms.
    dashboard: bool = True
    # The account's CloudTrail trail (stacks/audit.py), in the account stack: it is multi-region, so only one
    # account stack of an account holds it (set social:auditTrail false in the others' config).
    audit_trail: bool = True
    waf_user_requests_per_second: int = 1000
    waf_ip_requests_per_second: int = 2000
    # Integration keys (stacks/integrations.py): each key's own quota and throttle, in the usage plan.
    integration_quota_per_day: int = 10_000
    integration_rate_limit: float = 10.0
    integration_burst_limit: int = 20
    # Browser origins of third-party clients the API answers with CORS (corsOrigins: a list); none by default:
    # the app's own web client shares the API's origin (chalicelib/integrations/cors.py).
    cors_origins: tuple[str, ...] = ()
    # Observability: prod refuses to render without someone to tell
    alarm_email: str | None = None
    # Feed (read by the runtime as FANOUT_MAX_FOLLOWERS, TIMELINE_DAYS, BACKFILL_POSTS)
    fanout_max_followers: int = 50_000  # authors with more followers are merged at read time, not fanned out
    timeline_days: int = 30  # timeline entries expire after this many days (TTL)
    backfill_posts: int = 20  # posts copied into a timeline when its owner follows someone
    # The account stack (account-<region>) this stack reads its shared resources from; default
    # '<organization>/<project>/account-<region>'.
    account_stack: str | None = None
    # True: the ledger's functions join the account stack's shared network and database server, each stack
    # with its own database and role (previews always; dev by default). False: a network and server of its own.
    shared_network: bool = True
    # Network of its own (created only when the manifest declares a database): private subnets in this many AZs
    availability_zones: int = 2
    vpc_cidr: str = "10.40.0.0/16"
    # NAT gateways (with public subnets and an internet gateway): 0 leaves the VPC without any route to the
    # internet; AWS services are then reached through VPC endpoints only.
    nat_gateways: int = 1
    # Interface endpoints for the AWS services the VPC's functions call: always without NAT (the only way
    # out), and with NAT only when asked (they keep that traffic off the NAT and inside the VPC).
    private_endpoints: bool = False
    # Databases (PostgreSQL on RDS, behind RDS Proxy where dbProxy)
    db_engine_version: str = "16"
    db_instance_class: str = "db.t4g.small"
    db_allocated_storage_gb: int = 20
    db_max_allocated_storage_gb: int = 100  # storage autoscaling ceiling; equal to the above turns it off
    db_backup_retention_days: int = 3
    db_multi_az: bool = False
    db_performance_insights: bool = True
    db_proxy: bool = True  # RDS Proxy in front of a server of its own (pools Lambda's many connections)
    migration_timeout_seconds: int = 900  # the migrate_<database> function's timeout: it waits for the proxy
    # Search (an OpenSearch Service domain in the VPC, stacks/search.py): dev's (in the account stack, which dev and
    # previews share) is one small node; prod's is its own, over searchZones AZs with dedicated masters.
    search_engine_version: str = "OpenSearch_2.19"
    search_instance_type: str = "t3.small.search"
    search_instance_count: int = 1
    search_zones: int = 1  # more than 1: zone awareness, replicas in another AZ
    search_dedicated_masters: int = 0  # 0, 3 or 5 dedicated master nodes
    search_master_type: str = "m6g.large.search"
    search_volume_gb: int = 10
    # Notification channels. Links in mails point at publicApiUrl (a custom domain, no trailing slash), else at
    # the REST API's own URL. Push: APNs (token auth) exists with all three ids and the apnsSigningKey secret,
    # FCM with the fcmServiceAccount secret (stacks/push.py); neither by default.
    public_api_url: str | None = None
    apns_key_id: str | None = None
    apns_team_id: str | None = None
    apns_bundle_id: str | None = None
    apns_sandbox: bool = False
    digest_segments: int = 16  # parallel scan segments of the daily digest (one Lambda each)
    # Feature flags (AppConfig): 0 deploys a new flags document all at once; more spreads it over that many
    # minutes (linear steps), then bakes, with the API's error alarm able to roll it back all along.
    flags_rollout_minutes: int = 0
    flags_bake_minutes: int = 0
    flags_document: str | None = None  # another flags document to deploy (a path); None: the repository's
    # The web client (stacks/web.py): a custom domain for its distribution (e.g. app.example.org), with the ARN of
    # an ACM certificate for it in us-east-1 (CloudFront reads certificates there only); without one, the stack
    # requests a DNS-validated certificate and exports the record to add. None: the *.cloudfront.net name.
    web_domain: str | None = None
    web_certificate_arn: str | None = None

    def __post_init__(self) -> None:
        if self.log_retention_days not in RETENTION_DAYS:
            raise SettingsError(f"logRetentionDays must be one of {RETENTION_DAYS}, not {self.log_retention_days}")
        if not 1 <= self.lambda_timeout_seconds <= 29:
            # API Gateway stops waiting at 29 s, so a longer routes function only wastes money.
            raise SettingsError("lambdaTimeoutSeconds must be within 1..29")
        if not 128 <= self.lambda_memory_mb <= 10240:
            raise SettingsError("lambdaMemoryMb must be within 128..10240")
        if self.lambda_runtime not in SUPPORTED_RUNTIMES:
            raise SettingsError(f"lambdaRuntime must be one of {SUPPORTED_RUNTIMES} (what `make package` builds for)")
        if self.lambda_architecture not in SUPPORTED_ARCHITECTURES:
            raise SettingsError(f"lambdaArchitecture must be one of {SUPPORTED_ARCHITECTURES} (Lambda's two)")
        if not 128 <= self.worker_memory_mb <= 10240:
            raise SettingsError("workerMemoryMb must be within 128..10240")
        if not 1 <= self.worker_timeout_seconds <= 900:
            raise SettingsError("workerTimeoutSeconds must be within 1..900 (Lambda's 15-minute ceiling)")
        # AppConfig's limits for a deployment strategy (DeploymentDurationInMinutes, FinalBakeTimeInMinutes).
        if not 0 <= self.flags_rollout_minutes <= 1440 or not 0 <= self.flags_bake_minutes <= 1440:
            raise SettingsError("flagsRolloutMinutes and flagsBakeMinutes must be within 0..1440")
        if self.environment == "prod" and not self.alarm_email:
            raise SettingsError("prod needs someone to page: set social:alarmEmail (pulumi config set alarmEmail ...)")
        if self.environment == "prod" and self.shared_network:
            raise SettingsError("prod keeps its own network and database server: set social:sharedNetwork false")
        if self.user_pool_tier not in ("LITE", "ESSENTIALS", "PLUS"):
            raise SettingsError("userPoolTier must be LITE, ESSENTIALS or PLUS")
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
        if not 1 <= self.search_zones <= 3:
            raise SettingsError("searchZones must be within 1..3 (OpenSearch's zone awareness spans 2 or 3 AZs)")
        if self.search_instance_count < self.search_zones or self.search_instance_count % self.search_zones:
            raise SettingsError("searchInstanceCount must be a multiple of searchZones (the nodes spread evenly)")
        if self.search_dedicated_masters not in (0, 3, 5):
            raise SettingsError("searchDedicatedMasters must be 0, 3 or 5 (a quorum survives one or two losses)")
        if not 10 <= self.search_volume_gb <= 16384:
            raise SettingsError("searchVolumeGb must be within 10..16384")
        apns = (self.apns_key_id, self.apns_team_id, self.apns_bundle_id)
        if any(apns) and not all(apns):
            raise SettingsError("APNs push needs apnsKeyId, apnsTeamId and apnsBundleId together (and the "
                                "apnsSigningKey secret)")
        if self.public_api_url is not None and not re.fullmatch(r"https://[^\s/]+(/[^\s]*)?", self.public_api_url):
            raise SettingsError("publicApiUrl must be an https:// URL")
        if self.web_domain is not None and not WEB_DOMAIN.fullmatch(self.web_domain):
            raise SettingsError("webDomain must be a host name such as app.example.org (no scheme, no path)")
        if self.web_certificate_arn is not None and (
                self.web_domain is None or not self.web_certificate_arn.startswith("arn:aws:acm:us-east-1:")):
            raise SettingsError("webCertificateArn needs webDomain and must be an ACM certificate in us-east-1 "
                                "(the only region CloudFront reads certificates from)")
        if (self.google_client_id or self.facebook_client_id) and not self.callback_urls:
            raise SettingsError("sign-in with Google or Facebook needs signInCallbackUrls (the app's landing page)")
        for url in self.callback_urls:
            # Cognito allows http only for localhost (a developer's app); anything else must be https.
            if not re.fullmatch(r"https://[^\s/]+(/\S*)?|http://localhost(:[0-9]+)?(/\S*)?", url):
                raise SettingsError(f"signInCallbackUrls: {url!r} must be an https:// URL (http only for localhost)")
            if not url.endswith(WEB_CALLBACK_PATH):
                # The web app exchanges the code on that page only (web/src/pages/auth/Callback.tsx).
                raise SettingsError(f"signInCallbackUrls: {url!r} must end with {WEB_CALLBACK_PATH}, the web app's "
                                    "landing page for Google and Facebook sign-in")
        if self.auth_domain_prefix is not None and (
                not re.fullmatch(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?", self.auth_domain_prefix)
                or re.search(r"aws|amazon|cognito", self.auth_domain_prefix)):
            raise SettingsError("authDomainPrefix must be lower-case letters, digits and inner dashes, without "
                                "'aws', 'amazon' or 'cognito' (Cognito's rule for prefix domains)")
        if not 1 <= self.digest_segments <= 1000:
            raise SettingsError("digestSegments must be within 1..1000")
        # WAF's rate limits are 10..2,000,000,000 per window; at 60 s windows, 1..33,333,333 a second.
        for key, rate in (("wafUserRequestsPerSecond", self.waf_user_requests_per_second),
                          ("wafIpRequestsPerSecond", self.waf_ip_requests_per_second)):
            if not 1 <= rate <= 33_333_333:
                raise SettingsError(f"{key} must be within 1..33333333 (WAF counts at most 2e9 a minute)")
        if self.integration_quota_per_day < 1 or self.integration_rate_limit <= 0 or self.integration_burst_limit < 1:
            raise SettingsError("integrationQuotaPerDay, integrationRateLimit and integrationBurstLimit must be "
                                "positive")
        for origin in self.cors_origins:
            # An origin is scheme, host and port; it also lands in the preflight's VTL, so no quote or space.
            if not isinstance(origin, str) or not CORS_ORIGIN.fullmatch(origin):
                raise SettingsError(f"corsOrigins: {origin!r} must be an origin such as https://partner.example "
                                    "(https, or http for localhost; no path)")

    @property
    def callback_urls(self) -> tuple[str, ...]:
        return tuple(u.strip() for u in (self.sign_in_callback_urls or "").split(",") if u.strip())

    @property
    def namer(self) -> Namer:
        return Namer(self.project, self.stack, self.environment, self.region)

    @property
    def account_stack_name(self) -> str:
        """The account stack to reference: ``social:accountStack`` or ``<org>/<project>/account-<region>``."""
        # Self-managed backends name every organization "organization"; mocks name none.
        organization = pulumi.get_organization() or "organization"
        return self.account_stack or f"{organization}/{self.project}/{ACCOUNT_PREFIX}{self.region}"

    def check_deployable(self) -> None:
        """Refuse, on a real update, what only an offline plan may use (placeholder alarm addresses)."""
        if self.alarm_email and PLACEHOLDER_DOMAIN.search(self.alarm_email) and not pulumi.runtime.is_dry_run():
            raise SettingsError(f"social:alarmEmail {self.alarm_email!r} is a placeholder: set the address that "
                                "should be paged before `pulumi up`")

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
        values: dict[str, object] = {}
        for item in dataclasses.fields(cls):
            if item.name in ("stack", "environment", "region", "project"):
                continue
            key = _camel(item.name)
            default = item.default
            try:
                if isinstance(default, tuple):  # a list in the stack's YAML
                    listed = config.get_object(key)
                    if listed is not None and not isinstance(listed, list):
                        raise SettingsError(f"social:{key} must be a list")
                    value: object = tuple(listed) if listed is not None else None
                elif isinstance(default, bool):
                    value = config.get_bool(key)
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
        if environment == "account":
            values = {**ACCOUNT_DEFAULTS, **values}
        settings = cls(stack=stack, environment=environment, region=region,
                       **values)  # type: ignore[arg-type]  # typed per field above
        return settings.cheapest() if environment == "preview" else settings

    def cheapest(self) -> StackSettings:
        """This stack made disposable: what every ``preview-*`` stack runs with.

        It shares the account stack's network and database server (its own database in it), so it has no
        VPC, NAT gateway, endpoint, proxy or instance of its own.
        """
        return dataclasses.replace(
            self,
            shared_network=True,  # never a VPC, NAT gateway or database server of its own
            availability_zones=2,
            nat_gateways=0,
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
            flags_rollout_minutes=0,  # nobody to protect: a flag change applies at once
            flags_bake_minutes=0,
            waf=False,  # two web ACLs and their rules are ~$22 a month whatever the traffic: not for a preview
            dashboard=False,  # $3 a month, for a stack nobody watches
            alarms=False,  # 56 alarms were $5.60 of a preview's $10.12 idle, and notify nobody there
        )


def _camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(part.capitalize() for part in rest)
