"""Reports for admins, read from the ledger's transfers: coins issued, redeemed and outstanding per UTC day.

Issued: coins moved from a system account (the rewards pool) to users; redeemed: coins moved from
users to a system account (the redemptions sink); outstanding: what users hold at the end of the day,
which is everything ever issued minus everything ever redeemed (transfers between users change
nothing). One query per report: the database sums per day, with everything before the first day in
one opening row; days without transfers are filled in here.

Usage::

    coins_per_day(date(2026, 3, 1), date(2026, 3, 31))  # [CoinDay(day, issued, redeemed, outstanding), ...]
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, case, func, literal, select

from chalicelib.ledger.db import transaction
from chalicelib.ledger.models import Transfer

MAX_DAYS = 366


@dataclass(frozen=True)
class CoinDay:
    day: date
    issued: int
    redeemed: int
    outstanding: int


def _utc_day(dialect: str) -> Any:
    """The transfer's UTC calendar day, in the dialect's own words."""
    if dialect == "postgresql":  # timestamptz -> UTC wall clock -> date, whatever the session's TimeZone
        return func.date(func.timezone("UTC", Transfer.created_at))
    return func.date(Transfer.created_at)  # SQLite keeps UTC timestamps as text: 'YYYY-MM-DD HH:MM:SS...'


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def coins_per_day(first: date, last: date, url: str | None = None) -> list[CoinDay]:
    """One row per UTC day from ``first`` to ``last`` inclusive (at most ``MAX_DAYS``), oldest first."""
    if last < first or (last - first).days >= MAX_DAYS:
        raise ValueError(f"the range must be 1 to {MAX_DAYS} days, first day first")
    begin = datetime.combine(first, time.min, UTC)
    end = datetime.combine(last + timedelta(days=1), time.min, UTC)
    user_in = and_(Transfer.credit_account.like("user:%"), Transfer.debit_account.like("system:%"))
    user_out = and_(Transfer.debit_account.like("user:%"), Transfer.credit_account.like("system:%"))
    with transaction(url) as session:
        dialect = session.get_bind().dialect.name
        # Everything before the first day falls in one opening row (day NULL): the balance carried in.
        rows = (select(case((Transfer.created_at < begin, literal(None)), else_=_utc_day(dialect)).label("day"),
                       case((user_in, Transfer.amount), else_=0).label("issued"),
                       case((user_out, Transfer.amount), else_=0).label("redeemed"))
                .where(Transfer.created_at < end).subquery())
        query = (select(rows.c.day, func.coalesce(func.sum(rows.c.issued), 0),
                        func.coalesce(func.sum(rows.c.redeemed), 0))
                 .group_by(rows.c.day))
        sums = {(None if day is None else _as_date(day)): (int(issued), int(redeemed))
                for day, issued, redeemed in session.execute(query)}
    opening_in, opening_out = sums.pop(None, (0, 0))
    outstanding = opening_in - opening_out
    report = []
    for offset in range((last - first).days + 1):
        day = first + timedelta(days=offset)
        issued, redeemed = sums.get(day, (0, 0))
        outstanding += issued - redeemed
        report.append(CoinDay(day, issued, redeemed, outstanding))
    return report


def as_csv(report: list[CoinDay]) -> str:
    """The report as CSV (RFC 4180: a header row, CRLF line ends), as spreadsheets open it."""
    lines = ["day,issued,redeemed,outstanding"]
    lines += [f"{r.day.isoformat()},{r.issued},{r.redeemed},{r.outstanding}" for r in report]
    return "\r\n".join(lines) + "\r\n"
