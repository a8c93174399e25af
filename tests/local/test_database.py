"""The ledger's database on the platform: a fresh SQLite file or DATABASE_URL, migrated, seeded once."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from chalice.app import Chalice
from sqlalchemy import create_engine, func, pool, select, text

from chalicelib.core.declarations import Manifest
from chalicelib.ledger.migrate import head_revision
from chalicelib.ledger.models import Reward
from chalicelib.ledger.seed import DEMO_CATALOG
from chalicelib.resources import LEDGER
from local.database import LocalDatabase, demo_catalog, driver_url
from local.errors import StartupError
from local.platform import LocalPlatform
from tests.local.conftest import FAKE_PASSWORD

HEAD = head_revision()  # the newest migration: every start and deploy reaches it


def _rewards(url: str) -> list[str]:
    engine = create_engine(driver_url(url), poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            return sorted(connection.scalars(select(Reward.name)))
    finally:
        engine.dispose()


def _revision(url: str) -> str:
    engine = create_engine(driver_url(url), poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            return str(connection.scalar(text("SELECT version_num FROM alembic_version")))
    finally:
        engine.dispose()


def test_sqlite_file_is_emptied_at_each_start_then_migrated_and_seeded(tmp_path: Path) -> None:
    path = tmp_path / "data" / "ledger.db"  # the folder is created
    for _ in range(2):  # the second start finds the first one's file and empties it: 4 rewards, not 8
        database = LocalDatabase.open(LEDGER, sqlite_file=path)
        try:
            database.prepare(seed=demo_catalog)
            assert database.url == f"sqlite:///{path}"
            assert (database.revision, database.seeded) == (HEAD, len(DEMO_CATALOG))
            assert _rewards(database.url) == sorted(name for name, _, _ in DEMO_CATALOG)
            banner = "\n".join(database.describe())
        finally:
            database.close()
        assert path.exists(), "the file is kept after a stop, to be inspected"
    assert f"database     ledger: sqlite {path} (fresh for this start" in banner
    assert f"revision {HEAD} (migrated in " in banner
    assert "demo catalog: 4 rewards added" in banner


def test_a_second_platform_never_empties_the_file_another_one_uses(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    first = LocalDatabase.open(LEDGER, sqlite_file=path)
    try:
        first.prepare(seed=demo_catalog)
        second = LocalDatabase.open(LEDGER, sqlite_file=path)
        try:
            second.prepare(seed=demo_catalog)
            assert second.private_file and second.sqlite_file is not None and second.sqlite_file != path
            assert second.sqlite_file.parent == tmp_path
            assert "in use by another platform" in "\n".join(second.describe())
            assert len(_rewards(first.url)) == len(DEMO_CATALOG)  # the first one's data is intact
        finally:
            second.close()
        assert not second.sqlite_file.exists(), "a private file is deleted at stop"
    finally:
        first.close()
    third = LocalDatabase.open(LEDGER, sqlite_file=path)  # released at stop: the shared file again
    third.close()
    assert not third.private_file
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("ledger-")] == []


@pytest.mark.postgres
def test_postgresql_from_database_url_is_migrated_and_seeded_only_once(postgres_url: str) -> None:
    for expected_seed in (len(DEMO_CATALOG), 0):  # a restart on the same database adds nothing
        database = LocalDatabase.open(LEDGER, url=postgres_url, sqlite_file=Path("/nonexistent/never.db"))
        try:
            database.prepare(seed=demo_catalog)
            assert database.url == postgres_url and database.sqlite_file is None
            assert (database.revision, database.seeded) == (HEAD, expected_seed)
            banner = "\n".join(database.describe())
        finally:
            database.close()
    assert _revision(postgres_url) == HEAD
    assert len(_rewards(postgres_url)) == len(DEMO_CATALOG)
    assert "database     ledger: postgresql://postgres:***@127.0.0.1:5432/local_test_" in banner
    assert "(from DATABASE_URL; kept across restarts)" in banner
    assert "demo catalog: the catalog already has rewards, nothing added" in banner
    assert FAKE_PASSWORD not in banner


def test_an_unreachable_database_stops_the_start_without_showing_its_password() -> None:
    database = LocalDatabase.open(LEDGER, url=f"postgresql://postgres:{FAKE_PASSWORD}@127.0.0.1:1/nothing")
    with pytest.raises(StartupError) as refused:
        database.prepare(seed=demo_catalog)
    database.close()

    message = str(refused.value)
    assert message.startswith("database 'ledger' at postgresql://postgres:***@127.0.0.1:1/nothing: ")
    assert FAKE_PASSWORD not in message


def _database_platform(prefix: str, url: str) -> LocalPlatform:
    return LocalPlatform(port=0, app=Chalice(app_name="database"), manifest=Manifest(databases=(LEDGER,)),
                         prefix=prefix, pump=False, reset_on_stop=False, database_url=url)


@pytest.mark.postgres
def test_platform_sets_database_url_for_the_runtime_and_restores_it(postgres_url: str,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with _database_platform("db-one-", postgres_url) as platform:
        assert os.environ["DATABASE_URL"] == postgres_url  # as given: the runtime picks the driver
        assert platform.database is not None and platform.database.seeded == len(DEMO_CATALOG)
        banner = "\n".join(platform.describe())
        from chalicelib.ledger.db import transaction

        with transaction() as session:  # what a handler of the process sees
            assert session.scalar(select(func.count()).select_from(Reward)) == len(DEMO_CATALOG)
    assert "DATABASE_URL" not in os.environ
    assert f"revision {HEAD}" in banner and FAKE_PASSWORD not in banner

    with _database_platform("db-two-", postgres_url) as platform:  # restarted on the same database
        assert platform.database is not None and platform.database.seeded == 0
    assert len(_rewards(postgres_url)) == len(DEMO_CATALOG)


def test_platform_without_database_url_uses_the_sqlite_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    path = tmp_path / "ledger.db"
    with LocalPlatform(port=0, app=Chalice(app_name="database"), manifest=Manifest(databases=(LEDGER,)),
                       prefix="db-sqlite-", pump=False, reset_on_stop=False, sqlite_file=path) as platform:
        assert os.environ["DATABASE_URL"] == f"sqlite:///{path}"
        assert platform.database is not None and platform.database.revision == HEAD
    assert "DATABASE_URL" not in os.environ
