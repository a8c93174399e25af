"""Reconciliation: every balance equals its entries, and all accounts sum to zero.

Usage::

    report = reconcile()
    if not report.ok: ...   # log an error, emit the metric
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, literal, select, union_all

from chalicelib.ledger.db import transaction
from chalicelib.ledger.models import Account, Transfer


@dataclass(frozen=True)
class Report:
    accounts: int
    total: int  # the sum of every balance: zero when the books balance
    mismatches: list[tuple[str, int, int]]  # (account, balance on the row, balance from the transfers)

    @property
    def ok(self) -> bool:
        return self.total == 0 and not self.mismatches


def reconcile(url: str | None = None) -> Report:
    movements = union_all(
        select(Transfer.credit_account.label("account"), Transfer.amount.label("delta")),
        select(Transfer.debit_account.label("account"), (literal(0) - Transfer.amount).label("delta")),
    ).subquery()
    sums = select(movements.c.account, func.sum(movements.c.delta).label("expected")).group_by(
        movements.c.account).subquery()
    # A repeatable snapshot: balances and transfers as of one moment, even while awards run.
    with transaction(url) as session:
        if session.get_bind().dialect.name == "postgresql":
            session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        rows = session.execute(select(Account.id, Account.balance, func.coalesce(sums.c.expected, 0)).outerjoin(
            sums, sums.c.account == Account.id)).all()
    mismatches = [(account, int(balance), int(expected)) for account, balance, expected in rows
                  if int(balance) != int(expected)]
    return Report(len(rows), sum(int(balance) for _, balance, _ in rows), mismatches)
