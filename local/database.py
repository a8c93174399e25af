"""The platform's relational database: PostgreSQL from ``DATABASE_URL``, otherwise a fresh SQLite file.

A manifest declares at most one ``Database`` (the runtime finds it through the
single variable ``DATABASE_URL``). At start the platform:

* takes ``DATABASE_URL`` when it is set (PostgreSQL, e.g.
  ``postgresql://postgres@127.0.0.1:5432/social``), and keeps whatever it holds;
* otherwise uses an SQLite file (``.local/<name>.db`` under the repository, or
  ``sqlite_file``) that it empties first: moto forgets users and posts at
  every stop, so balances kept from an earlier start would belong to nobody.
  The file stays after a stop, to be inspected (``sqlite3 .local/ledger.db``).
  When another platform on this machine is using it (a lock file says so),
  this one takes a private file next to it, deleted at stop;
* runs the declaration's Alembic migrations to their head (timed) and reads
  the revision back, then calls ``seed`` (the demo catalog), which adds
  nothing to a database that already has one.

Usage::

    database = LocalDatabase.open(LEDGER, url=os.environ.get("DATABASE_URL"))
    os.environ["DATABASE_URL"] = database.url
    database.prepare(seed=demo_catalog)
    database.describe()          # banner lines; never a password
    database.close()
"""

from __future__ import annotations

import fcntl
import os
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from chalicelib.core.declarations import Database
from local import RUNTIME_DIR
from local.errors import StartupError

REPO_DIR = RUNTIME_DIR.parent
LOCAL_DIR = REPO_DIR / ".local"  # git-ignored

Seed = Callable[[str], int]


def demo_catalog(url: str) -> int:
    """The runtime's demo catalog (added only when the catalog is empty); how many rewards were added."""
    from chalicelib.ledger.seed import seed_demo_catalog

    return seed_demo_catalog(url)


def driver_url(url: str) -> str:
    """The URL with the driver the runtime uses (``postgresql://`` means psycopg 3, as in the runtime)."""
    return url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith("postgresql://") else url


def safe_url(url: str) -> str:
    """``url`` without its password, for banners and errors."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL SQLAlchemy understands: show its scheme only
        return url.split(":", 1)[0] + ":..."


def _remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)


@dataclass
class FreshSqliteFile:
    """An emptied SQLite file for one platform: ``path``, or a private one next to it when another platform
    on this machine holds ``path`` (its lock file says so). ``release()`` frees it and deletes a private one."""

    path: Path
    private: bool = False
    lock: IO[str] | None = field(default=None, repr=False)

    @classmethod
    def claim(cls, path: Path) -> FreshSqliteFile:
        path = path.resolve()
        path.parent.mkdir(parents=True, exist_ok=True)
        lock = path.with_name(path.name + ".lock").open("a")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:  # another platform runs on this file: never empty it under its feet
            lock.close()
            handle, name = tempfile.mkstemp(dir=path.parent, prefix=f"{path.stem}-", suffix=path.suffix or ".db")
            os.close(handle)
            return cls(Path(name), private=True)
        _remove_sqlite(path)
        return cls(path, lock=lock)

    def release(self) -> None:
        """Release the lock (the file stays, to be inspected) or delete a private file; safe to call twice."""
        if self.lock is not None:
            self.lock.close()  # releases the flock
            self.lock = None
        if self.private:
            _remove_sqlite(self.path)


@dataclass
class LocalDatabase:
    """One declared database as this platform provides it."""

    declaration: Database
    url: str  # what the runtime reads in DATABASE_URL
    sqlite_file: Path | None = None  # None: DATABASE_URL from the environment
    private_file: bool = False  # the shared file was in use: this one is ours alone, deleted at stop
    revision: str | None = None
    migrate_ms: float = 0.0
    seeded: int | None = None  # None: no seed function
    _lock: IO[str] | None = field(default=None, repr=False)

    @classmethod
    def open(cls, declaration: Database, *, url: str | None = None,
             sqlite_file: Path | None = None) -> LocalDatabase:
        """``url`` when given (kept as it is), else an emptied SQLite file (``sqlite_file`` or ``.local/``)."""
        if url:
            return cls(declaration, url)
        claimed = FreshSqliteFile.claim(sqlite_file or LOCAL_DIR / f"{declaration.name}.db")
        return cls(declaration, f"sqlite:///{claimed.path}", claimed.path, private_file=claimed.private,
                   _lock=claimed.lock)

    def prepare(self, seed: Seed | None = None) -> None:
        """Migrate to the newest revision (timed), read the revision back, then seed."""
        from sqlalchemy.exc import SQLAlchemyError

        url = driver_url(self.url)
        try:
            started = time.perf_counter()
            if self.declaration.migrations:
                self._migrate(url)
            self.migrate_ms = (time.perf_counter() - started) * 1000
            self.revision = self._current_revision(url)
            if seed is not None:
                self.seeded = seed(url)
        except SQLAlchemyError as error:
            cause = getattr(error, "orig", None) or error
            raise StartupError(f"database {self.declaration.name!r} at {safe_url(self.url)}: "
                               f"{str(cause).strip().splitlines()[0]}") from error

    def _migrate(self, url: str) -> None:
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(RUNTIME_DIR / self.declaration.migrations))
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
        command.upgrade(config, "head")

    def _current_revision(self, url: str) -> str | None:
        from alembic.runtime.migration import MigrationContext
        from sqlalchemy import create_engine, pool

        engine = create_engine(url, poolclass=pool.NullPool)
        try:
            with engine.connect() as connection:
                heads = MigrationContext.configure(connection).get_current_heads()
        finally:
            engine.dispose()
        return ", ".join(heads) or None

    def describe(self) -> list[str]:
        """Banner lines: which database, its revision, the seed; never a password."""
        if self.sqlite_file is None:
            where = f"{safe_url(self.url)} (from DATABASE_URL; kept across restarts)"
        elif self.private_file:
            where = (f"sqlite {self.sqlite_file} (fresh; the shared file is in use by another platform, "
                     "so this one is deleted at stop)")
        else:
            where = f"sqlite {self.sqlite_file} (fresh for this start; set DATABASE_URL to use PostgreSQL)"
        lines = [f"database     {self.declaration.name}: {where}"]
        if self.declaration.migrations:
            lines.append(f"  revision {self.revision or 'none'} (migrated in {self.migrate_ms:.0f} ms)")
        if self.seeded is not None:
            lines.append(f"  demo catalog: {self.seeded} rewards added" if self.seeded
                         else "  demo catalog: the catalog already has rewards, nothing added")
        return lines

    def close(self) -> None:
        """Close the runtime's pooled connections, release the file, delete a private one; safe to call twice."""
        ledger_db = sys.modules.get("chalicelib.ledger.db")
        if ledger_db is not None:
            with suppress(Exception):
                ledger_db._sessions(driver_url(self.url)).kw["bind"].dispose()
        if self._lock is not None:
            self._lock.close()  # releases the flock
            self._lock = None
        if self.private_file and self.sqlite_file is not None:
            _remove_sqlite(self.sqlite_file)
