"""The admin coin report's query time over a year of transfers, on PostgreSQL and on SQLite.

A throwaway PostgreSQL database (on the server of ``DATABASE_URL``, default
``postgresql://postgres@127.0.0.1:5432/test``) and a temporary SQLite file are each migrated and given
``TRANSFERS`` transfers spread evenly over 365 UTC days among 1,000 users (nine in ten issued from the
rewards pool, one in ten redeemed), inserted in bulk: the report reads only ``transfers``. Then
``reports.coins_per_day`` runs for the last 30 days and for the whole year, as the route calls it (one
query, its own transaction and connection checkout); the median of ``RUNS`` runs after one warm-up is
printed. Both databases are dropped at the end, even on failure.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from local import RUNTIME_DIR

if str(RUNTIME_DIR) not in sys.path:
    sys.path.insert(0, str(RUNTIME_DIR))

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

from chalicelib.ledger.accounts import POOL, REDEMPTIONS, system_account, user_account
from chalicelib.ledger.db import transaction
from chalicelib.ledger.migrate import migrate
from chalicelib.ledger.models import USER, Account, Transfer
from chalicelib.ledger.reports import coins_per_day

TRANSFERS = 200_000
USERS = 1_000
RUNS = 5
LAST_DAY = date(2026, 6, 30)
DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/test"


def _fill(url: str) -> None:
    start = datetime.combine(LAST_DAY - timedelta(days=364), datetime.min.time(), UTC)
    step = timedelta(days=365) / TRANSFERS
    with transaction(url) as session:
        session.execute(insert(Account), [{"id": user_account(f"rb{n:04d}"), "kind": USER, "balance": 0}
                                          for n in range(USERS)])
    batch = []
    for n in range(TRANSFERS):
        user = f"rb{n % USERS:04d}"
        redeemed = n % 10 == 9
        debit, credit = ((user_account(user), system_account(REDEMPTIONS, user)) if redeemed
                         else (system_account(POOL, user), user_account(user)))
        batch.append({"id": f"bench:{n}", "debit_account": debit, "credit_account": credit, "amount": 1 + n % 7,
                      "reason": "bench", "created_at": start + step * n})
        if len(batch) == 10_000 or n == TRANSFERS - 1:
            with transaction(url) as session:
                session.execute(insert(Transfer), batch)
            batch = []


def _time(url: str, days: int) -> float:
    first = LAST_DAY - timedelta(days=days - 1)
    coins_per_day(first, LAST_DAY, url)  # warm-up: connection, plan, cache
    timings = []
    for _ in range(RUNS):
        started = time.perf_counter()
        report = coins_per_day(first, LAST_DAY, url)
        timings.append(time.perf_counter() - started)
        assert len(report) == days
    return statistics.median(timings) * 1000


def _measure(label: str, url: str) -> None:
    started = time.perf_counter()
    migrate(url)
    _fill(url)
    print(f"  {label}: {TRANSFERS:,} transfers over 365 days loaded in {time.perf_counter() - started:.1f} s; "
          f"report of 30 days {_time(url, 30):.0f} ms, of 365 days {_time(url, 365):.0f} ms (median of {RUNS})")


def main() -> None:
    server = make_url((os.environ.get("DATABASE_URL") or DEFAULT_SERVER).replace(
        "postgresql://", "postgresql+psycopg://", 1))
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    name = f"report_bench_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        _measure("PostgreSQL", server.set(database=name).render_as_string(hide_password=False))
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    with tempfile.TemporaryDirectory() as folder:
        _measure("SQLite", f"sqlite:///{Path(folder) / 'ledger.db'}")


if __name__ == "__main__":
    main()
