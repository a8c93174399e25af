"""Awards for a whole SQS batch: one transaction, five set-wise statements, whatever the batch holds.

The same rules as ``chalicelib.ledger.earning``, in the same lock order, for up to ten events at once
(PostgreSQL): the users' accounts created if new (one INSERT); every day row the batch touches, the
awardees' and the actors', created or locked in (account, day) order by one upsert that returns what
each earned; the transfer ids already present found by one query, under those locks; the caps applied
here, per user in event order (a transfer id twice in the batch pays once); the accounts locked in
account-id order (pool shards included), which gives the balances the ``coins.awarded`` events carry;
then one statement writes the rest: the transfers (one multi-row INSERT), the balances (one
UPDATE ... FROM unnest(...)), the day rows' earnings, and the events into the outbox. The statements
are fixed texts taking arrays, so nothing is compiled per batch.

A payload that cannot become an award (a poisoned message) fails alone before any of this. If the
batch's transaction fails anyway (a value the database refuses), nothing of it stays and every message
is applied again on its own (``earning.apply_event``): only those that fail then are reported. SQLite
(the local platform) takes that path directly.

Usage::

    outcomes = apply_events(messages, Rules.from_settings())    # per message: coins paid, or its exception
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from contextlib import nullcontext
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from chalicelib.core import metric_names as m
from chalicelib.core.logs import correlation, get_logger
from chalicelib.core.metrics import count
from chalicelib.core.tracing import traced_step
from chalicelib.ledger import outbox
from chalicelib.ledger.accounts import POOL, system_account, user_account
from chalicelib.ledger.db import database_url, transaction
from chalicelib.ledger.earning import apply_event
from chalicelib.ledger.events import coins_awarded
from chalicelib.ledger.models import Transfer
from chalicelib.ledger.rules import Award, Rules, award_for, capped_amount, event_time

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
    failing batch transaction raises instead of falling back to one by one (tests and the benchmark
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
        with traced_step("award"), transaction(url) as session:
            paid = _apply_set_wise(session, parsed, rules.daily_cap, correlations)
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
    # from that request (a line per batch would carry no one id; this costs about a tenth of a batch's time).
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


# Fixed SQL texts taking arrays (unnest): compiled once, whatever the batch holds, unlike multi-row VALUES.
NEW_USERS = text("INSERT INTO accounts (id, kind, balance, created_at) "
                 "SELECT id, 'user', 0, :at FROM unnest(CAST(:ids AS text[])) AS u(id) ORDER BY id COLLATE \"C\" "
                 "ON CONFLICT DO NOTHING")
# Created or locked in one order by one statement: the upsert takes its rows in the order the SELECT gives
# them, and every award path takes day rows before account rows, so no two transactions wait on each other.
LOCK_DAYS = text("INSERT INTO daily_earnings (account_id, day, earned) "
                 "SELECT a, d, 0 FROM unnest(CAST(:accounts AS text[]), CAST(:days AS date[])) AS k(a, d) "
                 "ORDER BY a COLLATE \"C\", d "
                 "ON CONFLICT (account_id, day) DO UPDATE SET earned = daily_earnings.earned "
                 "RETURNING account_id, day, earned")
PRESENT = text("SELECT id FROM transfers WHERE id = ANY(CAST(:ids AS text[]))")
# Account rows in code-point order (COLLATE "C"), as ``accounts.transfer`` sorts them in Python.
LOCK_ACCOUNTS = text("SELECT id, balance FROM accounts WHERE id = ANY(CAST(:ids AS text[])) "
                     "ORDER BY id COLLATE \"C\" FOR NO KEY UPDATE")
WRITE = text("""
WITH paid AS (
    INSERT INTO transfers (id, debit_account, credit_account, amount, reason, created_at)
    SELECT id, debit, credit, amount, reason, :at
    FROM unnest(CAST(:ids AS text[]), CAST(:debits AS text[]), CAST(:credits AS text[]),
                CAST(:amounts AS bigint[]), CAST(:reasons AS text[])) AS t(id, debit, credit, amount, reason)
), moved AS (
    UPDATE accounts SET balance = accounts.balance + m.delta
    FROM unnest(CAST(:accounts AS text[]), CAST(:deltas AS bigint[])) AS m(id, delta) WHERE accounts.id = m.id
), raised AS (
    UPDATE daily_earnings SET earned = r.earned
    FROM unnest(CAST(:day_accounts AS text[]), CAST(:days AS date[]), CAST(:earned AS integer[])) AS r(a, d, earned)
    WHERE daily_earnings.account_id = r.a AND daily_earnings.day = r.d
)
INSERT INTO outbox (id, type, body, created_at, published_at)
SELECT id, type, body, :at, NULL FROM unnest(CAST(:event_ids AS text[]), CAST(:types AS text[]),
                                            CAST(:bodies AS text[])) AS o(id, type, body)
