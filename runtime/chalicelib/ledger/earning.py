"""Earning: domain events become transfers from the rewards pool, under the daily cap.

The award is one transaction: the user's row for the day is locked first, so
concurrent awards for one user and day are serialised and the cap is exact;
the transfer id is checked under that lock, so a duplicate event changes
nothing. Each transaction locks one day row, then account rows in id order,
so no two awards can deadlock. A paid award records its ``coins.awarded``
event in the outbox in the same transaction. That the actor was active is recorded in a
second, lock-free transaction (an insert that ignores an existing row).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from chalicelib.core import metric_names as m
from chalicelib.core.logs import get_logger
from chalicelib.core.metrics import count
from chalicelib.core.tracing import traced_step
from chalicelib.ledger.accounts import (
    POOL,
    balance,
    ensure_user,
    insert_ignoring_duplicates,
    system_account,
    transfer,
)
from chalicelib.ledger.db import transaction
from chalicelib.ledger.events import coins_awarded
from chalicelib.ledger.models import DailyEarning, Transfer
from chalicelib.ledger.outbox import record
from chalicelib.ledger.rules import Award, Rules, award_for, capped_amount, event_time

log = get_logger(__name__)


def apply_award(session: Session, award: Award, cap: int) -> int:
    """Pay ``award`` (cut to what remains under the cap); returns what was paid, 0 for a duplicate."""
    account = ensure_user(session, award.username)
    insert_ignoring_duplicates(session, DailyEarning, {"account_id": account, "day": award.day, "earned": 0})
    today = session.scalars(select(DailyEarning).where(DailyEarning.account_id == account,
                                                       DailyEarning.day == award.day).with_for_update()).one()
    if session.get(Transfer, award.transfer_id) is not None:
        return 0
    amount = capped_amount(award.amount, today.earned, cap)
    if amount == 0:
        return 0
    paid = transfer(session, award.transfer_id, system_account(POOL, award.username), account, amount, award.reason)
    today.earned += amount
    record(session, coins_awarded(paid, award.username, balance(session, account), award.source))
    return amount


def record_activity(session: Session, username: str, day: date) -> None:
    """Remember that ``username`` did something on ``day`` (the weekly bonus asks)."""
    account = ensure_user(session, username)
    insert_ignoring_duplicates(session, DailyEarning, {"account_id": account, "day": day, "earned": 0})


def apply_event(event: dict[str, Any], rules: Rules, url: str | None = None) -> int:
    """One domain event: whoever it pays is paid, and its actor was active. Returns the coins paid."""
    award = award_for(event, rules)
    paid = 0
    if award is not None:
        with traced_step("award"), transaction(url) as session:
            paid = apply_award(session, award, rules.daily_cap)
        if paid:  # committed: counted and logged once, here
            count(m.COINS_AWARDED, paid)
            log.info("coins awarded", extra={"user": award.username, "amount": paid, "reason": award.reason,
                                             "transfer_id": award.transfer_id})
    actor = event.get("actor")
    if isinstance(actor, str) and actor:
        with transaction(url) as session:
            record_activity(session, actor, event_time(event).date())
    return paid
