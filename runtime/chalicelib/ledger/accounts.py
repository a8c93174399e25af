"""Accounts and the one way coins move: ``transfer``.

System accounts are split in shards (``system:rewards-pool:07``) chosen by the
user (for a batch of awards, by its first awardee: ``chalicelib.ledger.batch``),
so concurrent transfers of different users seldom wait on one hot row.
Rows are always locked in account-id order, so two transfers cannot deadlock.
"""

from __future__ import annotations

import zlib
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from chalicelib.ledger.models import USER, Account, Transfer

SHARDS = 16
POOL, REDEMPTIONS = "rewards-pool", "redemptions"


class Overdraft(Exception):
    """The debited user account does not hold the amount."""


def user_account(username: str) -> str:
    return f"user:{username}"


def system_account(name: str, username: str) -> str:
    return f"system:{name}:{zlib.crc32(username.encode()) % SHARDS:02d}"


def insert_ignoring_duplicates(session: Session, model: Any, values: dict[str, Any]) -> None:
    """INSERT unless the primary key exists, in the dialect's own words (no read-then-write race)."""
    dialect = session.get_bind().dialect.name
    statement: Any
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        statement = pg_insert(model).values(**values).on_conflict_do_nothing()
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        statement = sqlite_insert(model).values(**values).on_conflict_do_nothing()
    else:  # pragma: no cover - the ledger runs on PostgreSQL and SQLite only
        statement = insert(model).values(**values)
    session.execute(statement)


def ensure_user(session: Session, username: str) -> str:
    account = user_account(username)
    insert_ignoring_duplicates(session, Account, {"id": account, "kind": USER, "balance": 0})
    return account


def balance(session: Session, account: str) -> int:
    return int(session.scalar(select(Account.balance).where(Account.id == account)) or 0)


def transfer(session: Session, transfer_id: str, debit: str, credit: str, amount: int, reason: str,
             at: datetime | None = None) -> Transfer:
    """Record one transfer and move both balances, in the caller's transaction.

    A user account that would go below zero raises ``Overdraft`` (the database's
    check constraint would refuse it anyway); a transfer id used before raises
    the database's IntegrityError.
    """
    row = Transfer(id=transfer_id, debit_account=debit, credit_account=credit, amount=amount, reason=reason,
                   created_at=at or datetime.now(UTC))
    session.add(row)
    session.flush()
    for account, delta in sorted([(debit, -amount), (credit, amount)]):
        statement = update(Account).where(Account.id == account).values(balance=Account.balance + delta)
        if delta < 0 and account.startswith("user:"):
            statement = statement.where(Account.balance >= amount)
        if session.execute(statement).rowcount != 1:  # type: ignore[attr-defined]
            raise Overdraft(account)
    return row
