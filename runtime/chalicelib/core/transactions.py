"""DynamoDB transactions: counters change in the same transaction as the rows they count.

``transact`` retries what DynamoDB asks to be retried (conflicts with another
transaction on the same item, throttling) with jittered backoff, and turns a
cancelled transaction into ``Cancelled`` with the reason of each item, so the
domain can tell "already liked" from "no such post".

Usage::

    try:
        transact([Put(like, condition=...), Update(post, [PostModel.likes_count.add(1)], condition=...)])
    except Cancelled as cancelled:
        if cancelled.failed(0): ...     # the like's condition failed: it exists
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.core.declarations import aws_region
from chalicelib.core.errors import Unavailable

_RETRYABLE = {"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded", "RequestLimitExceeded"}
_connections: dict[str | None, Connection] = {}


@dataclass(frozen=True)
class Put:
    item: Model
    condition: Condition | None = None


@dataclass(frozen=True)
class Update:
    item: Model
    actions: Sequence[Action]
    condition: Condition | None = None


@dataclass(frozen=True)
class Delete:
    item: Model
    condition: Condition | None = None


@dataclass(frozen=True)
class Check:
    """A condition on an item (by key) that the transaction does not change."""

    model: type[Model]
    hash_key: str
    range_key: str | None
    condition: Condition


Operation = Put | Update | Delete | Check


class Cancelled(Exception):
    """The transaction was cancelled because of one or more item conditions."""

    def __init__(self, reasons: list[str | None]) -> None:
        super().__init__(f"transaction cancelled: {reasons}")
        self.reasons = reasons

    def failed(self, index: int) -> bool:
        return index < len(self.reasons) and self.reasons[index] == "ConditionalCheckFailed"


def _reasons(error: TransactWriteError) -> list[str | None]:
    return [reason.code if reason is not None else None for reason in (error.cancellation_reasons or [])]


def connection() -> Connection:
    """One pynamodb connection per endpoint (the local platform's moto, or AWS)."""
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    if endpoint not in _connections:
        _connections[endpoint] = Connection(region=aws_region())
    return _connections[endpoint]


def _add(transaction: TransactWrite, operation: Operation) -> None:
    if isinstance(operation, Put):
        transaction.save(operation.item, condition=operation.condition)
    elif isinstance(operation, Update):
        transaction.update(operation.item, actions=list(operation.actions), condition=operation.condition)
    elif isinstance(operation, Check):
        transaction.condition_check(operation.model, operation.hash_key, range_key=operation.range_key,
                                    condition=operation.condition)
    else:
        transaction.delete(operation.item, condition=operation.condition)


def transact(operations: Sequence[Operation], *, attempts: int = 8) -> None:
    """Apply every operation or none; ``Cancelled`` says which conditions failed."""
    for attempt in range(attempts):
        try:
            with TransactWrite(connection=connection()) as transaction:
                for operation in operations:
                    _add(transaction, operation)
            return
        except TransactWriteError as error:
            reasons = _reasons(error)
            retryable = (error.cause_response_code in {"TransactionInProgressException", "ThrottlingException"}
                         or any(r in _RETRYABLE for r in reasons))
            if "ConditionalCheckFailed" in reasons and not any(r in _RETRYABLE for r in reasons):
                raise Cancelled(reasons) from error
            if not retryable:
                raise
            time.sleep(min(1.0, 0.01 * 2 ** attempt) * random.random())  # full jitter
    raise Unavailable("busy", "too many concurrent changes to the same item; retry")
