"""What a user sees of their coins: balance, today's earnings against the cap, and their entries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import and_, case, or_, select

from chalicelib.ledger.accounts import balance, user_account
from chalicelib.ledger.db import transaction
from chalicelib.ledger.models import DailyEarning, Transfer


@dataclass(frozen=True)
class Wallet:
    balance: int
    earned_today: int


@dataclass(frozen=True)
class Entry:
    id: str
    amount: int  # signed: positive when coins came in
    reason: str
    created_at: datetime


def wallet(username: str, today: date | None = None, url: str | None = None) -> Wallet:
    account = user_account(username)
    day = today or datetime.now(UTC).date()
    with transaction(url) as session:
        earned = session.scalar(select(DailyEarning.earned).where(DailyEarning.account_id == account,
                                                                  DailyEarning.day == day))
        return Wallet(balance(session, account), int(earned or 0))


def entries(username: str, limit: int, before: tuple[datetime, str] | None,
            url: str | None = None) -> list[Entry]:
    """The account's transfers, newest first, strictly before ``(created_at, id)``."""
    account = user_account(username)
    signed = case((Transfer.credit_account == account, Transfer.amount), else_=-Transfer.amount)
    query = (select(Transfer.id, signed, Transfer.reason, Transfer.created_at)
             .where(or_(Transfer.credit_account == account, Transfer.debit_account == account))
             .order_by(Transfer.created_at.desc(), Transfer.id.desc()).limit(limit))
    if before is not None:
        at, transfer_id = before
        query = query.where(or_(Transfer.created_at < at, and_(Transfer.created_at == at, Transfer.id < transfer_id)))
    with transaction(url) as session:
        return [Entry(row[0], int(row[1]), row[2], row[3]) for row in session.execute(query)]
