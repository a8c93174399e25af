"""The rewards catalog and redemption.

Redeeming debits the wallet, takes one from stock and records the order in one
transaction: the reward row is locked first, then the account rows in id
order, so concurrent redemptions can neither oversell nor overdraw (and the
database's check constraints refuse both anyway). An ``Idempotency-Key`` is
stored on the order in the same transaction, so a retried request returns the
same order even if the first answer was lost. The ``order.created`` event is
recorded in the outbox in that transaction too.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from chalicelib.core import metric_names as m
from chalicelib.core.errors import Conflict, NotFound, Unprocessable
from chalicelib.core.ids import is_id, new_id
from chalicelib.core.metrics import count
from chalicelib.core.tracing import traced_step
from chalicelib.ledger.accounts import REDEMPTIONS, Overdraft, ensure_user, system_account, transfer, user_account
from chalicelib.ledger.db import transaction
from chalicelib.ledger.events import order_event
from chalicelib.ledger.models import Order, Reward
from chalicelib.ledger.outbox import record


def list_rewards(limit: int, after: str | None, url: str | None = None) -> list[Reward]:
    with transaction(url) as session:
        query = select(Reward).where(Reward.active.is_(True)).order_by(Reward.id).limit(limit)
        if after:
            query = query.where(Reward.id > after)
        return list(session.scalars(query))


def create_reward(name: str, cost: int, stock: int, url: str | None = None) -> Reward:
    now = datetime.now(UTC)
    reward = Reward(id=new_id(), name=name, cost=cost, stock=stock, active=True, created_at=now, updated_at=now)
    with transaction(url) as session:
        session.add(reward)
    return reward


def change_reward(reward_id: str, *, name: str | None = None, cost: int | None = None, stock: int | None = None,
                  active: bool | None = None, url: str | None = None) -> Reward:
    with transaction(url) as session:
        reward = session.get(Reward, reward_id, with_for_update=True) if is_id(reward_id) else None
        if reward is None:
            raise NotFound("reward_not_found", "no such reward")
        for field, value in (("name", name), ("cost", cost), ("stock", stock), ("active", active)):
            if value is not None:
                setattr(reward, field, value)
        reward.updated_at = datetime.now(UTC)
    return reward


def redeem(username: str, reward_id: str, idempotency_key: str | None = None,
           url: str | None = None) -> tuple[Order, bool]:
    """Place an order for one unit of the reward; returns it and whether it was placed before (a replay)."""
    try:
        return _redeem(username, reward_id, idempotency_key, url)
    except IntegrityError:
        if idempotency_key is None:
            raise
        # The same key raced another request of the same user: that one won, answer with its order.
        existing = _order_with_key(username, idempotency_key, url)
        if existing is None:
            raise
        return _same_reward(existing, reward_id), True


def _order_with_key(username: str, key: str, url: str | None) -> Order | None:
    with transaction(url) as session:
        return session.scalars(select(Order).where(Order.account_id == user_account(username),
                                                   Order.idempotency_key == key)).first()


def _same_reward(order: Order, reward_id: str) -> Order:
    if order.reward_id != reward_id:
        raise Unprocessable("idempotency_key_reused", "this Idempotency-Key was used for another reward")
    return order


def _redeem(username: str, reward_id: str, key: str | None, url: str | None) -> tuple[Order, bool]:
    if not is_id(reward_id):
        raise NotFound("reward_not_found", "no such reward")
    with traced_step("redeem"), transaction(url) as session:
        account = ensure_user(session, username)
        if key is not None:
            existing = session.scalars(select(Order).where(Order.account_id == account,
                                                           Order.idempotency_key == key)).first()
            if existing is not None:  # returned, not raised: a rollback would expire it
                return _same_reward(existing, reward_id), True
        reward = session.get(Reward, reward_id, with_for_update=True)
        if reward is None or not reward.active:
            raise NotFound("reward_not_found", "no such reward")
        if reward.stock < 1:
            raise Conflict("out_of_stock", f"{reward.name} is out of stock")
        order_id = new_id()
        try:
            transfer(session, f"order:{order_id}", account, system_account(REDEMPTIONS, username), reward.cost,
                     "redemption")
        except Overdraft:
            raise Conflict("insufficient_balance", f"{reward.name} costs {reward.cost} coins") from None
        session.execute(update(Reward).where(Reward.id == reward_id).values(stock=Reward.stock - 1))
        order = Order(id=order_id, account_id=account, reward_id=reward_id, cost=reward.cost, status="placed",
                      transfer_id=f"order:{order_id}", idempotency_key=key, created_at=datetime.now(UTC))
        session.add(order)
        record(session, order_event(order, username, reward.name))
    count(m.ORDERS_PLACED)  # committed
    count(m.COINS_REDEEMED, int(order.cost))
    return order, False


def orders_of(username: str, limit: int, before: str | None, url: str | None = None) -> list[Order]:
    with transaction(url) as session:
        query = select(Order).where(Order.account_id == user_account(username)).order_by(Order.id.desc()).limit(limit)
        if before:
            query = query.where(Order.id < before)
        return list(session.scalars(query))
