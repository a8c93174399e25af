"""Engines and sessions: PostgreSQL in AWS and in tests, SQLite as the local platform's default.

``DATABASE_URL`` wins when set. In AWS the stack sets ``DATABASE_HOST``,
``DATABASE_PORT``, ``DATABASE_NAME`` and ``DATABASE_SECRET_ARN``; each new
connection takes the credentials from Secrets Manager (cached five minutes, and
read again at once when the server refuses the cached password), so the password
RDS rotates is picked up without a restart. ``DATABASE_SSLMODE`` (default
``require``) is libpq's TLS mode. Small pools per process (one for transactions, one in autocommit
for awards that are a single statement): RDS Proxy multiplexes Lambda's many processes onto few
connections.

Usage::

    with transaction() as session:
        session.add(...)
    paid = scalar(text("SELECT ledger_pay_award(...)"), {...})  # one statement, committed as it ends
    make_engine(server_url("postgres"), secret_arn=admin_arn)   # another login on the same server
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import URL, Engine, Executable, create_engine, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from chalicelib.core.logs import get_logger
from chalicelib.core.tracing import trace_sql

log = get_logger(__name__)

SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
SECRET_TTL_SECONDS = 300
# A refused password is read again only if the copy in hand is older than this: a wrong secret costs
# one GetSecretValue per process every few seconds, not one per connection attempt.
REREAD_AFTER_SECONDS = 5.0
_now = time.monotonic  # the cache's clock (tests move it)


def database_url() -> str:
    """The SQLAlchemy URL: ``DATABASE_URL`` as given, or the stack's host and database (no password in it)."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith("postgresql://") else url
    return server_url(os.environ.get("DATABASE_NAME") or "ledger")


def server_url(database: str) -> str:
    """The URL of ``database`` on the stack's server (``DATABASE_HOST``, ``DATABASE_PORT``), TLS as configured.

    ``DATABASE_SSLMODE`` is libpq's ``sslmode``: ``require`` unless set (RDS Proxy requires TLS); a
    server without TLS (the tests' local one) needs ``disable``, said out loud.
    """
    host = os.environ.get("DATABASE_HOST")
    if not host or not os.environ.get("DATABASE_SECRET_ARN"):
        raise LookupError("set DATABASE_URL, or DATABASE_HOST and DATABASE_SECRET_ARN")
    sslmode = os.environ.get("DATABASE_SSLMODE") or "require"
    if sslmode not in SSL_MODES:
        raise ValueError(f"DATABASE_SSLMODE={sslmode!r}: use one of {', '.join(SSL_MODES)}")
    url = URL.create("postgresql+psycopg", host=host, port=int(os.environ.get("DATABASE_PORT") or 5432),
                     database=database, query={"sslmode": sslmode})
    return url.render_as_string(hide_password=False)


@dataclass(frozen=True)
class Credentials:
    """A secret's username and password, and when this process read it (``_now()``, monotonic seconds)."""

    username: str
    password: str
    read_at: float


_cache: dict[str, Credentials] = {}


def read_secret(arn: str) -> tuple[str, str]:
    """GetSecretValue: ``(username, password)`` of a JSON secret shaped like RDS's managed one."""
    import boto3

    answer = boto3.client("secretsmanager").get_secret_value(SecretId=arn)
    value = json.loads(answer["SecretString"])
    if not isinstance(value, dict) or not all(isinstance(value.get(k), str) for k in ("username", "password")):
        raise ValueError(f"secret {arn} must be JSON with a username and a password")
    return value["username"], value["password"]


def credentials(arn: str, max_age: float = SECRET_TTL_SECONDS) -> Credentials:
    """The secret's credentials, read again once older than ``max_age`` seconds: RDS rotates the managed secret."""
    cached = _cache.get(arn)
    if cached is None or _now() - cached.read_at >= max_age:
        username, password = read_secret(arn)
        cached = _cache[arn] = Credentials(username, password, _now())
    return cached


