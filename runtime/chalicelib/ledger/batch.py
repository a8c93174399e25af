"""Awards for a whole SQS batch: one statement, committed as it ends, whatever the batch holds.

The same rules as ``chalicelib.ledger.earning``, in the same lock order, for up to ten events at once
(PostgreSQL): the ``ledger_pay_awards`` function (migration 0004) creates the users' accounts if new,
creates or locks every day row the batch touches (the awardees' and the actors') in (account, day)
order, locks the pool shard that pays the batch (one: the first awardee's) and the awardees' accounts in
id order, then pays each award in batch order with ``ledger_pay_award``, the single award's function,
and debits the shard once: so the caps apply per user in event order, a transfer id twice in the batch
pays once, and each ``coins.awarded`` event carries the balance right after its own transfer. The
statement is a fixed text taking arrays (the events as one JSON text), so nothing is compiled per
batch; it runs in autocommit (``db.scalar``): no BEGIN and COMMIT round trips.

A payload that cannot become an award (a poisoned message) fails alone before any of this. If the
batch's statement fails anyway (a value the database refuses), nothing of it stays and every message
is applied again on its own (``earning.apply_event``): only those that fail then are reported. SQLite
(the local platform) takes that path directly.

Usage::

    outcomes = apply_events(messages, Rules.from_settings())    # per message: coins paid, or its exception
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import text

from chalicelib.core import metric_names as m
from chalicelib.core.logs import correlation, get_logger
from chalicelib.core.metrics import count
from chalicelib.core.tracing import traced_step
from chalicelib.ledger import outbox
from chalicelib.ledger.accounts import POOL, system_account, user_account
from chalicelib.ledger.db import database_url, scalar
from chalicelib.ledger.earning import apply_event
from chalicelib.ledger.events import Payment, coins_awarded
from chalicelib.ledger.rules import Award, Rules, award_for, event_time

log = get_logger(__name__)

Outcome = int | Exception  # coins paid for the message, or why it failed


class _Parsed:
    """One message that became (maybe) an award: its place in the batch, the award, the actor, the day."""

    __slots__ = ("actor", "award", "day", "index")

    def __init__(self, index: int, award: Award | None, actor: str | None, day: date) -> None:
        self.index, self.award, self.actor, self.day = index, award, actor, day


def _parse(index: int, event: dict[str, Any], rules: Rules) -> _Parsed:
    award = award_for(event, rules)
    day = event_time(event).date()
    actor = event.get("actor")
    if award is not None and not isinstance(award.username, str):
        raise TypeError(f"the awardee is not a name: {award.username!r}")
    return _Parsed(index, award, actor if isinstance(actor, str) and actor else None, day)


def apply_events(events: Sequence[dict[str, Any]], rules: Rules, url: str | None = None,
                 correlations: Sequence[str | None] | None = None, *, strict: bool = False) -> list[Outcome]:
    """Apply a batch of domain events; per event, the coins paid (0: nothing or a duplicate) or its failure.

    ``correlations``: per event, the correlation id its ``coins.awarded`` event carries. ``strict``: a
    failing batch statement raises instead of falling back to one by one (tests and the benchmark
    count such failures: a deadlock must never hide behind the fallback).
    """
    outcomes: list[Outcome] = [0] * len(events)
    parsed: list[_Parsed] = []
    for index, event in enumerate(events):
        try:
            parsed.append(_parse(index, event, rules))
        except Exception as error:  # a poisoned payload: this message only
            outcomes[index] = error
    if not (url or database_url()).startswith("postgresql"):
        return _one_by_one(events, parsed, rules, url, outcomes, correlations)
    try:
        with traced_step("award"):
            paid = _pay_on_server(parsed, rules.daily_cap, correlations, url)
    except Exception:
        if strict:
            raise
        log.warning("the batch failed as a whole; applying its messages one by one", exc_info=True)
        return _one_by_one(events, parsed, rules, url, outcomes, correlations)
    awarded: list[tuple[str | None, dict[str, Any]]] = []
    total = 0
    for item in parsed:
        if item.award is not None:
            amount = outcomes[item.index] = paid.get(item.index, 0)
            total += amount
            if amount:
                awarded.append((correlations[item.index] if correlations else None,
                                {"user": item.award.username, "amount": amount, "reason": item.award.reason,
                                 "transfer_id": item.award.transfer_id}))
    if total:  # committed: counted once per batch
        count(m.COINS_AWARDED, total)
    # Logged one line per award, under the correlation id of the request that earned it, so that an award is found
    # from that request (a line per batch would carry no one id); they are about a third of the batch's Python time.
    for carried, line in awarded:
        with correlation(carried) if carried else nullcontext():
            log.info("coins awarded", extra=line)
    return outcomes


def _one_by_one(events: Sequence[dict[str, Any]], parsed: list[_Parsed], rules: Rules, url: str | None,
                outcomes: list[Outcome], correlations: Sequence[str | None] | None) -> list[Outcome]:
    """Each event in its own transaction, under its own correlation id (its log lines and outbox event carry it)."""
    for item in parsed:
        carried = correlations[item.index] if correlations else None
        try:
            with correlation(carried) if carried else nullcontext():
                outcomes[item.index] = apply_event(events[item.index], rules, url)
        except Exception as error:
            outcomes[item.index] = error
    return outcomes


# One statement taking arrays, the same text whatever the batch holds (nothing compiled per batch).
PAY_AWARDS = text("SELECT ledger_pay_awards(CAST(:transfers AS text[]), CAST(:users AS text[]), "
                  "CAST(:pool AS text), CAST(:amounts AS bigint[]), CAST(:reasons AS text[]), "
                  "CAST(:days AS date[]), CAST(:active AS text[]), CAST(:active_days AS date[]), :cap, :at, "
                  "CAST(:events AS jsonb))")


def _pay_on_server(parsed: list[_Parsed], cap: int, correlations: Sequence[str | None] | None,
                   url: str | None) -> dict[int, int]:
    """The batch in one statement (``ledger_pay_awards``); returns coins paid by batch index (paid awards only)."""
    now = datetime.now(UTC)
    awards = [(item.index, item.award) for item in parsed if item.award is not None]
    active = sorted({(user_account(item.actor), item.day) for item in parsed if item.actor is not None})
    if not awards and not active:
        return {}
    # One pool shard pays the whole batch (the first awardee's): one shard locked, not one per awardee, so that
    # concurrent batches seldom wait on one another.
    pool = system_account(POOL, awards[0][1].username) if awards else None
    events = []
    for index, award in awards:  # each under its message's correlation id; amount and balance set by the server
        carried = correlations[index] if correlations else None
        with correlation(carried) if carried else nullcontext():
            events.append(coins_awarded(Payment(award.transfer_id, award.amount, award.reason, now), award.username,
                                        0, award.source))
    paid = scalar(PAY_AWARDS, {
        "transfers": [award.transfer_id for _, award in awards],
        "users": [user_account(award.username) for _, award in awards],
        "pool": pool,
        "amounts": [award.amount for _, award in awards], "reasons": [award.reason for _, award in awards],
        "days": [award.day for _, award in awards], "active": [account for account, _ in active],
        "active_days": [day for _, day in active], "cap": cap, "at": now,
        # One JSON text, not an array of them: the driver would escape every quote of every event.
        "events": f"[{','.join(event.to_json() for event in events)}]"}, url)
    outbox.remember([event.id for event, amount in zip(events, paid, strict=True) if amount])
    return {index: int(amount) for (index, _), amount in zip(awards, paid, strict=True) if amount}
