"""A warm function survives RDS rotating the database password: a refused cached password is read again once."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from psycopg import sql
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from chalicelib.ledger import db
from tests.ledger.conftest import AppRole, put_secret


class Clock:
    """The credentials cache's clock, moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(db, "_now", fake)
    return fake


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every GetSecretValue the runtime makes, by ARN."""
    calls: list[str] = []
    real = db.read_secret

    def counting(arn: str) -> tuple[str, str]:
        calls.append(arn)
        return real(arn)

    monkeypatch.setattr(db, "read_secret", counting)
    return calls


def _current_user(arn: str) -> str:
    engine = db.make_engine(db.database_url(), secret_arn=arn)  # a new engine: a new connection
    try:
        with engine.connect() as connection:
            return str(connection.scalar(text("SELECT current_user")))
    finally:
        engine.dispose()


def _rotate(server: str, role: str, password: str) -> None:
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(sql.Identifier(role), sql.Literal(password)))


@pytest.fixture
def cached(in_aws: pytest.MonkeyPatch, secrets_manager: Any, app_role: AppRole, reads: list[str],
           clock: Clock) -> str:
    """The app role's secret, read and cached by a first connection two minutes ago (the cache keeps it five)."""
    arn = put_secret(secrets_manager, app_role.name, app_role.password)
    in_aws.setenv("DATABASE_NAME", app_role.database)
    in_aws.setenv("DATABASE_SECRET_ARN", arn)
    assert _current_user(arn) == app_role.name
    assert reads == [arn]
    clock.now += 120
    return arn


def test_a_rotated_password_is_read_again_once_and_the_connection_succeeds(
        cached: str, secrets_manager: Any, app_role: AppRole, password_server: str, reads: list[str]) -> None:
    _rotate(password_server, app_role.name, "rotated-" + app_role.password)  # what RDS's rotation does
    put_secret(secrets_manager, app_role.name, "rotated-" + app_role.password, arn=cached)

    assert _current_user(cached) == app_role.name  # within the five minutes: the cache held the old one
    assert reads == [cached, cached]
    assert _current_user(cached) == app_role.name
    assert reads == [cached, cached], "the new password is cached again"


def test_a_wrong_secret_still_fails_after_one_read(cached: str, secrets_manager: Any, app_role: AppRole,
                                                  password_server: str, reads: list[str], clock: Clock) -> None:
    _rotate(password_server, app_role.name, "rotated-" + app_role.password)
    put_secret(secrets_manager, app_role.name, "wrong-" + app_role.password, arn=cached)

    with pytest.raises(OperationalError, match="password authentication failed"):
        _current_user(cached)
    assert reads == [cached, cached], "one read again, no loop"
    with pytest.raises(OperationalError, match="password authentication failed"):
        _current_user(cached)  # read moments ago, and refused: wrong, not stale
    assert reads == [cached, cached]
    clock.now += db.REREAD_AFTER_SECONDS
    with pytest.raises(OperationalError, match="password authentication failed"):
        _current_user(cached)
    assert reads == [cached, cached, cached], "at most one read every few seconds"


def test_a_refusal_that_is_not_the_password_does_not_read_the_secret_again(
        cached: str, in_aws: pytest.MonkeyPatch, reads: list[str]) -> None:
    in_aws.setenv("DATABASE_NAME", "ledger_no_such_database")
    with pytest.raises(OperationalError, match="does not exist"):
        _current_user(cached)
    assert reads == [cached]
