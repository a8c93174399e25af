"""Previews share one PostgreSQL server: the ``migrate_ledger`` handler creates each preview's role and database
(then migrates as that role) and drops both when the preview goes, driven by the events an
``aws.lambda_.Invocation`` with ``lifecycle_scope="CRUD"`` sends."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest
from psycopg import sql

from chalicelib.ledger.provision import ProvisionError
from tests.ledger.conftest import AppRole, Master, drop, put_secret
from tests.ledger.passwords import PASSWORD_GROUP, logs_in, make_password_role
from tests.ledger.test_deploy import HEAD, invoke, schema_of

INPUT = {"database": "ledger", "scripts": "3f2a"}  # the stack's input; the provider adds "tf"


def crud(action: str, prev_input: dict[str, Any] | None = None) -> dict[str, Any]:
    """The event the provider sends (terraform-provider-aws invocation.go, buildInput)."""
    return {**INPUT, "tf": {"action": action, "prev_input": prev_input}}


@dataclass
class Preview:
    """One preview's names on the shared server, and its secret (the password changes when rotated)."""

    role: str
    database: str
    secret_arn: str
    password: str


@pytest.fixture
def preview(in_aws: pytest.MonkeyPatch, secrets_manager: Any, password_server: str,
            master: Master) -> Iterator[Preview]:
    """A preview's environment with the master's secret set; names that need quoting; dropped afterwards."""
    tag = uuid.uuid4().hex[:8]
    role, database = f'ledger pr-{tag} "role"', f'ledger_pr-{tag} "db"'
    password = secrets.token_urlsafe(18)
    admin = put_secret(secrets_manager, master.name, master.password)
    found = Preview(role, database, put_secret(secrets_manager, role, password), password)
    in_aws.setenv("DATABASE_ADMIN_SECRET_ARN", admin)
    in_aws.setenv("DATABASE_SECRET_ARN", found.secret_arn)
    in_aws.setenv("DATABASE_NAME", database)
    try:
        yield found
    finally:
        drop(password_server, database, role)


def exists(server: str, role: str, database: str) -> tuple[bool, bool]:
    with psycopg.connect(server) as connection:
        has_role = connection.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
        has_database = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone()
    return has_role is not None, has_database is not None


def needs_password(server: str, role: str) -> None:
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(PASSWORD_GROUP), sql.Identifier(role)))


def test_create_makes_the_role_and_its_database_and_migrates_as_that_role(preview: Preview,
                                                                          password_server: str) -> None:
    answer = invoke(crud("create"))

    assert answer == {"action": "create", "database": preview.database, "role": preview.role,
                      "created": ["role", "database"], "migrated": HEAD}
    revision, tables = schema_of(password_server, preview.database)
    assert revision == HEAD and set(tables.values()) == {preview.role}
    with psycopg.connect(password_server) as connection:
        owner, public = connection.execute(
            "SELECT pg_get_userbyid(datdba), (SELECT count(*) FROM aclexplode(datacl) WHERE grantee = 0) "
            "FROM pg_database WHERE datname = %s", (preview.database,)).fetchone() or (None, None)
    assert owner == preview.role
    assert public == 0, "other previews' roles may not connect"


def test_create_again_and_update_keep_the_data_and_set_the_secrets_current_password(
        preview: Preview, password_server: str, secrets_manager: Any) -> None:
    invoke(crud("create"))
    with psycopg.connect(password_server, dbname=preview.database) as connection:
        connection.execute("INSERT INTO accounts (id, kind, balance) VALUES ('user:kept', 'user', 0)")
    needs_password(password_server, preview.role)  # from now on the server checks what the handler set
    rotated = "rotated-" + preview.password
    put_secret(secrets_manager, preview.role, rotated, arn=preview.secret_arn)

    again = invoke(crud("create"))  # a re-run after a failed deploy, say
    assert again["created"] == [] and again["migrated"] == HEAD
    assert logs_in(password_server, preview.role, rotated)
    assert not logs_in(password_server, preview.role, preview.password)

    updated = invoke(crud("update", prev_input=INPUT))  # the migrations changed: migrated as the role, by password
    assert updated["action"] == "update" and updated["created"] == [] and updated["migrated"] == HEAD
    with psycopg.connect(password_server, dbname=preview.database) as connection:
        assert connection.execute("SELECT id FROM accounts WHERE id = 'user:kept'").fetchone() == ("user:kept",)


def test_delete_closes_the_connections_and_drops_the_database_and_the_role(preview: Preview,
                                                                           password_server: str) -> None:
    invoke(crud("create"))
    held = psycopg.connect(password_server, dbname=preview.database, user=preview.role, password=preview.password)

    answer = invoke(crud("delete", prev_input=INPUT))

    assert answer == {"action": "delete", "database": preview.database, "role": preview.role,
                      "dropped": ["database", "role"]}
    assert exists(password_server, preview.role, preview.database) == (False, False)
    with pytest.raises(psycopg.OperationalError):
        held.execute("SELECT 1")
    held.close()
    assert invoke(crud("delete", prev_input=INPUT))["dropped"] == [], "deleting what is gone is fine"


def test_without_the_admin_secret_create_only_migrates_and_delete_drops_nothing(
        in_aws: pytest.MonkeyPatch, secrets_manager: Any, password_server: str) -> None:
    # dev and prod: a server of their own, no DATABASE_ADMIN_SECRET_ARN
    tag = uuid.uuid4().hex[:10]
    role = AppRole(f"ledger_own_{tag}", secrets.token_urlsafe(18), f"ledger_own_{tag}")
    make_password_role(password_server, role.name, role.password)
    try:
        with psycopg.connect(password_server, autocommit=True) as connection:
            connection.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(
                sql.Identifier(role.database), sql.Identifier(role.name)))
        in_aws.setenv("DATABASE_NAME", role.database)
        in_aws.setenv("DATABASE_SECRET_ARN", put_secret(secrets_manager, role.name, role.password))

        assert invoke(crud("create")) == {"action": "create", "migrated": HEAD}
        assert invoke(crud("delete", prev_input=INPUT))["dropped"] == []
        assert exists(password_server, role.name, role.database) == (True, True)
        assert schema_of(password_server, role.database)[0] == HEAD
    finally:
        drop(password_server, role.database, role.name)


@pytest.mark.parametrize("what", ["database", "role", "long name"])
def test_the_servers_own_database_and_master_user_are_never_a_previews(
        what: str, preview: Preview, in_aws: pytest.MonkeyPatch, secrets_manager: Any, password_server: str,
        master: Master) -> None:
    if what == "database":
        in_aws.setenv("DATABASE_NAME", "postgres")
    elif what == "long name":  # PostgreSQL would truncate it, and never find it again to drop it
        in_aws.setenv("DATABASE_NAME", "ledger_" + "x" * 57)
    else:
        put_secret(secrets_manager, master.name, master.password, arn=preview.secret_arn)
    with pytest.raises(ProvisionError, match=r"refusing|must have 1 to 63 bytes"):
        invoke(crud("delete", prev_input=INPUT))
    with pytest.raises(ProvisionError, match=r"refusing|must have 1 to 63 bytes"):
        invoke(crud("create"))
    assert exists(password_server, master.name, "postgres") == (True, True)


def test_an_unknown_lifecycle_action_fails_the_deploy(preview: Preview) -> None:
    from chalicelib.ledger.deploy import DeployError

    with pytest.raises(DeployError, match="must be one of"):
        invoke(crud("replace"))

