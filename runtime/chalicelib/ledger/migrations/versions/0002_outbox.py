"""The outbox: domain events written with the ledger's changes, published by a relay after commit.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

PENDING, PUBLISHED = sa.text("published_at IS NULL"), sa.text("published_at IS NOT NULL")


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.String(200), primary_key=True),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("published_at", sa.DateTime(timezone=True)),
    )
    # Partial indexes (PostgreSQL and SQLite both have them): the relay reads only the few pending rows
    # in order, the pruner only the published ones by age; neither scans what the other wants.
    op.create_index("outbox_pending", "outbox", ["created_at", "id"], postgresql_where=PENDING, sqlite_where=PENDING)
    op.create_index("outbox_published", "outbox", ["published_at"], postgresql_where=PUBLISHED,
                    sqlite_where=PUBLISHED)


def downgrade() -> None:
    op.drop_index("outbox_published", "outbox")
    op.drop_index("outbox_pending", "outbox")
    op.drop_table("outbox")
