"""The ledger's event handlers: coin awards, the weekly bonus, reconciliation and migrations."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

from chalice.app import Blueprint, CloudWatchEvent, Cron, Rate, SQSEvent

from chalicelib.core.declarations import uses
from chalicelib.core.logs import get_logger
from chalicelib.core.messages import each_message
from chalicelib.core.settings import get_settings
from chalicelib.resources import COIN_AWARDS, LEDGER

ledger_events = Blueprint(__name__)
log = get_logger(__name__)


@ledger_events.on_sqs_message(queue=COIN_AWARDS.name, batch_size=10)
@uses(LEDGER.connect(), COIN_AWARDS.consume())
def award_coins(event: SQSEvent) -> dict[str, Any]:
    """Posts, likes received and comments earn coins; failures are reported per message."""
    from chalicelib.ledger.earning import apply_event
    from chalicelib.ledger.rules import Rules

    rules = Rules.from_settings()

    def handle(message: dict[str, Any]) -> None:
        apply_event(message, rules)

    return each_message(event, handle)


@ledger_events.schedule(Cron(0, 0, "?", "*", "MON", "*"))
@uses(LEDGER.connect())
def weekly_bonus(event: CloudWatchEvent) -> dict[str, Any]:
    """Monday 00:00 UTC: the bonus for everyone active in the ISO week that just ended."""
    from chalicelib.ledger.bonus import grant_weekly_bonus

    paid = grant_weekly_bonus(datetime.now(UTC), get_settings().weekly_bonus)
    log.info("weekly bonus paid", extra={"users": paid})
    return {"paid": paid}


@ledger_events.schedule(Rate(1, unit=Rate.HOURS))
@uses(LEDGER.connect())
def reconcile_ledger(event: CloudWatchEvent) -> dict[str, Any]:
    """Every balance must equal its entries and all accounts sum to zero; a metric either way."""
    from chalicelib.ledger.reconcile import reconcile

    report = reconcile()
    # CloudWatch embedded metric format: the log line is the metric, no API call or permission needed.
    print(json.dumps({"_aws": {"Timestamp": int(time.time() * 1000), "CloudWatchMetrics": [{
        "Namespace": "Social/Ledger", "Dimensions": [["Stage"]],
        "Metrics": [{"Name": "LedgerMismatches", "Unit": "Count"}, {"Name": "LedgerTotal", "Unit": "None"}]}]},
        "Stage": get_settings().stage, "LedgerMismatches": len(report.mismatches) + (report.total != 0),
        "LedgerTotal": report.total}))
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
