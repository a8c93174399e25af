"""The ledger: accounts, immutable transfers, daily earnings, rewards, orders; system accounts.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

SHARDS = 16  # system accounts are split so that concurrent transfers do not all lock one row


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.String(80), primary_key=True),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("balance", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("kind IN ('user', 'system')", name="account_kind"),
        sa.CheckConstraint("kind = 'system' OR balance >= 0", name="user_balance_not_negative"),
    )
    op.create_table(
        "transfers",
        sa.Column("id", sa.String(160), primary_key=True),
        sa.Column("debit_account", sa.String(80), sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("credit_account", sa.String(80), sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("reason", sa.String(40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("amount > 0", name="transfer_amount_positive"),
        sa.CheckConstraint("debit_account <> credit_account", name="transfer_between_two_accounts"),
    )
    op.create_index("transfers_by_debit", "transfers", ["debit_account", "created_at"])
    op.create_index("transfers_by_credit", "transfers", ["credit_account", "created_at"])
    # One row per user and UTC day they did anything: what they earned that day against the
    # cap, and (earned or not) the proof they were active, which the weekly bonus reads.
    op.create_table(
        "daily_earnings",
        sa.Column("account_id", sa.String(80), sa.ForeignKey("accounts.id"), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("earned", sa.Integer, nullable=False, server_default="0"),
        sa.CheckConstraint("earned >= 0", name="earned_not_negative"),
    )
    op.create_index("daily_earnings_by_day", "daily_earnings", ["day"])
    op.create_table(
        "rewards",
        sa.Column("id", sa.String(26), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("cost", sa.BigInteger, nullable=False),
        sa.Column("stock", sa.Integer, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("cost > 0", name="reward_cost_positive"),
        sa.CheckConstraint("stock >= 0", name="reward_stock_not_negative"),
    )
    op.create_table(
        "orders",
        sa.Column("id", sa.String(26), primary_key=True),
        sa.Column("account_id", sa.String(80), sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("reward_id", sa.String(26), sa.ForeignKey("rewards.id"), nullable=False),
        sa.Column("cost", sa.BigInteger, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("transfer_id", sa.String(160), sa.ForeignKey("transfers.id"), nullable=False, unique=True),
        sa.Column("idempotency_key", sa.String(128)),
        sa.Column("request_hash", sa.String(64)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.UniqueConstraint("account_id", "idempotency_key", name="one_order_per_idempotency_key"),
    )
    op.create_index("orders_by_account", "orders", ["account_id", "id"])
    accounts = sa.table("accounts", sa.column("id", sa.String), sa.column("kind", sa.String),
                        sa.column("balance", sa.BigInteger))
    op.bulk_insert(accounts, [{"id": f"system:{name}:{shard:02d}", "kind": "system", "balance": 0}
                              for name in ("rewards-pool", "redemptions") for shard in range(SHARDS)])
    if op.get_bind().dialect.name == "postgresql":
        op.execute("""
            CREATE FUNCTION transfers_are_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'transfers are immutable: % refused', TG_OP;
            END $$;
        """)
        op.execute("""
            CREATE TRIGGER transfers_immutable BEFORE UPDATE OR DELETE ON transfers
            FOR EACH ROW EXECUTE FUNCTION transfers_are_immutable();
        """)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER transfers_immutable ON transfers")
        op.execute("DROP FUNCTION transfers_are_immutable()")
    for table in ("orders", "rewards", "daily_earnings", "transfers", "accounts"):
        op.drop_table(table)
