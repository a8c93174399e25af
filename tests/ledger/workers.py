"""Code that runs in the worker processes of the concurrency tests (``spawn`` children inherit sys.path)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from chalicelib.core.errors import ApiError
from chalicelib.ledger import batch, earning, outbox, rewards
from chalicelib.ledger.rules import Rules

RULES = Rules()


def apply_events(url: str, events: list[dict[str, Any]]) -> int:
    """Apply every event as the coin-award handler would; returns coins paid."""
    return sum(earning.apply_event(event, RULES, url) for event in events)


def apply_batches(url: str, batches: list[list[dict[str, Any]]]) -> int:
    """Apply each batch as the coin-award handler does, strictly (a failed batch transaction raises); coins paid."""
    total = 0
    for events in batches:
        for outcome in batch.apply_events(events, RULES, url, strict=True):
            if isinstance(outcome, Exception):
                raise outcome
            total += outcome
    return total


def apply_batches_slowly(url: str, batches: list[list[dict[str, Any]]], marker: str) -> None:
    """Apply batches, stalling inside the second batch's transaction (all its writes done) until killed."""
    real_remember = outbox.remember
    count = {"n": 0}

    def stalling(*args: Any, **kwargs: Any) -> None:
        real_remember(*args, **kwargs)
        count["n"] += 1
        if count["n"] == 2:
            Path(marker).write_text(str(os.getpid()))
            time.sleep(600)

    outbox.remember = stalling
    apply_batches(url, batches)


def redeem(url: str, username: str, reward_id: str) -> str:
    """One redemption; returns the order id or the error code."""
    try:
        order, _ = rewards.redeem(username, reward_id, None, url)
        return order.id
    except ApiError as error:
        return error.code


def apply_slowly(url: str, events: list[dict[str, Any]], marker: str) -> None:
    """Apply events, stalling inside the transaction of the tenth award until killed."""
    real_award = earning.award_on_server
    count = {"n": 0}

    def stalling(*args: Any, **kwargs: Any) -> Any:
        paid = real_award(*args, **kwargs)
        count["n"] += 1
        if count["n"] == 10:  # inside the open transaction, after the balances moved
            Path(marker).write_text(str(os.getpid()))
            time.sleep(600)
        return paid

    earning.award_on_server = stalling
    apply_events(url, events)


def apply_then_die_publishing(url: str, events: list[dict[str, Any]], marker: str) -> None:
    """Apply events as the coin-award handler does, and die when it starts publishing: after every commit."""
    from chalicelib.ledger.outbox import publishing

    def die(published: Any) -> None:
        Path(marker).write_text(str(len(events)))
        os._exit(17)  # no cleanup, no finally: as a Lambda killed at its timeout

    with publishing(url, die):
        apply_events(url, events)
