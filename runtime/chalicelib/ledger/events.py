"""The domain events the ledger publishes: ``coins.awarded`` for every coin paid to a user, ``order.*`` for orders.

Ids are deterministic (``coins.awarded:<transfer_id>``, ``order.created:<order_id>``): a retried
change records the same event, a replay publishes the same id, and subscribers deduplicate on it.
No ``order.updated`` exists yet because nothing changes an order's status after it is placed; the
contract reserves ``order.updated:<order_id>:<status>`` for when something does. The ``actor`` of an award is the user
whose action earned it: the awardee for a post, a comment or the weekly bonus, the liker for a
like (also in ``data["from"]``, as the contract between the ledger and notifications fixes).

Usage::

    record(session, coins_awarded(transfer, "ada", balance=120, source="bob"))   # chalicelib.ledger.outbox
    record(session, order_event(order, "ada", reward.name))
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple, Protocol

from chalicelib.core.logs import current_correlation_id
from chalicelib.events.catalog import DomainEvent
from chalicelib.ledger.models import Order

COINS_AWARDED = "coins.awarded"
ORDER_CREATED = "order.created"


class Paid(Protocol):
    """What ``coins.awarded`` tells of its transfer: a ``Transfer`` row, or the plain values an award writes by SQL."""

    @property
    def id(self) -> str: ...

    @property
    def amount(self) -> int: ...

    @property
    def reason(self) -> str: ...

    @property
    def created_at(self) -> datetime: ...


class Payment(NamedTuple):
    """A transfer's values as the award functions write them in SQL, without an ORM row (a ``Paid``)."""

    id: str
    amount: int
    reason: str
    created_at: datetime


def coins_awarded(transfer: Paid, username: str, balance: int, source: str | None = None) -> DomainEvent:
    """``username`` was paid ``transfer`` and holds ``balance``; ``source``: whose action earned it, if not theirs."""
    data: dict[str, Any] = {"user": username, "amount": int(transfer.amount), "reason": transfer.reason,
                            "transfer_id": transfer.id, "balance": balance}
    if source is not None:
        data["from"] = source
    return DomainEvent(f"{COINS_AWARDED}:{transfer.id}", COINS_AWARDED, transfer.created_at.isoformat(),
                       source or username, data, current_correlation_id())


def order_event(order: Order, username: str, reward_name: str) -> DomainEvent:
    """``username`` placed ``order`` for the reward named ``reward_name``."""
    data = {"order_id": order.id, "user": username, "reward_id": order.reward_id, "reward_name": reward_name,
            "cost": int(order.cost), "status": order.status}
    return DomainEvent(f"{ORDER_CREATED}:{order.id}", ORDER_CREATED, order.created_at.isoformat(), username, data,
                       current_correlation_id())
