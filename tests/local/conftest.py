"""One local platform for the package's tests: the fixture app and manifest on moto, fast queues, a fake clock;
and throwaway PostgreSQL databases."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, pool, text
from sqlalchemy.engine import make_url

from local.platform import LocalPlatform
from tests.local import fixture_app


class FakeClock:
    """The pump's clock, moved by the tests."""

    def __init__(self, start: datetime) -> None:
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._now

    def set(self, moment: datetime) -> None:
        with self._lock:
            self._now = moment

    def advance(self, delta: timedelta) -> None:
        with self._lock:
            self._now += delta


@pytest.fixture(scope="package")
def clock() -> FakeClock:
    return FakeClock(datetime(2024, 5, 6, 9, 30, 10, tzinfo=UTC))


@pytest.fixture(scope="package")
def platform(clock: FakeClock) -> Iterator[LocalPlatform]:
    with LocalPlatform(port=0, app=fixture_app.app, manifest=fixture_app.MANIFEST, prefix="pumptest-",
                       visibility_timeout=1, idle_interval=0.25, clock=clock, admin_password="") as running:
        yield running
    threads = running.pump.threads
    assert not [t.name for t in threads if t.is_alive()], "pump threads outlived the platform"


@pytest.fixture()
def recorder(platform: LocalPlatform) -> Iterator[fixture_app.Recorder]:
    platform.pump.drain(10)
    fixture_app.RECORDER.clear()
    yield fixture_app.RECORDER


# PostgreSQL for the database tests: a throwaway database on the server of DATABASE_URL (default: the local
# one, trust auth), created for one test and dropped after it, never the server's own database.
POSTGRES_SERVER = os.environ.get("DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/test"
FAKE_PASSWORD = "not-shown-anywhere-42"  # trust auth ignores it; the banner and errors must not show it


@pytest.fixture()
def postgres_url() -> Iterator[str]:
    """``postgresql://user:password@host:port/<fresh database>``, dropped (connections and all) afterwards."""
    server = make_url(POSTGRES_SERVER.replace("postgresql://", "postgresql+psycopg://", 1))
    admin = create_engine(server, isolation_level="AUTOCOMMIT", poolclass=pool.NullPool)
    name = f"local_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:  # never skipped: the platform's PostgreSQL path is only worth what this proves
        pytest.fail(f"PostgreSQL at {server.render_as_string(hide_password=True)} is required: {error}")
    url = server.set(drivername="postgresql", database=name, password=server.password or FAKE_PASSWORD)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