ON CONFLICT DO NOTHING
""")


def _apply_set_wise(session: Session, parsed: list[_Parsed], cap: int,
                    correlations: Sequence[str | None] | None) -> dict[int, int]:
    """The batch's writes in ``session``: five statements; returns coins paid by batch index (paid awards only)."""
    now = datetime.now(UTC)
    awards = [(item.index, item.award) for item in parsed if item.award is not None]
    days = {(user_account(award.username), award.day) for _, award in awards}
    days |= {(user_account(item.actor), item.day) for item in parsed if item.actor is not None}
    if not days:
        return {}
    session.execute(NEW_USERS, {"at": now, "ids": sorted({account for account, _ in days})})
    ordered = sorted(days)
    earned = {(account, day): int(value) for account, day, value in session.execute(
        LOCK_DAYS, {"accounts": [a for a, _ in ordered], "days": [d for _, d in ordered]}).all()}
    if not awards:
        return {}
    # Under the day locks: a transfer for one of these awards can only have been committed before them.
    taken = set(session.scalars(PRESENT, {"ids": sorted({award.transfer_id for _, award in awards})}))
    before = dict(earned)
    plan: list[tuple[int, Award, int]] = []
    for index, award in awards:
        if award.transfer_id in taken:
            continue
        taken.add(award.transfer_id)  # the same event twice in the batch pays once
        key = (user_account(award.username), award.day)
        amount = capped_amount(award.amount, earned[key], cap)
        if amount:
            earned[key] += amount
            plan.append((index, award, amount))
    if not plan:
        return {}
    deltas: dict[str, int] = defaultdict(int)
    for _, award, amount in plan:
        deltas[system_account(POOL, award.username)] -= amount
        deltas[user_account(award.username)] += amount
    balances = {account: int(value) for account, value in session.execute(
        LOCK_ACCOUNTS, {"ids": sorted(deltas)}).all()}
    transfers = [Transfer(id=award.transfer_id, debit_account=system_account(POOL, award.username),
                          credit_account=user_account(award.username), amount=amount, reason=award.reason,
                          created_at=now) for _, award, amount in plan]
    events = []
    for (index, award, _), row in zip(plan, transfers, strict=True):
        balances[row.credit_account] += row.amount
        carried = correlations[index] if correlations else None
        with correlation(carried) if carried else nullcontext():
            events.append(coins_awarded(row, award.username, balances[row.credit_account], award.source))
    raised = [(key, value) for key, value in sorted(earned.items()) if value != before[key]]
    session.execute(WRITE, {
        "at": now, "ids": [t.id for t in transfers], "debits": [t.debit_account for t in transfers],
        "credits": [t.credit_account for t in transfers], "amounts": [t.amount for t in transfers],
        "reasons": [t.reason for t in transfers], "accounts": sorted(deltas),
        "deltas": [deltas[account] for account in sorted(deltas)],
        "day_accounts": [a for (a, _), _ in raised], "days": [d for (_, d), _ in raised],
        "earned": [value for _, value in raised], "event_ids": [e.id for e in events],
        "types": [e.type for e in events], "bodies": [e.to_json() for e in events]})
    outbox.remember([event.id for event in events])
    return {index: amount for index, _, amount in plan}
