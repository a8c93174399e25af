"""The ledger's tests run against a real PostgreSQL: a fresh database per module, migrated, then dropped.

The server comes from ``DATABASE_URL`` (default ``postgresql://postgres@127.0.0.1:5432/test``). If it
cannot be reached these tests fail, loudly: they are never skipped.
"""

from __future__ import annotations

import json
import os
import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import psycopg
import pytest
from moto import mock_aws
from psycopg import sql
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from chalicelib.ledger.migrate import migrate
from tests.ledger.passwords import logs_in, make_password_role, require_passwords, wait_until_refused

SERVER = os.environ.get("DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/test"


def _driver_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith("postgresql://") else url


@pytest.fixture(scope="module")
def ledger_url() -> Iterator[str]:
    server = make_url(_driver_url(SERVER))
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    name = f"ledger_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:  # no skip: the ledger's guarantees are only worth what PostgreSQL proves
        pytest.fail(f"PostgreSQL at {server.render_as_string(hide_password=True)} is required: {error}")
    url = server.set(database=name).render_as_string(hide_password=False)
    migrate(url)
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def libpq_url(url: str = SERVER) -> str:
    """``SERVER`` as libpq (and psycopg) read it: no SQLAlchemy driver suffix."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@dataclass(frozen=True)
class AppRole:
    """A login role that must give its password, and a fresh database it owns."""

    name: str
    password: str
    database: str


@pytest.fixture(scope="session")
def password_server() -> str:
    """The superuser's URL, once members of ``PASSWORD_GROUP`` must log in with their password (proved here)."""
    url = libpq_url()
    probe = f"ledger_probe_{uuid.uuid4().hex[:12]}"
    try:
        require_passwords(url)
        make_password_role(url, probe, "the-right-one")
        wait_until_refused(url, probe, "a-wrong-one")
        assert logs_in(url, probe, "the-right-one"), f"{probe} is refused even with its own password"
    except Exception as error:  # never skipped: a password test on a trusting server proves nothing
        pytest.fail(f"cannot make PostgreSQL at {make_url(SERVER).render_as_string(hide_password=True)} "
                    f"check passwords: {error}")
    finally:
        drop(url, role=probe)
    return url


@dataclass(frozen=True)
class Master:
    """A master user like RDS's: no superuser, CREATEROLE and CREATEDB, and it must give its password."""

    name: str
    password: str


@pytest.fixture(scope="session")
def master(password_server: str) -> Iterator[Master]:
    # Never the superuser: the master becomes a member of the roles it creates, and so of PASSWORD_GROUP.
    found = Master(f"ledger_master_{uuid.uuid4().hex[:10]}", secrets.token_urlsafe(18))
    make_password_role(password_server, found.name, found.password)
    with psycopg.connect(password_server, autocommit=True) as connection:
        connection.execute(sql.SQL("ALTER ROLE {} WITH NOSUPERUSER CREATEROLE CREATEDB").format(
            sql.Identifier(found.name)))
    try:
        yield found
    finally:
        drop(password_server, role=found.name)


def drop(superuser_url: str, database: str | None = None, role: str | None = None) -> None:
    """Drop a test's database (connections and all) and role, if they exist."""
    with psycopg.connect(superuser_url, autocommit=True) as connection:
        if database is not None:
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))
        if role is not None:
            connection.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


@pytest.fixture
def app_role(password_server: str) -> Iterator[AppRole]:
    tag = uuid.uuid4().hex[:10]
    role = AppRole(f"ledger_app_{tag}", secrets.token_urlsafe(18), f"ledger_deploy_{tag}")
    make_password_role(password_server, role.name, role.password)
    with psycopg.connect(password_server, autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(
            sql.Identifier(role.database), sql.Identifier(role.name)))
    try:
        yield role
    finally:
        drop(password_server, role.database, role.name)


@pytest.fixture
def secrets_manager(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Secrets Manager in moto, with the runtime's cached credentials forgotten before and after."""
    from chalicelib.ledger import db

    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)  # mock_aws, never a server another test started
    getattr(db, "forget_credentials", lambda: None)()
    with mock_aws():
        yield boto3.client("secretsmanager")
    db.forget_credentials()


def put_secret(client: Any, username: str, password: str, arn: str | None = None) -> str:
    """Create (or, given ``arn``, rotate) a secret shaped like RDS's managed one; returns its ARN."""
    value = json.dumps({"username": username, "password": password})
    if arn is None:
        return str(client.create_secret(Name=f"rds!db-{uuid.uuid4()}", SecretString=value)["ARN"])
    client.put_secret_value(SecretId=arn, SecretString=value)
    return arn


@pytest.fixture
def in_aws(monkeypatch: pytest.MonkeyPatch, password_server: str) -> pytest.MonkeyPatch:
    """The environment the stack gives a ledger function (no DATABASE_URL), pointing at the local server."""
    server = make_url(SERVER)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("DATABASE_ADMIN_SECRET_ARN", raising=False)
    monkeypatch.setenv("DATABASE_HOST", server.host or "127.0.0.1")
    monkeypatch.setenv("DATABASE_PORT", str(server.port or 5432))
    monkeypatch.setenv("DATABASE_SSLMODE", "disable")  # the local server has no TLS; AWS keeps "require"
    return monkeypatch
