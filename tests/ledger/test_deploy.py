"""The deploy-time migration, through the ``migrate_ledger`` handler as Lambda runs it, in AWS's environment.

No ``DATABASE_URL``: ``DATABASE_HOST``/``PORT``/``NAME`` and ``DATABASE_SECRET_ARN`` (a moto secret shaped
like RDS's managed one), and a PostgreSQL role that really must give its password.
"""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from chalice.test import Client

from app import app
from chalicelib.ledger.db import database_url
from chalicelib.ledger.migrate import head_revision
from tests.ledger.conftest import AppRole, put_secret

HEAD = head_revision()  # the newest migration: every start and deploy reaches it
STACK_EVENT = {"action": "migrate", "database": "ledger", "revision": "head"}  # what the stack sends today


def invoke(event: dict[str, Any]) -> Any:
    """The handler as Lambda calls it: Chalice's test client, the app's own handler map."""
    with Client(app) as client:
        return client.lambda_.invoke("migrate_ledger", event).payload


def schema_of(server: str, database: str) -> tuple[str | None, dict[str, str]]:
    """(alembic revision, {table: owner}) of ``database``."""
    with psycopg.connect(server, dbname=database) as connection:
        rows = connection.execute("SELECT tablename, tableowner FROM pg_tables WHERE schemaname = 'public'")
        tables: dict[str, str] = {name: owner for name, owner in rows.fetchall()}
        revision = None
        if "alembic_version" in tables:
            revision = connection.execute("SELECT version_num FROM alembic_version").fetchone()[0]  # type: ignore[index]
    return revision, tables


def test_the_deploy_migration_logs_in_with_the_secrets_credentials(
        in_aws: pytest.MonkeyPatch, secrets_manager: Any, app_role: AppRole, password_server: str) -> None:
    in_aws.setenv("DATABASE_NAME", app_role.database)
    in_aws.setenv("DATABASE_SECRET_ARN", put_secret(secrets_manager, app_role.name, app_role.password))

    answer = invoke(STACK_EVENT)

    assert answer["migrated"] == HEAD
    revision, tables = schema_of(password_server, app_role.database)
    assert revision == HEAD
    assert {"accounts", "transfers", "rewards"} <= tables.keys()
    assert set(tables.values()) == {app_role.name}, "the migration ran as the secret's user"


def test_a_wrong_password_in_the_secret_fails_the_deploy(
        in_aws: pytest.MonkeyPatch, secrets_manager: Any, app_role: AppRole, password_server: str) -> None:
    in_aws.setenv("DATABASE_NAME", app_role.database)
    in_aws.setenv("DATABASE_SECRET_ARN", put_secret(secrets_manager, app_role.name, "not-" + app_role.password))

    with pytest.raises(Exception, match="password authentication failed"):
        invoke(STACK_EVENT)
    assert schema_of(password_server, app_role.database) == (None, {})


def test_tls_is_required_unless_the_stack_says_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("DATABASE_SSLMODE", raising=False)
    monkeypatch.setenv("DATABASE_HOST", "proxy.example")
    monkeypatch.setenv("DATABASE_NAME", "ledger")
    monkeypatch.setenv("DATABASE_SECRET_ARN", "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-1")
    assert database_url() == "postgresql+psycopg://proxy.example:5432/ledger?sslmode=require"

    monkeypatch.setenv("DATABASE_SSLMODE", "verify-full")
    assert database_url().endswith("?sslmode=verify-full")
    monkeypatch.setenv("DATABASE_SSLMODE", "off")
    with pytest.raises(ValueError, match="DATABASE_SSLMODE"):
        database_url()
