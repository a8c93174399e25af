"""Awards for a whole SQS batch: one transaction, a few set-wise statements, whatever the batch holds.

The same rules as ``chalicelib.ledger.earning``, in the same lock order, for up to ten events at once
(PostgreSQL): the users' accounts created if new (one INSERT); every day row the batch touches, the
awardees' and the actors', created or locked in (account, day) order by one upsert that returns what
each earned; the transfer ids already present found by one query, under those locks; the caps applied
here, per user in event order (a transfer id twice in the batch pays once); then one multi-row INSERT
of transfers, the accounts locked in account-id order and moved by one UPDATE ... FROM (VALUES ...),
the day rows raised by another, and the ``coins.awarded`` events written to the outbox by one INSERT.

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

from sqlalchemy import BigInteger, Date, Integer, String, column, insert, select, update, values
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from chalicelib.core.logs import correlation, get_logger
from chalicelib.core.tracing import traced_step
from chalicelib.ledger import outbox
from chalicelib.ledger.accounts import POOL, system_account, user_account
from chalicelib.ledger.db import database_url, transaction
from chalicelib.ledger.earning import apply_event, counted
from chalicelib.ledger.events import coins_awarded
from chalicelib.ledger.models import USER, Account, DailyEarning, Transfer
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
        return _one_by_one(events, parsed, rules, url, outcomes)
    try:
        with traced_step("award"), transaction(url) as session:
            paid = _apply_set_wise(session, parsed, rules.daily_cap, correlations)
    except Exception:
        if strict:
            raise
        log.warning("the batch failed as a whole; applying its messages one by one", exc_info=True)
        return _one_by_one(events, parsed, rules, url, outcomes)
    for item in parsed:
        if item.award is not None:
            amount = outcomes[item.index] = paid.get(item.index, 0)
            counted(item.award, amount)
    return outcomes


def _one_by_one(events: Sequence[dict[str, Any]], parsed: list[_Parsed], rules: Rules, url: str | None,
                outcomes: list[Outcome]) -> list[Outcome]:
    for item in parsed:
        try:
            outcomes[item.index] = apply_event(events[item.index], rules, url)
        except Exception as error:
            outcomes[item.index] = error
    return outcomes


def _apply_set_wise(session: Session, parsed: list[_Parsed], cap: int,
                    correlations: Sequence[str | None] | None) -> dict[int, int]:
    """The batch's writes in ``session``; returns coins paid by batch index (paid awards only)."""
    now = datetime.now(UTC)
    awards = [(item.index, item.award) for item in parsed if item.award is not None]
    days = {(user_account(award.username), award.day) for _, award in awards}
    days |= {(user_account(item.actor), item.day) for item in parsed if item.actor is not None}
    if not days:
        return {}
    users = sorted({account for account, _ in days})
    session.execute(pg_insert(Account).values([{"id": account, "kind": USER, "balance": 0, "created_at": now}
                                               for account in users]).on_conflict_do_nothing())
    # Created or locked in one order by one statement: a multi-row upsert takes its rows in VALUES order,
    # and every award path takes day rows before account rows, so no two transactions wait on each other.
    upsert = pg_insert(DailyEarning).values([{"account_id": account, "day": day, "earned": 0}
                                             for account, day in sorted(days)])
    upsert = upsert.on_conflict_do_update(index_elements=[DailyEarning.account_id, DailyEarning.day],
                                          set_={"earned": DailyEarning.earned})
    earned = {(account, day): int(value) for account, day, value in session.execute(
        upsert.returning(DailyEarning.account_id, DailyEarning.day, DailyEarning.earned)).all()}
    if not awards:
        return {}
    # Under the day locks: a transfer for one of these awards can only have been committed before them.
    taken = set(session.scalars(select(Transfer.id).where(Transfer.id.in_({a.transfer_id for _, a in awards}))))
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
    # Account rows in code-point order (COLLATE "C"), as ``accounts.transfer`` sorts them in Python.
    balances = {account: int(value) for account, value in session.execute(
        select(Account.id, Account.balance).where(Account.id.in_(deltas)).order_by(Account.id.collate("C"))
        .with_for_update(key_share=True)).all()}
    transfers = [Transfer(id=award.transfer_id, debit_account=system_account(POOL, award.username),
                          credit_account=user_account(award.username), amount=amount, reason=award.reason,
                          created_at=now) for _, award, amount in plan]
    session.execute(insert(Transfer).values([{"id": t.id, "debit_account": t.debit_account,
                                              "credit_account": t.credit_account, "amount": t.amount,
                                              "reason": t.reason, "created_at": t.created_at} for t in transfers]))
    moved = values(column("id", String), column("delta", BigInteger), name="moved").data(sorted(deltas.items()))
    session.execute(update(Account).where(Account.id == moved.c.id)
                    .values(balance=Account.balance + moved.c.delta).execution_options(synchronize_session=False))
    raised = values(column("account_id", String), column("day", Date), column("earned", Integer), name="raised").data(
        [(account, day, value) for (account, day), value in sorted(earned.items()) if value != before[account, day]])
    session.execute(update(DailyEarning).where(DailyEarning.account_id == raised.c.account_id,
                                               DailyEarning.day == raised.c.day)
                    .values(earned=raised.c.earned).execution_options(synchronize_session=False))
    events = []
    for (index, award, _), row in zip(plan, transfers, strict=True):
        balances[row.credit_account] += row.amount
        carried = correlations[index] if correlations else None
        with correlation(carried) if carried else nullcontext():
            events.append(coins_awarded(row, award.username, balances[row.credit_account], award.source))
    outbox.record_all(session, events)
    return {index: amount for index, _, amount in plan}
