"""Earning: domain events become transfers from the rewards pool, under the daily cap.

The award is one transaction: the user's row for the day is locked first, so
concurrent awards for one user and day are serialised and the cap is exact;
the transfer id is checked under that lock, so a duplicate event changes
nothing. Each transaction locks one day row, then account rows in id order,
so no two awards can deadlock. A paid award records its ``coins.awarded``
event in the outbox in the same transaction. That the actor was active is recorded in a
second, lock-free transaction (an insert that ignores an existing row), only when the actor is not
the awardee: the award already wrote the awardee's day row.

On PostgreSQL the award is one statement, committed as it ends (``db.scalar``: autocommit, no ORM
session, no ORM row): the ``ledger_pay_award`` function (migration 0004) does the same steps under the
same locks on the server. SQLite takes the ORM path, ``apply_award``. A whole SQS batch takes
``chalicelib.ledger.batch.apply_events``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select, text
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
    user_account,
)
from chalicelib.ledger.db import database_url, scalar, transaction
from chalicelib.ledger.events import Payment, coins_awarded
from chalicelib.ledger.models import DailyEarning, Transfer
from chalicelib.ledger.outbox import record, remember
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


AWARD_CALL = text("SELECT ledger_pay_award(:transfer, :user, :pool, :amount, :reason, :day, :cap, :at, :event_id, "
                  "CAST(:event AS jsonb))")


def award_on_server(award: Award, cap: int, url: str | None = None) -> int:
    """``apply_award`` in one statement that commits as it ends: the ``ledger_pay_award`` function (PostgreSQL);
    returns what was paid."""
    at = datetime.now(UTC)
    pool, account = system_account(POOL, award.username), user_account(award.username)
    # The function sets the amount paid and the balance after it.
    event = coins_awarded(Payment(award.transfer_id, award.amount, award.reason, at), award.username, 0,
                          award.source)
    paid = scalar(AWARD_CALL, {
        "transfer": award.transfer_id, "user": account, "pool": pool, "amount": award.amount, "reason": award.reason,
        "day": award.day, "cap": cap, "at": at, "event_id": event.id, "event": event.to_json()}, url)
    if paid:
        remember([event.id])
    return int(paid)


def pay(award: Award, cap: int, url: str | None = None) -> int:
    """The award in a transaction of its own: one statement on the server when the database is PostgreSQL."""
    if (url or database_url()).startswith("postgresql"):
        return award_on_server(award, cap, url)
    with transaction(url) as session:
        return apply_award(session, award, cap)


def counted(award: Award, paid: int) -> None:
    """After the commit: a paid award is counted and logged once."""
    if paid:
        count(m.COINS_AWARDED, paid)
        log.info("coins awarded", extra={"user": award.username, "amount": paid, "reason": award.reason,
                                         "transfer_id": award.transfer_id})


def apply_event(event: dict[str, Any], rules: Rules, url: str | None = None) -> int:
    """One domain event: whoever it pays is paid, and its actor was active. Returns the coins paid."""
    award = award_for(event, rules)
    paid = 0
    if award is not None:
        with traced_step("award"):
            paid = pay(award, rules.daily_cap, url)
        counted(award, paid)
    actor = event.get("actor")
    if isinstance(actor, str) and actor and (award is None or actor != award.username):
        with transaction(url) as session:
            record_activity(session, actor, event_time(event).date())
    return paid
