"""Engines and sessions: PostgreSQL in AWS and in tests, SQLite as the local platform's default.

``DATABASE_URL`` wins when set. In AWS the stack sets ``DATABASE_HOST``,
``DATABASE_PORT``, ``DATABASE_NAME`` and ``DATABASE_SECRET_ARN``; each new
connection takes the credentials from Secrets Manager (cached five minutes),
so the password RDS rotates is picked up without a restart. One small pool per
process: RDS Proxy multiplexes Lambda's many processes onto few connections.

Usage::

    with transaction() as session:
        session.add(...)
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker


def database_url() -> str:
    """The SQLAlchemy URL: ``DATABASE_URL`` as given, or the stack's host and database (no password in it)."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith("postgresql://") else url
    host = os.environ.get("DATABASE_HOST")
    if not host or not os.environ.get("DATABASE_SECRET_ARN"):
        raise LookupError("set DATABASE_URL, or DATABASE_HOST and DATABASE_SECRET_ARN")
    port, name = os.environ.get("DATABASE_PORT", "5432"), os.environ.get("DATABASE_NAME", "ledger")
    return f"postgresql+psycopg://{host}:{port}/{name}?sslmode=require"


SECRET_TTL_SECONDS = 300
_secret: tuple[float, dict[str, str]] = (0.0, {})


def _credentials() -> dict[str, str]:
    """The secret's username and password, refetched every few minutes: RDS rotates the managed secret."""
    global _secret
    fetched_at, secret = _secret
    if time.monotonic() - fetched_at > SECRET_TTL_SECONDS:
        import boto3

        answer = boto3.client("secretsmanager").get_secret_value(SecretId=os.environ["DATABASE_SECRET_ARN"])
        secret = json.loads(answer["SecretString"])
        _secret = (time.monotonic(), secret)
    return secret


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(connection: Any, _: Any) -> None:
            connection.isolation_level = None  # let BEGIN below decide, not the driver
            cursor = connection.cursor()
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin_immediate(connection: Any) -> None:
            # SQLite has one writer: take the write lock up front instead of failing to upgrade later.
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    engine = create_engine(url, pool_size=2, max_overflow=2, pool_pre_ping=True, pool_recycle=300)
    if "DATABASE_SECRET_ARN" in os.environ and not os.environ.get("DATABASE_URL"):

        @event.listens_for(engine, "do_connect")
        def _current_credentials(dialect: Any, record: Any, cargs: Any, cparams: dict[str, Any]) -> None:
            # Each new connection asks for the credentials, so a rotated password is picked up.
            secret = _credentials()
            cparams.update(user=secret["username"], password=secret["password"])

    return engine


@lru_cache(maxsize=4)
def _sessions(url: str) -> sessionmaker[Session]:
    return sessionmaker(make_engine(url), expire_on_commit=False)


def engine() -> Engine:
    bind = _sessions(database_url()).kw["bind"]
    assert isinstance(bind, Engine)
    return bind


@contextmanager
def transaction(url: str | None = None) -> Iterator[Session]:
    """A session in one transaction: committed on success, rolled back on any error."""
    with _sessions(url or database_url()).begin() as session:
        yield session
