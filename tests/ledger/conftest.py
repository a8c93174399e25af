"""The ledger's tests run against a real PostgreSQL: a fresh database per module, migrated, then dropped.

The server comes from ``DATABASE_URL`` (default ``postgresql://postgres@127.0.0.1:5432/test``). If it
cannot be reached these tests fail, loudly: they are never skipped.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from chalicelib.ledger.migrate import migrate

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
