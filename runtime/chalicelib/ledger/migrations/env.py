"""Alembic's environment: run through ``chalicelib.ledger.migrate.migrate``, which hands over a connection.

That connection comes from the app's own engine (``chalicelib.ledger.db.make_engine``), so the
migration logs in exactly as the app does. Without one (Alembic's command line, or a ``Config``
holding only ``sqlalchemy.url``) the app's engine factory builds one from that URL.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from chalicelib.ledger.db import make_engine
from chalicelib.ledger.models import Base

config = context.config


def run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=Base.metadata,
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


handed_over = config.attributes.get("connection")
if isinstance(handed_over, Connection):
    run(handed_over)
else:
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("run migrations with chalicelib.ledger.migrate.migrate(), or set sqlalchemy.url")
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            run(connection)
    finally:
        engine.dispose()
