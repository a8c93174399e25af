"""What a rendered stack contains, indexed for pricing: functions and what invokes them, tables and what
writes them, queues and what feeds them. Generic over the rendering: it reads types and inputs only.

Usage::

    inventory = Inventory(rendering.resources)
    inventory.of_type("aws:ec2/natGateway:NatGateway")
    inventory.invocations(function, LAUNCH)       # a month, by what triggers the function
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal, Protocol

from tools.pricing.load import DAYS_PER_MONTH, HOURS_PER_MONTH, TABLE_WRITES, Load

FUNCTION = "aws:lambda/function:Function"
TABLE = "aws:dynamodb/table:Table"
QUEUE = "aws:sqs/queue:Queue"

Trigger = Literal["api", "stream", "queue", "schedule", "poll"]
# A schedule firing more often than hourly is a poller (the ledger's outbox relay, every minute): each run
# handles what arrived since the last one, as an event handler does, not a scan (see Load's durations).
POLL_RUNS_PER_MONTH = 730.0


class Resource(Protocol):
    """What pricing needs of a rendered resource (``stacks.mocks.RecordedResource`` is one)."""

    @property
    def type(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def inputs(self) -> dict[str, Any]: ...


def physical_name(resource: Resource) -> str:
    return str(resource.inputs.get("name") or resource.name)


def arn_name(arn: str) -> str:
    """The name in an ARN (or a bare name): ``arn:...:function:f`` -> ``f``, ``arn:...:table/t/stream/x`` -> ``t``."""
    if ":table/" in arn:
        return arn.split(":table/", 1)[1].split("/", 1)[0]
    return arn.rsplit(":", 1)[-1]


def runs_per_month(expression: str) -> float:
    """How often an EventBridge schedule fires in a month: ``rate(1 hour)`` -> 729.6, ``cron(0 0 ? * MON *)`` -> 4.3.

    Cron fields are counted (lists, ranges, steps, ``*``); anything unreadable counts as once a day.
    """
    rate = re.fullmatch(r"rate\((\d+)\s+(minute|hour|day)s?\)", expression.strip())
    if rate:
        per_hour = {"minute": 60.0, "hour": 1.0, "day": 1 / 24}[rate.group(2)]
        return HOURS_PER_MONTH * per_hour / int(rate.group(1))
    cron = re.fullmatch(r"cron\((.+)\)", expression.strip())
    if not cron or len(cron.group(1).split()) != 6:
        return DAYS_PER_MONTH
    minutes, hours, day_of_month, _month, day_of_week, _year = cron.group(1).split()
    per_day = _cron_count(minutes, 60) * _cron_count(hours, 24)
    if day_of_month not in ("*", "?"):
        days = _cron_count(day_of_month, 31)
    elif day_of_week not in ("*", "?"):
        days = DAYS_PER_MONTH / 7 * _cron_count(day_of_week, 7)
    else:
        days = DAYS_PER_MONTH
    return per_day * days


def _cron_count(field: str, span: int) -> float:
    total = 0.0
    for part in field.split(","):
        base, _, step = part.partition("/")
        if base in ("*", "?"):
            width = span
        elif "-" in base and base.replace("-", "").isdigit():
            low, high = (int(x) for x in base.split("-"))
            width = high - low + 1
        elif "-" in base:  # MON-FRI
            width = 5
        elif step.isdigit() and base.isdigit():  # 0/15: from 0, every 15
            total += math.ceil((span - int(base)) / int(step))
            continue
        else:
            width = 1
        total += width / int(step) if step.isdigit() else width
    return total


@dataclass(frozen=True)
class Invocations:
    """A function's invocations in a month, by trigger."""

    by_trigger: dict[Trigger, float]

    @property
    def total(self) -> float:
        return sum(self.by_trigger.values())

    def duration_seconds(self, load: Load) -> float:
        durations = {"api": load.api_duration_ms, "stream": load.event_duration_ms,
                     "queue": load.event_duration_ms, "schedule": load.scheduled_duration_ms,
                     "poll": load.event_duration_ms}
        return sum(count * durations[trigger] / 1000 for trigger, count in self.by_trigger.items())


