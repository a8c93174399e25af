"""Running the ledger's Alembic migrations, from code: at deploy time (the ``migrate_ledger``
function, invoked by the stack), at the local platform's start, and in tests.

Usage::

    migrate("postgresql+psycopg://postgres@127.0.0.1/test")   # to the newest revision
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

SCRIPTS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(SCRIPTS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def migrate(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)
