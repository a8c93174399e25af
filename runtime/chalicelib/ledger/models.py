"""The ledger's tables, as SQLAlchemy 2 typed models.

Double entry: every movement is one immutable ``Transfer`` that debits one
account and credits another by a positive amount. An account's ``balance`` is
the sum of its credits minus the sum of its debits, kept on the row and
changed in the same transaction as the transfer. System accounts (the rewards
pool that coins come from, the redemptions sink they go to) may go negative;
user wallets may not, and the database itself refuses it. The sum over all
accounts is therefore always zero.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy import text as sql_text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def _now() -> datetime:
    return datetime.now(UTC)  # the code sets timestamps itself; this is the ORM's fallback


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that always comes back timezone-aware in UTC (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime()}


USER, SYSTEM = "user", "system"


class Account(Base):
    __tablename__ = "accounts"
    __table_args__ = (
        CheckConstraint("kind IN ('user', 'system')", name="account_kind"),
        CheckConstraint("kind = 'system' OR balance >= 0", name="user_balance_not_negative"),
    )

    id: Mapped[str] = mapped_column(String(80), primary_key=True)  # "user:<username>", "system:<name>"
    kind: Mapped[str] = mapped_column(String(10))
    balance: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(default=_now)


class Transfer(Base):
    """Immutable: written once, never updated or deleted (PostgreSQL enforces it with a trigger)."""

    __tablename__ = "transfers"
    __table_args__ = (
        CheckConstraint("amount > 0", name="transfer_amount_positive"),
        CheckConstraint("debit_account <> credit_account", name="transfer_between_two_accounts"),
        Index("transfers_by_debit", "debit_account", "created_at"),
        Index("transfers_by_credit", "credit_account", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(160), primary_key=True)  # deterministic: "like:<post>:<liker>"
    debit_account: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    credit_account: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=_now)


class DailyEarning(Base):
    """Interaction coins a user earned on one UTC day, against the daily cap; the row also says they were active."""

    __tablename__ = "daily_earnings"
    __table_args__ = (CheckConstraint("earned >= 0", name="earned_not_negative"),)

    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    earned: Mapped[int] = mapped_column(Integer, default=0)


class Reward(Base):
    __tablename__ = "rewards"
    __table_args__ = (
        CheckConstraint("cost > 0", name="reward_cost_positive"),
        CheckConstraint("stock >= 0", name="reward_stock_not_negative"),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    cost: Mapped[int] = mapped_column(BigInteger)
    stock: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=_now)
    updated_at: Mapped[datetime] = mapped_column(default=_now)


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("account_id", "idempotency_key", name="one_order_per_idempotency_key"),
        Index("orders_by_account", "account_id", "id"),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True)  # a ULID: newest first by key
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    reward_id: Mapped[str] = mapped_column(ForeignKey("rewards.id"))
    cost: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(20), default="placed")
    transfer_id: Mapped[str] = mapped_column(ForeignKey("transfers.id"), unique=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(128))
    request_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=_now)


PENDING, PUBLISHED = sql_text("published_at IS NULL"), sql_text("published_at IS NOT NULL")


class OutboxEvent(Base):
    """A domain event, written in the transaction of the change it reports; the relay publishes it after commit.

    ``id`` is the event's own deterministic id (``coins.awarded:<transfer_id>``), so an event is
    recorded once however often its change is retried. Published rows are kept a while (a replay
    marks them pending again), then pruned.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index("outbox_pending", "created_at", "id", postgresql_where=PENDING, sqlite_where=PENDING),
        Index("outbox_published", "published_at", postgresql_where=PUBLISHED, sqlite_where=PUBLISHED),
    )

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    type: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text)  # DomainEvent.to_json(), exactly what is published
    created_at: Mapped[datetime] = mapped_column(default=_now)
    published_at: Mapped[datetime | None] = mapped_column(default=None)
