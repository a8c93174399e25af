"""The awards' autocommit pool pings no connection before use: one the server dropped is replaced and the statement
runs again, so an award after a long idle (a proxy's timeout, a failover) is paid, and paid once."""

from __future__ import annotations

from datetime import date

import psycopg
from sqlalchemy import text

from chalicelib.ledger import db
from chalicelib.ledger.batch import apply_events
from chalicelib.ledger.earning import apply_event
from tests.ledger import events as ev
from tests.ledger.conftest import libpq_url
from tests.ledger.test_concurrency import RULES, _balances, _books_balance

WHO_AM_I = text("SELECT pg_backend_pid()")


def _drop_pooled_connection(url: str) -> None:
    """End the server session behind the connection the pool hands out next, as a proxy's idle timeout would."""
    pid = db.scalar(WHO_AM_I, {}, url)
    with psycopg.connect(libpq_url(url), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])


def test_a_statement_on_a_dead_pooled_connection_runs_again_on_a_new_one(ledger_url: str) -> None:
    before = db.scalar(WHO_AM_I, {}, ledger_url)
    _drop_pooled_connection(ledger_url)
    assert db.scalar(WHO_AM_I, {}, ledger_url) != before


def test_awards_after_the_server_dropped_their_connection_are_paid_once(ledger_url: str) -> None:
    day = date(2026, 6, 1)
    _drop_pooled_connection(ledger_url)
    assert apply_event(ev.post("dc-p1", "dora", day), RULES, ledger_url) == RULES.post
    _drop_pooled_connection(ledger_url)
    assert apply_events([ev.post("dc-p2", "dora", day), ev.post("dc-p1", "dora", day)], RULES, ledger_url,
                        strict=True) == [RULES.post, 0]
    assert _balances(ledger_url, ["dora"]) == {"dora": 2 * RULES.post}
    _books_balance(ledger_url)
