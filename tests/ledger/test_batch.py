"""Coin awards a whole SQS batch at a time on PostgreSQL: the same coins as one by one, whatever the chaos."""

from __future__ import annotations

import json
import random
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from typing import Any

from sqlalchemy import func, select

from chalicelib.core.messages import each_batch
from chalicelib.ledger.accounts import ensure_user, user_account
from chalicelib.ledger.batch import apply_events
from chalicelib.ledger.db import transaction
from chalicelib.ledger.models import DailyEarning, OutboxEvent, Transfer
from tests.ledger import events as ev
from tests.ledger import workers
from tests.ledger.test_concurrency import (
    RULES,
    SPAWN,
    WORKERS,
    _balances,
    _books_balance,
    _kill_while_blocked,
    _world,
)


def _batches(events: list[dict[str, Any]], size: int = 10) -> list[list[dict[str, Any]]]:
    return [events[start:start + size] for start in range(0, len(events), size)]


def _in_parallel(url: str, deliveries: list[list[list[dict[str, Any]]]]) -> int:
    """Each worker applies its list of batches (strictly: a failed batch transaction fails the test)."""
    with ProcessPoolExecutor(max_workers=WORKERS, mp_context=SPAWN) as pool:
        return sum(pool.map(workers.apply_batches, [url] * len(deliveries), deliveries))


def _transfers(url: str, prefix: str) -> int:
    with transaction(url) as session:
        return int(session.scalar(select(func.count()).select_from(Transfer).where(Transfer.id.like(f"{prefix}%")))
                   or 0)


class _Record:
    """An SQS record as Chalice hands it to the handler."""

    def __init__(self, message_id: str, body: str) -> None:
        self.body, self._id = body, message_id

    def to_dict(self) -> dict[str, Any]:
        return {"messageId": self._id, "body": self.body}


def test_a_batch_pays_what_one_by_one_pays_and_an_event_twice_in_it_pays_once(ledger_url: str) -> None:
    day = date(2026, 5, 1)
    batch = [ev.post("b1-p1", "bea", day), ev.like("b1-p1", "bea", "bo", day),
             ev.comment("b1-c1", "b1-p1", "bea", "bo", day),
             ev.like("b1-p1", "bea", "bo", day, nth=1),  # the same award again, inside the batch
             ev.post("b1-p1", "bea", day),  # the very same event delivered twice in the batch
             ev.like("b1-p1", "bea", "bea", day),  # a self-like: nothing, but bea was active
             ev.post("b1-p2", "bea", day), {"id": "x", "type": "user.followed", "occurred_at": f"{day}T10:00:00+00:00",
                                            "actor": "cy", "data": {}}]

    outcomes = apply_events(batch, RULES, ledger_url)

    assert outcomes == [10, 2, 5, 0, 0, 0, 10, 0]
    assert _balances(ledger_url, ["bea", "bo", "cy"]) == {"bea": 22, "bo": 5}
    with transaction(ledger_url) as session:
        active = set(session.scalars(select(DailyEarning.account_id).where(DailyEarning.day == day)))
        bodies = [json.loads(body) for body in session.scalars(
            select(OutboxEvent.body).where(OutboxEvent.id.like("coins.awarded:%b1-%")))]
    assert active == {user_account(u) for u in ("bea", "bo", "cy")}  # the likers and the follower too
    # Each event carries the balance right after its own transfer, in batch order.
    assert sorted((b["data"]["transfer_id"], b["data"]["amount"], b["data"]["balance"]) for b in bodies) == [
        ("comment:b1-c1", 5, 5), ("like:b1-p1:bo", 2, 12), ("post:b1-p1", 10, 10), ("post:b1-p2", 10, 22)]
    assert apply_events(batch, RULES, ledger_url) == [0] * 8  # redelivered: nothing more
    _books_balance(ledger_url)


def test_a_poisoned_message_fails_alone_and_the_rest_of_its_batch_is_paid(ledger_url: str) -> None:
    day = date(2026, 5, 2)
    good = [ev.post(f"b2-p{n}", f"pois{n}", day) for n in range(6)]
    unparsable = {"id": "e-bad", "type": "post.created", "occurred_at": f"{day}T10:00:00+00:00", "data": {}}
    refused = ev.post("b2-nul", "nul\x00byte", day)  # valid JSON the database refuses (no NUL in text)
    records = [_Record(f"m{n}", json.dumps(event)) for n, event in enumerate(good[:3])]
    records += [_Record("m-bad", json.dumps(unparsable)), _Record("m-nul", json.dumps(refused)),
                _Record("m-list", "[1, 2]")]
    records += [_Record(f"m{n + 3}", json.dumps(event)) for n, event in enumerate(good[3:])]

    def handle(messages: list[dict[str, Any]], correlations: list[str | None]) -> list[Exception | None]:
        return [o if isinstance(o, Exception) else None for o in apply_events(messages, RULES, ledger_url,
                                                                              correlations)]

    answer = each_batch(records, handle)

    assert sorted(f["itemIdentifier"] for f in answer["batchItemFailures"]) == ["m-bad", "m-list", "m-nul"]
    assert _balances(ledger_url, [f"pois{n}" for n in range(6)]) == {f"pois{n}": 10 for n in range(6)}
    _books_balance(ledger_url)


