"""The ledger's event handlers: coin awards, the weekly bonus, the outbox relay, reconciliation and migrations.

Handlers that change the ledger publish the events they recorded as they return (``publishing``);
``relay_ledger_events`` publishes, every minute, whatever was left (see ``chalicelib.ledger.outbox``).
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

from chalice.app import Blueprint, CloudWatchEvent, Cron, Rate, SQSEvent

from chalicelib.core.declarations import uses
from chalicelib.core.logs import get_logger
from chalicelib.core.messages import each_batch
from chalicelib.core.settings import get_settings
from chalicelib.resources import COIN_AWARDS, DOMAIN_EVENTS, LEDGER

ledger_events = Blueprint(__name__)
log = get_logger(__name__)


@ledger_events.on_sqs_message(queue=COIN_AWARDS.name, batch_size=10)
@uses(LEDGER.connect(), COIN_AWARDS.consume(), DOMAIN_EVENTS.publish())
def award_coins(event: SQSEvent) -> dict[str, Any]:
    """Posts, likes received and comments earn coins, the whole batch at once; failures are reported per message."""
    from chalicelib.ledger.batch import apply_events
    from chalicelib.ledger.outbox import publishing
    from chalicelib.ledger.rules import Rules

    rules = Rules.from_settings()

    def handle(messages: list[dict[str, Any]], correlations: list[str | None]) -> list[Exception | None]:
        outcomes = apply_events(messages, rules, correlations=correlations)
        return [outcome if isinstance(outcome, Exception) else None for outcome in outcomes]

    with publishing():  # the batch's coins.awarded, in PublishBatch calls of ten
        return each_batch(event, handle)


@ledger_events.schedule(Cron(0, 0, "?", "*", "MON", "*"))
@uses(LEDGER.connect(), DOMAIN_EVENTS.publish())
def weekly_bonus(event: CloudWatchEvent) -> dict[str, Any]:
    """Monday 00:00 UTC: the bonus for everyone active in the ISO week that just ended."""
    from chalicelib.ledger.bonus import grant_weekly_bonus
    from chalicelib.ledger.outbox import relay

    paid = grant_weekly_bonus(datetime.now(UTC), get_settings().weekly_bonus)
    # One event per user paid, possibly very many: drained in batches rather than held in memory by id.
    published = relay().published
    log.info("weekly bonus paid", extra={"users": paid, "events_published": published})
    return {"paid": paid}


@ledger_events.schedule(Rate(1, unit=Rate.MINUTES))
@uses(LEDGER.connect(), DOMAIN_EVENTS.publish())
def relay_ledger_events(event: CloudWatchEvent) -> dict[str, Any]:
    """Every minute: publish what the ledger committed and nobody published yet; prune what was published long ago."""
    from chalicelib.ledger.outbox import backlog, relay

    report = relay()
    left = backlog()
    _metrics(OutboxPublished=(report.published, "Count"), OutboxPending=(left.pending, "Count"),
             OutboxOldestPendingSeconds=(left.oldest_seconds, "Seconds"))
    if report.failed:
        log.error("the ledger's outbox could not publish", extra={"failed": report.failed, "pending": left.pending})
    return {"published": report.published, "failed": report.failed, "pruned": report.pruned,
            "pending": left.pending}


def _metrics(**values: tuple[float, str]) -> None:
    """CloudWatch embedded metric format: the log line is the metric, no API call or permission needed."""
    print(json.dumps({"_aws": {"Timestamp": int(time.time() * 1000), "CloudWatchMetrics": [{
        "Namespace": "Social/Ledger", "Dimensions": [["Stage"]],
        "Metrics": [{"Name": name, "Unit": unit} for name, (_, unit) in values.items()]}]},
        "Stage": get_settings().stage, **{name: value for name, (value, _) in values.items()}}))


@ledger_events.schedule(Rate(1, unit=Rate.HOURS))
@uses(LEDGER.connect())
def reconcile_ledger(event: CloudWatchEvent) -> dict[str, Any]:
    """Every balance must equal its entries and all accounts sum to zero; a metric either way."""
    from chalicelib.ledger.reconcile import reconcile

    report = reconcile()
    _metrics(LedgerMismatches=(len(report.mismatches) + (report.total != 0), "Count"),
             LedgerTotal=(report.total, "None"))
    if not report.ok:
        log.error("the ledger does not reconcile", extra={"total": report.total,
                                                          "mismatches": report.mismatches[:50]})
    return {"ok": report.ok, "accounts": report.accounts, "total": report.total,
            "mismatches": len(report.mismatches)}


@ledger_events.lambda_function(name="migrate_ledger")
@uses(LEDGER.connect())
def migrate_ledger(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The stack's deploy step: migrate to the newest revision; on a shared server, create or drop the database.

    The event is the ``aws.lambda_.Invocation``'s input (see ``chalicelib.ledger.deploy``).
    """
    from chalicelib.ledger.deploy import Request, patience_for, run

    answer = run(Request.from_event(event), patience_for(context))
    log.info("ledger deploy step done", extra={"deploy": answer})  # "created" would clash with LogRecord
    return answer
