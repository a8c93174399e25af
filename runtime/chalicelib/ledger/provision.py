"""A preview's own database and login role on a shared PostgreSQL server, made and removed as its master user.

Previews share one server (the account stack's); each gets a database owned by its own login role,
whose name and password are the preview's ``DATABASE_SECRET_ARN`` secret. Identifiers and the
password go through ``psycopg.sql`` (quoted), never string formatting; the password is sent as a
SCRAM verifier computed here, so the clear text never reaches the server's statement logs.

The connection must be in AUTOCOMMIT (``CREATE DATABASE`` cannot run in a transaction). On RDS the
master user is no superuser: it is made a member of the role, which lets it create a database
owned by the role and later drop both (PostgreSQL 16 gives the creator of a role ADMIN on it).

Usage::

    admin = patience.connect(admin_engine).execution_options(isolation_level="AUTOCOMMIT")
    ensure_database(admin, "ledger_pr_42", "ledger_pr_42", password)   # ['role', 'database'] when new
    drop_database(admin, "ledger_pr_42", "ledger_pr_42")              # ['database', 'role']
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy import Connection

# Never dropped nor handed to a preview: the server's own databases.
PROTECTED_DATABASES = frozenset({"postgres", "template0", "template1", "rdsadmin"})
# PostgreSQL silently truncates longer names (NAMEDATALEN - 1): the next lookup would miss the object.
MAX_NAME_BYTES = 63


class ProvisionError(RuntimeError):
    """The request would touch what a preview does not own, or the connection cannot do it."""


def _driver(connection: Connection, database: str, role: str) -> psycopg.Connection[Any]:
    raw = connection.connection.driver_connection
    if not isinstance(raw, psycopg.Connection):
        raise ProvisionError("provisioning needs a psycopg connection")
    if not raw.autocommit:
        raise ProvisionError("CREATE and DROP DATABASE cannot run in a transaction: connect in AUTOCOMMIT")
    for kind, name in (("database", database), ("role", role)):
        if not name or len(name.encode()) > MAX_NAME_BYTES:
            raise ProvisionError(f"the {kind} name {name!r} must have 1 to {MAX_NAME_BYTES} bytes")
    if database in PROTECTED_DATABASES:
        raise ProvisionError(f"refusing to provision or drop the server's own database {database!r}")
    if role == raw.info.user:
        raise ProvisionError(f"refusing to provision or drop the master user {role!r} as a preview's role")
    return raw


def _exists(raw: psycopg.Connection[Any], catalog: str, name: str) -> bool:
    query = {"role": "SELECT 1 FROM pg_roles WHERE rolname = %s",
             "database": "SELECT 1 FROM pg_database WHERE datname = %s"}[catalog]
    return raw.execute(query, (name,)).fetchone() is not None


def ensure_database(connection: Connection, database: str, role: str, password: str) -> list[str]:
    """The login role (its password set to ``password``) and ``database`` owned by it; returns what was new."""
    raw = _driver(connection, database, role)
    created: list[str] = []
    verifier = raw.pgconn.encrypt_password(password.encode(), role.encode(), b"scram-sha-256").decode()
    verb = "ALTER" if _exists(raw, "role", role) else "CREATE"
    raw.execute(sql.SQL(verb + " ROLE {} WITH LOGIN PASSWORD {}").format(sql.Identifier(role), sql.Literal(verifier)))
    if verb == "CREATE":
        created.append("role")
    raw.execute(sql.SQL("GRANT {} TO CURRENT_USER").format(sql.Identifier(role)))
    if _exists(raw, "database", database):
        raw.execute(sql.SQL("ALTER DATABASE {} OWNER TO {}").format(sql.Identifier(database), sql.Identifier(role)))
    else:
        raw.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(database), sql.Identifier(role)))
        created.append("database")
    # Every role may connect to every database by default: other previews' roles may not.
    raw.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(sql.Identifier(database)))
    return created


def drop_database(connection: Connection, database: str, role: str) -> list[str]:
    """Close ``database``'s connections, drop it, then drop ``role``; returns what existed and was dropped."""
    raw = _driver(connection, database, role)
    dropped: list[str] = []
    if _exists(raw, "database", database):
        raw.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid()", (database,))
        # FORCE: a connection opened (by RDS Proxy, say) since the line above is closed too.
        raw.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))
        dropped.append("database")
    if _exists(raw, "role", role):
        raw.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))
        dropped.append("role")
    return dropped
