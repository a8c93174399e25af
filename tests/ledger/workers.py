"""Code that runs in the worker processes of the concurrency tests (``spawn`` children inherit sys.path)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from chalicelib.core.errors import ApiError
from chalicelib.ledger import batch, earning, rewards
from chalicelib.ledger.rules import Rules

RULES = Rules()


def apply_events(url: str, events: list[dict[str, Any]]) -> int:
    """Apply every event as the coin-award handler would; returns coins paid."""
    return sum(earning.apply_event(event, RULES, url) for event in events)


def apply_batches(url: str, batches: list[list[dict[str, Any]]]) -> int:
    """Apply each batch as the coin-award handler does, strictly (a failed batch statement raises); coins paid."""
    total = 0
    for events in batches:
        for outcome in batch.apply_events(events, RULES, url, strict=True):
            if isinstance(outcome, Exception):
                raise outcome
            total += outcome
    return total


def redeem(url: str, username: str, reward_id: str) -> str:
    """One redemption; returns the order id or the error code."""
    try:
        order, _ = rewards.redeem(username, reward_id, None, url)
        return order.id
    except ApiError as error:
        return error.code


def apply_then_die_publishing(url: str, events: list[dict[str, Any]], marker: str) -> None:
    """Apply events as the coin-award handler does, and die when it starts publishing: after every commit."""
    from chalicelib.ledger.outbox import publishing

    def die(published: Any) -> None:
        Path(marker).write_text(str(len(events)))
        os._exit(17)  # no cleanup, no finally: as a Lambda killed at its timeout

    with publishing(url, die):
        apply_events(url, events)