def forget_credentials() -> None:
    """Drop every cached secret (tests; a process that must read them again)."""
    _cache.clear()


def is_authentication_failure(error: BaseException) -> bool:
    """The server refused the password. libpq reports no SQLSTATE for a failed login, only the message."""
    return "password authentication failed" in str(error)


def _log_in_with_secret(engine: Engine, secret_arn: str) -> None:
    @event.listens_for(engine, "do_connect")
    def _connect(dialect: Any, record: Any, cargs: Any, cparams: dict[str, Any]) -> Any:
        # Each new connection asks for the credentials. A refused password from the cache is read again
        # once, at once: RDS rotated it, and a warm function would otherwise fail for up to the cache's
        # five minutes. A password read moments ago and refused is wrong, not stale: it fails.
        secret = credentials(secret_arn)
        try:
            return dialect.connect(*cargs, **{**cparams, "user": secret.username, "password": secret.password})
        except dialect.loaded_dbapi.OperationalError as error:
            if not is_authentication_failure(error) or _now() - secret.read_at < REREAD_AFTER_SECONDS:
                raise
        log.warning("the database refused the cached password: reading the secret again",
                    extra={"secret_arn": secret_arn})
        secret = credentials(secret_arn, max_age=0)
        return dialect.connect(*cargs, **{**cparams, "user": secret.username, "password": secret.password})


def make_engine(url: str, secret_arn: str | None = None, *, autocommit: bool = False) -> Engine:
    """The app's engine for ``url``; on PostgreSQL each new connection logs in with ``secret_arn``'s credentials.

    ``secret_arn`` defaults to ``DATABASE_SECRET_ARN`` when ``DATABASE_URL`` is unset (in AWS); a
    ``DATABASE_URL`` carries its own credentials. ``autocommit``: every connection commits each statement
    as it ends, and none is pinged before use (PostgreSQL only; see ``scalar``).
    """
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
    # The autocommit pool (``scalar``) retries a statement on a dead connection instead of pinging each one.
    engine = create_engine(url, pool_size=2, max_overflow=2, pool_pre_ping=not autocommit, pool_recycle=300,
                           **({"isolation_level": "AUTOCOMMIT"} if autocommit else {}))
    if secret_arn is None and not os.environ.get("DATABASE_URL"):
        secret_arn = os.environ.get("DATABASE_SECRET_ARN")
    if secret_arn:
        _log_in_with_secret(engine, secret_arn)
    return engine


@lru_cache(maxsize=4)
def _sessions(url: str) -> sessionmaker[Session]:
    trace_sql()  # where X-Ray traces: a subsegment per statement, patched here, not where SQL is never run
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


@lru_cache(maxsize=4)
def _autocommit_engine(url: str) -> Engine:
    trace_sql()
    return make_engine(url, autocommit=True)


def scalar(statement: Executable, params: Mapping[str, Any], url: str | None = None) -> Any:
    """Run one statement that commits as it ends (autocommit) and return its one value.

    For work that is one statement (the award functions): no ORM session, no BEGIN and COMMIT round
    trips. Its own small pool, whose connections stay in autocommit (switching a pooled connection back
    and forth costs about what the round trips save) and are not pinged before use, another round trip:
    a connection found dead (the server restarted, a proxy closed it while the process was frozen) is
    dropped, with the pool's others, and the statement runs once more on a new one. So it must be safe
    to run twice: one whose answer was lost with its connection may have committed, and runs again to
    find its work done (an award then pays 0: its transfer exists, its event waits in the outbox for the
    scheduled relay).
    """
    bind = _autocommit_engine(url or database_url())
    try:
        with bind.connect() as connection:
            return connection.execute(statement, params).scalar_one()
    except DBAPIError as error:
        if not error.connection_invalidated:
            raise
        log.warning("a pooled connection was dead: the statement runs again on a new one", exc_info=True)
    with bind.connect() as connection:
        return connection.execute(statement, params).scalar_one()