class Inventory:
    """The resources of one rendering, with the relations pricing follows."""

    def __init__(self, resources: Iterable[Resource]) -> None:
        self.resources: Sequence[Resource] = list(resources)

    def of_type(self, type_token: str) -> list[Resource]:
        return [r for r in self.resources if r.type == type_token]

    # ---- functions -----------------------------------------------------------------------------
    @cached_property
    def functions(self) -> dict[str, Resource]:
        return {physical_name(f): f for f in self.of_type(FUNCTION)}

    @cached_property
    def api_functions(self) -> list[str]:
        """Functions API Gateway may invoke (a Lambda permission for apigateway.amazonaws.com)."""
        names = {arn_name(str(p.inputs.get("function", ""))) for p in self.of_type("aws:lambda/permission:Permission")
                 if p.inputs.get("principal") == "apigateway.amazonaws.com"}
        return sorted(n for n in names if n in self.functions)

    def in_vpc(self, function: Resource) -> bool:
        return bool((function.inputs.get("vpcConfig") or {}).get("subnetIds"))

    def environment(self, name: str) -> str | None:
        """A variable from any function's environment (the runtime's settings are the same in each)."""
        for function in self.functions.values():
            value = ((function.inputs.get("environment") or {}).get("variables") or {}).get(name)
            if value is not None:
                return str(value)
        return None

    def api_requests(self, load: Load) -> float:
        return load.per_month(load.api_requests_per_dau)

    def api_share(self, name: str, load: Load) -> float:
        """The share of API requests one API function serves: the ledger's share to those in the VPC."""
        api = self.api_functions
        if name not in api:
            return 0.0
        inside = [n for n in api if self.in_vpc(self.functions[n])]
        outside = [n for n in api if n not in inside]
        if not inside or not outside:
            return 1 / len(api)
        share = load.ledger_request_share if name in inside else 1 - load.ledger_request_share
        return share / len(inside if name in inside else outside)

    def invocations(self, function: Resource, load: Load) -> Invocations:
        name = physical_name(function)
        counts: dict[Trigger, float] = {}
        if name in self.api_functions and load.busy:
            counts["api"] = self.api_requests(load) * self.api_share(name, load)
        for mapping in self.of_type("aws:lambda/eventSourceMapping:EventSourceMapping"):
            if arn_name(str(mapping.inputs.get("functionName", ""))) != name:
                continue
            source = str(mapping.inputs.get("eventSourceArn", ""))
            if ":dynamodb:" in source:
                records = self.table_writes(arn_name(source), load)
                counts["stream"] = counts.get("stream", 0.0) + records / load.records_per_invocation
            elif ":sqs:" in source:
                records = self.queue_messages(arn_name(source), load)
                counts["queue"] = counts.get("queue", 0.0) + records / load.records_per_invocation
        for target in self.of_type("aws:cloudwatch/eventTarget:EventTarget"):
            if arn_name(str(target.inputs.get("arn", ""))) != name:
                continue
            for rule in self.of_type("aws:cloudwatch/eventRule:EventRule"):
                if physical_name(rule) == target.inputs.get("rule") and rule.inputs.get("scheduleExpression"):
                    runs = runs_per_month(str(rule.inputs["scheduleExpression"]))
                    kind: Trigger = "poll" if runs > POLL_RUNS_PER_MONTH else "schedule"
                    counts[kind] = counts.get(kind, 0.0) + runs
        return Invocations(counts)

    @cached_property
    def vpc_functions(self) -> list[Resource]:
        return [f for f in self.functions.values() if self.in_vpc(f)]

    def events_handled(self, load: Load) -> float:
        """Stream records and queue messages the functions process in a month."""
        total = 0.0
        for function in self.functions.values():
            by = self.invocations(function, load).by_trigger
            total += (by.get("stream", 0.0) + by.get("queue", 0.0)) * load.records_per_invocation
        return total

    # ---- tables --------------------------------------------------------------------------------
    @staticmethod
    def logical_table(table: Resource) -> str:
        tags = table.inputs.get("tags") or {}
        return str(tags.get("table") or physical_name(table).rsplit("-", 1)[-1])

    def table_named(self, name: str) -> Resource | None:
        return next((t for t in self.of_type(TABLE) if physical_name(t) == name), None)

    def table_writes_per_dau(self, table: Resource, load: Load) -> float:
        """Items written to ``table`` per DAU per day."""
        logical = self.logical_table(table)
        if logical == "timeline":
            cap = float(self.environment("FANOUT_MAX_FOLLOWERS") or "inf")
            backfill = float(self.environment("BACKFILL_POSTS") or 20)
            followers = min(load.average_followers, cap)
            return (load.event_rate(("post.created",)) * followers
                    + load.event_rate(("follow.created",)) * backfill)
        if logical == "users":
            return load.user_writes_per_dau
        if logical in TABLE_WRITES:
            return load.event_rate(TABLE_WRITES[logical])
        return load.default_table_writes_per_dau

    def table_writes(self, name: str, load: Load) -> float:
        table = self.table_named(name)
        return load.per_month(self.table_writes_per_dau(table, load)) if table else 0.0

    def table_days_kept(self, table: Resource, load: Load) -> float:
        """How many days of writes a table holds: its TTL's horizon, or the data's age."""
        if not (table.inputs.get("ttl") or {}).get("attributeName"):
            return load.data_age_days
        if self.logical_table(table) == "timeline":
            return float(self.environment("TIMELINE_DAYS") or load.data_age_days)
        return load.idempotency_ttl_days

    def table_gb(self, table: Resource, load: Load) -> float:
        per_day = load.daily_active_users * self.table_writes_per_dau(table, load)
        return per_day * self.table_days_kept(table, load) * load.item_bytes / 1024**3

    # ---- queues and topics ---------------------------------------------------------------------
    def queue_messages(self, name: str, load: Load) -> float:
        """Messages a month SNS delivers to queue ``name`` (per its subscriptions' filter policies)."""
        total = 0.0
        for subscription in self.of_type("aws:sns/topicSubscription:TopicSubscription"):
            endpoint = arn_name(str(subscription.inputs.get("endpoint")))
            if subscription.inputs.get("protocol") != "sqs" or endpoint != name:
                continue
            total += load.per_month(load.event_rate(filter_types(subscription.inputs.get("filterPolicy"))))
        return total * load.sns_publishes_per_event

    def consumed_queues(self) -> set[str]:
        return {arn_name(str(m.inputs.get("eventSourceArn", "")))
                for m in self.of_type("aws:lambda/eventSourceMapping:EventSourceMapping")
                if ":sqs:" in str(m.inputs.get("eventSourceArn", ""))}

    def fanout_topics(self) -> set[str]:
        """Topics with SQS or Lambda subscribers: the domain events are published to them."""
        return {arn_name(str(s.inputs.get("topic", "")))
                for s in self.of_type("aws:sns/topicSubscription:TopicSubscription")
                if s.inputs.get("protocol") in ("sqs", "lambda")}


def filter_types(policy: Any) -> tuple[str, ...] | None:
    """The event types a subscription's filter policy lets through (None: no filter, every type)."""
    if not policy:
        return None
    parsed = json.loads(policy) if isinstance(policy, str) else policy
    types = parsed.get("type") if isinstance(parsed, dict) else None
    return tuple(str(t) for t in types) if isinstance(types, list) else None
