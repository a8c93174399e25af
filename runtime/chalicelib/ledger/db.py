"""Engines and sessions: PostgreSQL in AWS and in tests, SQLite as the local platform's default.

``DATABASE_URL`` wins when set. In AWS the stack sets ``DATABASE_HOST``,
``DATABASE_PORT``, ``DATABASE_NAME`` and ``DATABASE_SECRET_ARN``; the
credentials are read from Secrets Manager once per process. One small pool per
process: RDS Proxy multiplexes Lambda's many processes onto few connections.

Usage::

    with transaction() as session:
        session.add(...)
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker


def database_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        return url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith("postgresql://") else url
    return _aws_url(os.environ.get("DATABASE_HOST"), os.environ.get("DATABASE_SECRET_ARN"))


@lru_cache(maxsize=1)
def _aws_url(host: str | None, secret_arn: str | None) -> str:
    if not host or not secret_arn:
        raise LookupError("set DATABASE_URL, or DATABASE_HOST and DATABASE_SECRET_ARN")
    import boto3

    secret = json.loads(boto3.client("secretsmanager").get_secret_value(SecretId=secret_arn)["SecretString"])
    user, password = quote(secret["username"], safe=""), quote(secret["password"], safe="")
    port, name = os.environ.get("DATABASE_PORT", "5432"), os.environ.get("DATABASE_NAME", "ledger")
    return f"postgresql+psycopg://{user}:{password}@{host}:{port}/{name}?sslmode=require"


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
    return create_engine(url, pool_size=2, max_overflow=2, pool_pre_ping=True, pool_recycle=300)


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
