"""Make some roles of the local PostgreSQL server genuinely need their password.

The test server trusts every connection from 127.0.0.1, so a test that "logs in with the secret's
password" would pass with any password. ``require_passwords`` inserts, as the superuser, one rule
before the first rule of ``pg_hba.conf``: members of the group role ``ledger_password_login`` log in
over TCP from 127.0.0.1 with SCRAM. Every other role keeps its trust, so nobody else on the server
notices. The edit goes through SQL (``pg_read_file``, ``COPY ... TO``), so it works wherever the
server runs (a container in CI, too). It is idempotent, marked with a comment, checked with
``pg_hba_file_rules`` before the reload (a broken file is put back as it was), and left in place:
removing it could pull the rule from under a concurrent run.

Never make the superuser a member of a role in the group (``GRANT <member> TO postgres``): membership
is transitive here, and the superuser would need a password too. Tests that need a master user
creating roles use a non-superuser one (``master`` in conftest), as RDS's is.

Usage::

    require_passwords(superuser_url)            # once per session; fails loudly if it cannot
    make_password_role(superuser_url, "r", "p")  # a role that must log in with "p"
"""

from __future__ import annotations

import time
from typing import Any

import psycopg
from psycopg import sql

PASSWORD_GROUP = "ledger_password_login"
MARKER = "# added by tests/ledger/passwords.py: members of ledger_password_login need their password"
RULE = f"host all +{PASSWORD_GROUP} 127.0.0.1/32 scram-sha-256"
_LOCK = 0x1ED6E7  # an advisory lock: two sessions never rewrite the file at once
RELOAD_DEADLINE_SECONDS = 10.0


def _admin(url: str) -> psycopg.Connection[Any]:
    return psycopg.connect(url, autocommit=True)


def _with_rule(content: str) -> str | None:
    """The file with our rule before the first rule, or None when it is already there."""
    lines = content.splitlines()
    if RULE in (line.strip() for line in lines):
        return None
    first = next((i for i, line in enumerate(lines) if line.strip() and not line.lstrip().startswith("#")),
                 len(lines))
    return "\n".join([*lines[:first], MARKER, RULE, *lines[first:]]) + "\n"


def _write(connection: psycopg.Connection[Any], path: str, content: str) -> None:
    lines = content.replace("\t", " ").splitlines()
    if any("\\" in line for line in lines):  # COPY's text format would double them
        raise RuntimeError(f"{path} holds a backslash; add the rule by hand: {RULE}")
    rows = sql.SQL(" UNION ALL ").join(
        sql.SQL("SELECT {}::text AS line, {}::int AS n").format(sql.Literal(line), sql.Literal(n))
        for n, line in enumerate(lines))
    connection.execute(sql.SQL("COPY (SELECT line FROM ({}) AS lines ORDER BY n) TO {}").format(
        rows, sql.Literal(path)))


def require_passwords(superuser_url: str) -> None:
    """Members of ``PASSWORD_GROUP`` must log in with their password from now on (idempotent)."""
    with _admin(superuser_url) as connection:
        connection.execute("SELECT pg_advisory_lock(%s)", (_LOCK,))
        try:
            if connection.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (PASSWORD_GROUP,)).fetchone() is None:
                connection.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(PASSWORD_GROUP)))
            path = str(connection.execute("SHOW hba_file").fetchone()[0])  # type: ignore[index]
            original = str(connection.execute("SELECT pg_read_file(%s)", (path,)).fetchone()[0])  # type: ignore[index]
            changed = _with_rule(original)
            if changed is not None:
                _write(connection, path, changed)
                errors = connection.execute("SELECT line_number, error FROM pg_hba_file_rules "
                                            "WHERE error IS NOT NULL").fetchall()
                if errors:
                    _write(connection, path, original)
                    raise RuntimeError(f"the edited {path} does not parse ({errors}); it was put back as it was")
            connection.execute("SELECT pg_reload_conf()")
        finally:
            connection.execute("SELECT pg_advisory_unlock(%s)", (_LOCK,))


def make_password_role(superuser_url: str, role: str, password: str) -> None:
    """A login role in ``PASSWORD_GROUP`` (created, or its password reset)."""
    with _admin(superuser_url) as connection:
        exists = connection.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
        verb = "ALTER" if exists else "CREATE"
        connection.execute(sql.SQL(verb + " ROLE {} WITH LOGIN PASSWORD {}").format(
            sql.Identifier(role), sql.Literal(password)))
        connection.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(PASSWORD_GROUP), sql.Identifier(role)))


def logs_in(url: str, role: str, password: str) -> bool:
    """Whether ``role`` gets in with ``password`` (connection refused for authentication: False)."""
    try:
        with psycopg.connect(url, user=role, password=password, connect_timeout=5):
            return True
    except psycopg.OperationalError as error:
        if "authentication failed" not in str(error):
            raise
        return False


def wait_until_refused(url: str, role: str, wrong_password: str) -> None:
    """Wait for the reload to take effect: ``role`` refused with a wrong password (or fail loudly)."""
    deadline = time.monotonic() + RELOAD_DEADLINE_SECONDS
    while logs_in(url, role, wrong_password):  # pg_reload_conf() only signals the postmaster
        if time.monotonic() > deadline:
            raise RuntimeError(f"{role} still logs in with a wrong password {RELOAD_DEADLINE_SECONDS:.0f} s after "
                               f"the reload: is the server reached over 127.0.0.1, and does {RULE!r} apply?")
