"""The deploy migration waits for a database that is not ready yet (an RDS Proxy registering its target),
with capped exponential backoff on a fake clock; it never retries a migration that fails."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from chalicelib.ledger.db import make_engine
from chalicelib.ledger.migrate import head_revision, migrate
from chalicelib.ledger.patience import Backoff, DatabaseUnreachable, Patience
from tests.ledger.conftest import SERVER, drop, libpq_url

HEAD = head_revision()  # the newest migration


class FakeTime:
    """A clock that moves only when slept on; records every sleep."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fresh_database() -> Iterator[str]:
    """A new, empty database on the test server: its SQLAlchemy URL."""
    name = f"ledger_patience_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(libpq_url(), autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(SERVER).set(drivername="postgresql+psycopg", database=name).render_as_string(
            hide_password=False)
    finally:
        drop(libpq_url(), database=name)


def not_ready_for(engine: Engine, failures: int | None) -> list[int]:
    """Make the first ``failures`` connections (all, if None) fail as a proxy without a target does."""
    attempts: list[int] = []

    @event.listens_for(engine, "do_connect", insert=True)
    def _refuse(*_: Any) -> None:
        attempts.append(len(attempts) + 1)
        if failures is None or len(attempts) <= failures:
            raise psycopg.OperationalError("connection to server at \"proxy\" failed: Connection refused")

    return attempts


def _revision(url: str) -> str | None:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            exists = connection.scalar(text("SELECT to_regclass('alembic_version') IS NOT NULL"))
            return str(connection.scalar(text("SELECT version_num FROM alembic_version"))) if exists else None
    finally:
        engine.dispose()


def test_a_database_that_refuses_a_few_times_is_migrated_after_backing_off(fresh_database: str) -> None:
    time = FakeTime()
    engine = make_engine(fresh_database)
    attempts = not_ready_for(engine, failures=4)
    patience = Patience(Backoff(first_seconds=0.5, cap_seconds=3.0, budget_seconds=240),
                        clock=time.clock, sleep=time.sleep, jitter=lambda: 1.0)

    assert migrate(engine=engine, patience=patience) == HEAD

    engine.dispose()
    assert attempts == [1, 2, 3, 4, 5]
    assert time.sleeps == [0.5, 1.0, 2.0, 3.0], "doubling from 0.5 s, capped at 3 s"
    assert _revision(fresh_database) == HEAD


def test_waits_are_jittered_below_their_ceiling(fresh_database: str) -> None:
    draws = iter([0.25, 0.5, 0.75, 0.1, 0.9])
    time = FakeTime()
    patience = Patience(Backoff(first_seconds=1.0, cap_seconds=20.0), clock=time.clock, sleep=time.sleep,
                        jitter=lambda: next(draws))
    engine = make_engine(fresh_database)
    not_ready_for(engine, failures=5)

    patience.connect(engine).close()

    engine.dispose()
    assert time.sleeps == [0.25, 1.0, 3.0, 0.8, 14.4], "a share of 1, 2, 4, 8, 16 s"


def test_a_database_that_never_answers_gives_up_with_a_clear_error_after_the_budget(fresh_database: str) -> None:
    time = FakeTime()
    engine = make_engine(fresh_database)
    attempts = not_ready_for(engine, failures=None)
    patience = Patience(Backoff(first_seconds=0.5, cap_seconds=20.0, budget_seconds=240),
                        clock=time.clock, sleep=time.sleep, jitter=lambda: 1.0)

    with pytest.raises(DatabaseUnreachable) as gave_up:
        migrate(engine=engine, patience=patience)

    engine.dispose()
    assert 200 < time.now <= 240, "it waited for most of its budget, never beyond"
    assert max(time.sleeps) == 20.0
    message = str(gave_up.value)
    assert f"after {len(attempts)} attempts in 240 s" in message
    assert "Connection refused" in message and str(make_url(fresh_database).database) in message
    assert _revision(fresh_database) is None


def test_a_failing_migration_is_not_retried(fresh_database: str, monkeypatch: pytest.MonkeyPatch) -> None:
    time = FakeTime()
    runs: list[str] = []

    def failing_upgrade(config: Any, revision: str) -> None:
        runs.append(revision)  # connected: now the script fails with an error that looks like a connection's
        raise OperationalError("ALTER TABLE accounts ...", {}, Exception("canceling statement due to lock timeout"))

    monkeypatch.setattr("alembic.command.upgrade", failing_upgrade)
    patience = Patience(Backoff(budget_seconds=240), clock=time.clock, sleep=time.sleep, jitter=lambda: 1.0)

    with pytest.raises(OperationalError, match="lock timeout"):
        migrate(fresh_database, patience=patience)
    assert runs == ["head"] and time.sleeps == []


def test_a_refused_password_is_not_waited_on(fresh_database: str) -> None:
    time = FakeTime()
    engine = make_engine(fresh_database)

    @event.listens_for(engine, "do_connect", insert=True)
    def _refuse(*_: Any) -> None:
        raise psycopg.OperationalError('FATAL:  password authentication failed for user "ledger"')

    with pytest.raises(OperationalError, match="password authentication failed"):
        Patience(clock=time.clock, sleep=time.sleep).connect(engine)
    engine.dispose()
    assert time.sleeps == []
