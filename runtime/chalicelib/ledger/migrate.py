"""Running the ledger's Alembic migrations, from code: at deploy time (the ``migrate_ledger``
function, invoked by the stack), in tests, and by hand.

The migration logs in exactly as the app does: the engine comes from ``make_engine`` (in AWS its
``do_connect`` hook reads the credentials from Secrets Manager) and Alembic's ``env.py`` runs on
the connection handed to it in ``config.attributes``, in one transaction. Connecting is retried
(``Patience``), the migration itself never is.

Usage::

    migrate("postgresql+psycopg://postgres@127.0.0.1/test")   # to the newest revision; returns '0002'
    migrate()                                                  # the environment's database (AWS: the secret)
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine

from chalicelib.ledger.db import database_url, make_engine
from chalicelib.ledger.patience import Patience

SCRIPTS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str | None = None) -> Config:
    """The scripts folder; ``url`` only for Alembic's own command line (``migrate`` hands over a connection)."""
    config = Config()
    config.set_main_option("script_location", str(SCRIPTS))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head_revision() -> str:
    """The newest migration's revision (what ``migrate`` reaches), read from the scripts folder."""
    from alembic.script import ScriptDirectory

    return str(ScriptDirectory.from_config(alembic_config()).get_current_head())


def migrate(url: str | None = None, revision: str = "head", *, engine: Engine | None = None,
            patience: Patience | None = None) -> str:
    """Upgrade to ``revision`` through ``engine`` (or a new app engine for ``url``, default the environment's).

    Returns the revision reached (heads joined by ``,``). Raises ``DatabaseUnreachable`` when the
    database cannot be reached within the patience's budget.
    """
    bind = engine if engine is not None else make_engine(url or database_url())
    try:
        with (patience or Patience()).connect(bind) as connection, connection.begin():
            config = alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
            return ",".join(MigrationContext.configure(connection).get_current_heads())
    finally:
        if engine is None:
            bind.dispose()
