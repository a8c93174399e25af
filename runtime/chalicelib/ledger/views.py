"""How wallets, entries, rewards and orders look on the wire."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from pydantic import Field

from chalicelib.core.schema import RequestBody, ResponseBody
from chalicelib.core.usertext import SingleLineText

if TYPE_CHECKING:  # SQLAlchemy costs ~250 ms of cold start: only routes that touch the ledger import it
    from chalicelib.ledger.models import Order, Reward
    from chalicelib.ledger.wallet import Entry


class WalletView(ResponseBody):
    balance: int
    earned_today: int
    daily_cap: int


class EntryView(ResponseBody):
    id: str
    amount: int
    reason: str
    created_at: datetime

    @classmethod
    def of(cls, entry: Entry) -> EntryView:
        return cls(id=entry.id, amount=entry.amount, reason=entry.reason, created_at=entry.created_at)


class RewardView(ResponseBody):
    id: str
    name: str
    cost: int
    stock: int
    active: bool

    @classmethod
    def of(cls, reward: Reward) -> RewardView:
        return cls(id=reward.id, name=reward.name, cost=int(reward.cost), stock=int(reward.stock),
                   active=bool(reward.active))


class OrderView(ResponseBody):
    id: str
    reward_id: str
    cost: int
    status: str
    created_at: datetime

    @classmethod
    def of(cls, order: Order) -> OrderView:
        created = order.created_at
        return cls(id=order.id, reward_id=order.reward_id, cost=int(order.cost), status=order.status,
                   created_at=created)


class NewReward(RequestBody):
    name: SingleLineText = Field(min_length=1, max_length=100)
    cost: int = Field(gt=0, le=1_000_000)
    stock: int = Field(ge=0, le=1_000_000)


class RewardChange(RequestBody):
    name: SingleLineText | None = Field(default=None, min_length=1, max_length=100)
    cost: int | None = Field(default=None, gt=0, le=1_000_000)
    stock: int | None = Field(default=None, ge=0, le=1_000_000)
    active: bool | None = None


class CoinDayView(ResponseBody):
    """One UTC day of the coin economy: coins issued to users, redeemed by them, and held at the day's end."""

    day: date
    issued: int
    redeemed: int
    outstanding: int


class CoinReport(ResponseBody):
    days: list[CoinDayView]
