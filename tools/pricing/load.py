"""The load model: how much a stack is used, as named, documented assumptions.

Two loads are priced: ``IDLE`` (nobody uses the stack: only what runs by the hour, by the month or on a
schedule) and ``LAUNCH``, the seeds' launch load of 10,000 daily active users. Every figure below is an
assumption, not a measurement; change one with ``dataclasses.replace`` (``make cost`` takes ``--dau``).

Usage::

    LAUNCH.daily_active_users                       # 10000
    LAUNCH.per_month(LAUNCH.api_requests_per_dau)   # API requests a month
    replace(LAUNCH, daily_active_users=20_000)      # twice the users, everything else alike
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType

DAYS_PER_MONTH = 30.4
HOURS_PER_MONTH = 24 * DAYS_PER_MONTH  # 729.6
SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600
GB = 1024**3

# What the seeds say about load and cost (shared/seeds/coin-social-network-case-study.txt, "Results").
SEED_COST_ESTIMATE = "$200-500/month in the initial stage"
SEED_COST_RANGE = (200.0, 500.0)
SEED_LOAD = "supports 10,000 concurrent users (modelled here as 10,000 daily active users)"
SEED_SOURCE = "shared/seeds/coin-social-network-case-study.txt"

# Domain events a daily active user causes per day, by the event type the runtime publishes (the SNS
# filter policies name these types; a subscription without a filter gets all of them).
LAUNCH_EVENTS_PER_DAU: Mapping[str, float] = MappingProxyType({
    "post.created": 0.5,      # one post every other day
    "post.deleted": 0.02,
    "like.created": 5.0,
    "comment.created": 1.0,
    "follow.created": 0.3,
    "follow.deleted": 0.03,
})

# Which domain events write an item to which table (by the table's logical name, its ``table`` tag).
# The timeline's writes are the fan-out (``Load.timeline_writes_per_dau``); a table named nowhere
# gets ``default_table_writes_per_dau``.
TABLE_WRITES: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "posts": ("post.created", "post.deleted"),
    "interactions": ("like.created", "comment.created"),
    "follows": ("follow.created", "follow.deleted"),
    "idempotency": tuple(LAUNCH_EVENTS_PER_DAU),  # every write request stores its idempotency key
})


@dataclass(frozen=True)
class Load:
    """One column of the estimate. Per-DAU figures are per day; ``per_month`` scales them."""

    name: str
    daily_active_users: float
    # API: requests per DAU per day (app opens, feed pages, profiles, likes...): ~6 sessions of ~10 calls.
    api_requests_per_dau: float = 60.0
    events_per_dau: Mapping[str, float] = field(default_factory=lambda: LAUNCH_EVENTS_PER_DAU)
    # Share of API requests served by a function in the VPC (the ledger: wallet, rewards, redemptions)
    # when the API is split across functions inside and outside the VPC.
    ledger_request_share: float = 0.10
    # Feed fan-out on write: a post is copied into each follower's timeline (capped by FANOUT_MAX_FOLLOWERS
    # in the function's environment); a follow backfills BACKFILL_POSTS posts.
    average_followers: float = 50.0
    # Users: profile writes (sign-up, edits) per DAU per day, and MAU = DAU x this factor (DAU/MAU = 40%).
    user_writes_per_dau: float = 0.05
    mau_per_dau: float = 2.5
    default_table_writes_per_dau: float = 0.1
    # Lambda: average billed duration per invocation, by what invokes the function; memory is the
    # rendered memorySize. A scheduled job (reconciliation) scans more and runs longer; a schedule firing
    # more often than hourly (a poller such as the outbox relay) is billed as an event handler.
    api_duration_ms: float = 120.0
    event_duration_ms: float = 100.0
    scheduled_duration_ms: float = 3_000.0
    cold_start_fraction: float = 0.02  # invocations that start a new environment (reads a secret, etc.)
    # At this load batches stay small: a stream or queue invocation carries about this many records.
    records_per_invocation: float = 1.0
    # DynamoDB on-demand: units per request. An eventually consistent read of up to 4 KB is 0.5 RRU; a feed
    # page is a timeline query plus a batch of post reads, so an average API request reads ~4 RRU.
    read_units_per_api_request: float = 4.0
    read_units_per_event: float = 2.0  # an event handler reads what it needs (the author's followers...)
    write_units_per_item: float = 1.5  # items under 1 KB are 1 WRU, transactions and counters cost more
    item_bytes: float = 600.0
    data_age_days: float = DAYS_PER_MONTH  # data kept in tables without TTL: the first month after launch
    idempotency_ttl_days: float = 1.0
    # SQS: send, receive and delete per message; Lambda's pollers long-poll an idle queue (5 pollers, one
    # 20-second receive each: 3 requests a minute per poller), which costs even at idle.
    sqs_requests_per_message: float = 3.0
    sqs_idle_poll_requests_per_consumed_queue: float = 5 * 3 * 60 * HOURS_PER_MONTH
    sns_publishes_per_event: float = 1.0
    # Logs: bytes a Lambda invocation writes (START/END/REPORT lines plus INFO records), bytes of one API
    # access-log line, and what the database logs a month whatever the load (checkpoints, autovacuum).
    log_bytes_per_invocation: float = 1_200.0
    access_log_bytes_per_request: float = 400.0
    database_log_gb_per_month: float = 0.1
    log_stored_fraction: float = 0.15  # CloudWatch archives logs compressed; storage is billed on that
    log_months_without_retention: float = 12.0  # a group that never expires: a year's logs on average
    # X-Ray default sampling: 1 trace a second (reservoir) then 5%, over the hours people are active.
    xray_reservoir_per_second: float = 1.0
    xray_sample_rate: float = 0.05
    active_hours_per_day: float = 16.0
    xray_scanned_fraction: float = 0.10  # traces someone views or queries
    # Network: bytes a VPC function exchanges with AWS APIs per invocation; the share that goes through
    # interface endpoints when there are any (the rest, e.g. Cognito, leaves through the NAT gateway).
    vpc_service_bytes_per_invocation: float = 6_000.0
    endpoint_share_of_vpc_bytes: float = 0.7
    response_bytes_per_api_request: float = 3_000.0  # data transfer out to clients
    # The ledger database: entries per coin-earning event (double entry), bytes per entry, daily churn
    # for backups.
    ledger_rows_per_event: float = 2.0
    ledger_row_bytes: float = 250.0
    backup_daily_change_fraction: float = 0.05
    # KMS requests a DynamoDB table with an AWS-managed key causes a month under load (data keys are cached).
    kms_requests_per_encrypted_table: float = 20_000.0
    # Secrets Manager calls beyond cold starts (the proxy caches its secret).
    secret_calls_per_secret: float = 1_000.0
    # Priced only if the stack has them (none does today): WebSocket use, media uploads to S3.
    websocket_minutes_per_dau: float = 20.0
    websocket_messages_per_dau: float = 30.0
    uploads_per_dau: float = 0.2
    upload_bytes: float = 500_000.0
    reads_per_upload: float = 20.0
    # Media served through the CDN: what one view of an upload sends (a WebP variant, not the original);
    # the share of uploads that are videos and their length (MediaConvert bills per output minute).
    served_bytes_per_read: float = 150_000.0
    video_share_of_uploads: float = 0.1
    video_minutes: float = 0.5

    def per_month(self, per_dau_per_day: float) -> float:
        """A per-DAU daily figure as a monthly total at this load."""
        return per_dau_per_day * self.daily_active_users * DAYS_PER_MONTH

    @property
    def busy(self) -> bool:
        return self.daily_active_users > 0

    @property
    def monthly_active_users(self) -> float:
        return self.daily_active_users * self.mau_per_dau

    @property
    def writes_per_dau(self) -> float:
        """Write requests (domain events) per DAU per day."""
        return sum(self.events_per_dau.values())

    def event_rate(self, types: tuple[str, ...] | None) -> float:
        """Events per DAU per day of these types (None: every type)."""
        if types is None:
            return self.writes_per_dau
        return sum(self.events_per_dau.get(t, 0.0) for t in types)

    def assumptions(self) -> dict[str, object]:
        """Every constant of this load, by name (for the report)."""
        values: dict[str, object] = {}
        for item in fields(self):
            value = getattr(self, item.name)
            values[item.name] = dict(value) if isinstance(value, Mapping) else value
        return values


IDLE = Load("idle", daily_active_users=0)
LAUNCH = Load("launch", daily_active_users=10_000)