def test_eight_workers_deliver_every_batch_twice_concurrently_and_each_award_is_paid_once(ledger_url: str) -> None:
    rng = random.Random(20261130)
    users = [f"bu{n:03d}" for n in range(60)]
    distinct = _world(rng, users)
    for event in distinct:  # a world of its own: other tests' transfer ids differ
        event["data"] = {k: (f"w-{v}" if k in ("post_id", "comment_id") else v) for k, v in event["data"].items()}
        event["id"] = f"w-{event['id']}"
    with_duplicates = distinct + [rng.choice(distinct) for _ in range(400)]  # some twice inside one batch
    rng.shuffle(with_duplicates)
    batches = _batches(with_duplicates)
    deliveries = batches + [list(batch) for batch in batches]  # every batch delivered twice ...
    rng.shuffle(deliveries)  # ... to different workers, at about the same time
    per_worker = [deliveries[w::WORKERS] for w in range(WORKERS)]

    paid = _in_parallel(ledger_url, per_worker)

    expected = ev.expected_balances(distinct, RULES)
    assert any(total >= RULES.daily_cap for total in expected.values()), "the cap should bite for someone"
    assert _balances(ledger_url, users) == expected
    assert paid == sum(expected.values())  # exactly once: no award paid by both deliveries
    _books_balance(ledger_url)


def test_batches_mixing_users_at_the_cap_end_exactly_at_the_cap(ledger_url: str) -> None:
    day, stars = date(2026, 5, 4), ["capa", "capb", "capc"]
    flood = []
    for star in stars:
        flood += [ev.comment(f"b4-{star}-c{n}", f"b4p{n}", "someone", star, day) for n in range(80)]  # 400
        flood += [ev.like(f"b4-{star}-p{n}", star, f"fan{n}", day) for n in range(80)]  # 160
        flood += [ev.post(f"b4-{star}-p{n}", star, day) for n in range(30)]  # 300
    flood += [ev.post(f"b4-calm{n}", f"calm{n}", day) for n in range(40)]  # far from the cap
    random.Random(11).shuffle(flood)
    batches = _batches(flood)

    _in_parallel(ledger_url, [batches[w::WORKERS] for w in range(WORKERS)])

    assert _balances(ledger_url, stars) == {star: RULES.daily_cap for star in stars}
    assert _balances(ledger_url, [f"calm{n}" for n in range(40)]) == {f"calm{n}": 10 for n in range(40)}
    with transaction(ledger_url) as session:
        earned = set(session.scalars(select(DailyEarning.earned).where(
            DailyEarning.account_id.in_([user_account(s) for s in stars]), DailyEarning.day == day)))
    assert earned == {RULES.daily_cap}
    _books_balance(ledger_url)


def test_a_worker_killed_mid_batch_leaves_that_batch_undone_and_redelivery_pays_it_once(ledger_url: str) -> None:
    day = date(2026, 5, 5)
    events = [ev.comment(f"b5-c{n}", f"b5p{n}", "op", f"bk{n % 5}", day) for n in range(30)]
    events[14] = ev.comment("b5-c14", "b5p14", "op", "bklate", day)  # bklate is paid in the second batch only
    batches = _batches(events)
    with transaction(ledger_url) as session:
        ensure_user(session, "bklate")  # so that the test can hold its row
    # Killed while its second batch waits for bklate's row, its day rows written; the connection dies with it.
    _kill_while_blocked(workers.apply_batches, ledger_url, batches, user_account("bklate"), server_dies=True)
    assert _transfers(ledger_url, "comment:b5-") == 10  # the first batch only: the second left nothing
    assert sum(_balances(ledger_url, [f"bk{n}" for n in range(5)] + ["bklate"]).values()) == 10 * RULES.comment
    with transaction(ledger_url) as session:
        assert session.get(DailyEarning, (user_account("bklate"), day)) is None

    _in_parallel(ledger_url, [batches, batches[::-1]])  # SQS redelivers every batch, twice over

    assert _transfers(ledger_url, "comment:b5-") == 30
    assert _balances(ledger_url, [f"bk{n}" for n in range(5)] + ["bklate"]) == ev.expected_balances(events, RULES)
    _books_balance(ledger_url)
