"""The weekly bonus: every user active in the ISO week that just ended gets it, once.

Run by a schedule every Monday at 00:00 UTC. The transfer id names the user and
the ISO week (``weekly:ada:2026-W47``), so a retried or repeated run pays no one
twice; each user is paid in their own short transaction, which also records
the ``coins.awarded`` event in the outbox.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from chalicelib.ledger.accounts import POOL, balance, system_account, transfer
from chalicelib.ledger.db import transaction
from chalicelib.ledger.events import coins_awarded
from chalicelib.ledger.models import DailyEarning, Transfer
from chalicelib.ledger.outbox import record


def previous_week(now: datetime) -> tuple[date, date, str]:
    """The ISO week before the one ``now`` is in: its Monday, the next Monday, and its name."""
    this_monday = (now.astimezone(UTC) - timedelta(days=now.astimezone(UTC).weekday())).date()
    start = this_monday - timedelta(days=7)
    year, week, _ = start.isocalendar()
    return start, this_monday, f"{year}-W{week:02d}"


def grant_weekly_bonus(now: datetime, amount: int, url: str | None = None) -> int:
    """Pay ``amount`` to every account active in the previous ISO week; returns how many were paid now."""
    start, end, week = previous_week(now)
    with transaction(url) as session:
        active = list(session.scalars(select(DailyEarning.account_id).where(
            DailyEarning.day >= start, DailyEarning.day < end).distinct()))
    paid = 0
    for account in active:
        username = account.removeprefix("user:")
        transfer_id = f"weekly:{username}:{week}"
        try:
            with transaction(url) as session:
                if session.get(Transfer, transfer_id) is not None:
                    continue
                row = transfer(session, transfer_id, system_account(POOL, username), account, amount, "weekly_bonus")
                record(session, coins_awarded(row, username, balance(session, account)))
                paid += 1
        except IntegrityError:  # a concurrent run paid this one first
            continue
    return paid
