"""The ledger under concurrent worker processes on PostgreSQL: no coin lost, none duplicated."""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from typing import Any

import psycopg
from sqlalchemy import func, select

from chalicelib.ledger import earning
from chalicelib.ledger.accounts import ensure_user, user_account
from chalicelib.ledger.db import transaction
from chalicelib.ledger.models import Account, DailyEarning, Order, Reward
from chalicelib.ledger.reconcile import reconcile
from chalicelib.ledger.rewards import create_reward
from chalicelib.ledger.rules import Rules
from tests.ledger import events as ev
from tests.ledger import workers
from tests.ledger.conftest import libpq_url

RULES = Rules()
WORKERS = 8
SPAWN = multiprocessing.get_context("spawn")
DAYS = (date(2026, 3, 2), date(2026, 3, 3))


def _in_parallel(url: str, batches: list[list[dict[str, Any]]]) -> int:
    with ProcessPoolExecutor(max_workers=WORKERS, mp_context=SPAWN) as pool:
        return sum(pool.map(workers.apply_events, [url] * len(batches), batches))


def _balances(url: str, usernames: list[str]) -> dict[str, int]:
    with transaction(url) as session:
        rows = session.execute(select(Account.id, Account.balance).where(
            Account.id.in_([user_account(u) for u in usernames]))).all()
    return {account.removeprefix("user:"): int(balance) for account, balance in rows if balance}


def _books_balance(url: str) -> None:
    report = reconcile(url)
    assert report.total == 0, report
    assert report.mismatches == [], report.mismatches[:5]


def _world(rng: random.Random, users: list[str]) -> list[dict[str, Any]]:
    """About 2,800 distinct events: posts, likes (some self-likes, some liked again), comments, over two days."""
    found: list[dict[str, Any]] = []
    for n in range(700):
        author = users[0] if rng.random() < 0.3 else rng.choice(users)  # a busy user the cap will bite
        day = rng.choice(DAYS)
        post_id = f"p{n}"
        found.append(ev.post(post_id, author, day))
        for liker in rng.sample(users, 2):
            found.append(ev.like(post_id, author, liker, day))
            if rng.random() < 0.1:
                found.append(ev.like(post_id, author, liker, day, nth=1))  # unliked and liked again
        found.append(ev.comment(f"c{n}", post_id, author, rng.choice(users), day))
    return found[:2800]


def test_eight_workers_apply_4000_events_with_duplicates_in_random_order(ledger_url: str) -> None:
    rng = random.Random(20261121)
    users = [f"user{n:03d}" for n in range(60)]
    distinct = _world(rng, users)
    deliveries = distinct + [rng.choice(distinct) for _ in range(4000 - len(distinct))]  # 30% duplicates
    rng.shuffle(deliveries)
    assert len(deliveries) == 4000 and len({e["id"] for e in deliveries}) == len(distinct)

    paid = _in_parallel(ledger_url, [deliveries[w::WORKERS] for w in range(WORKERS)])

    expected = ev.expected_balances(distinct, RULES)
    assert any(total >= RULES.daily_cap for total in expected.values()), "the cap should bite for someone"
    assert _balances(ledger_url, users) == expected
    assert paid == sum(expected.values())
    _books_balance(ledger_url)


def test_a_user_flooded_past_the_cap_ends_at_exactly_the_cap(ledger_url: str) -> None:
    day, star = date(2026, 3, 4), "flooded"
    flood = [ev.comment(f"flood-c{n}", f"fp{n}", "someone", star, day) for n in range(150)]  # 750 coins
    flood += [ev.like(f"fp{n}", star, f"fan{n}", day) for n in range(150)]  # 300 more, received
    flood += [ev.post(f"fp{n}", star, day) for n in range(60)]  # 600 more
    random.Random(7).shuffle(flood)

    _in_parallel(ledger_url, [flood[w::WORKERS] for w in range(WORKERS)])

    assert _balances(ledger_url, [star]) == {star: RULES.daily_cap}
    with transaction(ledger_url) as session:
        earned = session.scalar(select(DailyEarning.earned).where(DailyEarning.account_id == user_account(star),
                                                                  DailyEarning.day == day))
    assert earned == RULES.daily_cap
    _books_balance(ledger_url)


def _fund(url: str, usernames: list[str], posts_each: int, tag: str) -> None:
    day = date(2026, 3, 5)
    workers.apply_events(url, [ev.post(f"{tag}-{u}-{n}", u, day) for u in usernames for n in range(posts_each)])


def test_fifty_concurrent_redemptions_of_five_in_stock_make_five_orders(ledger_url: str) -> None:
    buyers = [f"buyer{n:02d}" for n in range(50)]
    _fund(ledger_url, buyers, posts_each=10, tag="fund")  # 100 coins each
    reward = create_reward("Limited hoodie", cost=60, stock=5, url=ledger_url)

    with ProcessPoolExecutor(max_workers=WORKERS, mp_context=SPAWN) as pool:
        outcomes = list(pool.map(workers.redeem, [ledger_url] * 50, buyers, [reward.id] * 50))

    assert Counter("order" if len(o) == 26 else o for o in outcomes) == {"order": 5, "out_of_stock": 45}
    with transaction(ledger_url) as session:
        assert session.get(Reward, reward.id).stock == 0  # type: ignore[union-attr]
        assert session.scalar(select(func.count()).select_from(Order).where(Order.reward_id == reward.id)) == 5
    winners = {buyer for buyer, outcome in zip(buyers, outcomes, strict=True) if len(outcome) == 26}
    assert _balances(ledger_url, buyers) == {b: 40 if b in winners else 100 for b in buyers}
    _books_balance(ledger_url)


def test_concurrent_redemptions_never_overdraw_a_wallet(ledger_url: str) -> None:
    _fund(ledger_url, ["spender"], posts_each=20, tag="spend")  # 200 coins
    reward = create_reward("Sticker", cost=60, stock=100, url=ledger_url)

    with ProcessPoolExecutor(max_workers=WORKERS, mp_context=SPAWN) as pool:
        outcomes = list(pool.map(workers.redeem, [ledger_url] * 12, ["spender"] * 12, [reward.id] * 12))

    assert Counter("order" if len(o) == 26 else o for o in outcomes) == {"order": 3, "insufficient_balance": 9}
    assert _balances(ledger_url, ["spender"]) == {"spender": 20}
    _books_balance(ledger_url)


def _wait_for(found: Any, what: str, timeout: float = 60.0) -> Any:
    """``found()`` once it is truthy; fails the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not (value := found()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)
    return value


def _kill_while_blocked(work: Any, ledger_url: str, payload: Any, account: str, *, server_dies: bool) -> None:
    """Run ``work(ledger_url, payload)`` in a worker process while this test holds ``account``'s row lock, and
    SIGKILL the worker once its award statement waits on that lock on the server, half its writes done.

    An award is one statement that commits as it ends: the worker holds no transaction of its own to die in.
    ``server_dies``: its server session is ended too (the connection is lost with the worker): the statement
    rolls back. Otherwise the lock is released and the statement goes on, commits and answers no one.
    """
    # The watcher looks from outside the holder's transaction, which would see one snapshot of the activity.
    with psycopg.connect(libpq_url(ledger_url)) as holder, \
            psycopg.connect(libpq_url(ledger_url), autocommit=True) as watcher:
        def gone(pid: int) -> bool:
            return watcher.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone() is None

        holder.execute("SELECT 1 FROM accounts WHERE id = %s FOR NO KEY UPDATE", [account])
        process = SPAWN.Process(target=work, args=(ledger_url, payload))
        process.start()
        waiting = _wait_for(lambda: watcher.execute(
            "SELECT pid FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))", [holder.info.backend_pid]
        ).fetchone(), "the worker's award to wait on the lock")[0]
        assert process.pid is not None
        os.kill(process.pid, signal.SIGKILL)
        process.join(10)
        if server_dies:
            watcher.execute("SELECT pg_terminate_backend(%s)", [waiting])
            _wait_for(lambda: gone(waiting), "the ended session to roll back")
        holder.rollback()  # the lock goes: a statement still running takes it and commits
        _wait_for(lambda: gone(waiting), "the orphaned statement to finish")


def test_a_worker_killed_mid_award_loses_and_duplicates_nothing_after_redelivery(ledger_url: str) -> None:
    day = date(2026, 3, 6)
    batch = [ev.comment(f"k-c{n}", f"kp{n}", "op", f"killed{n % 5}", day) for n in range(40)]
    with transaction(ledger_url) as session:
        ensure_user(session, "killed4")  # so that the test can hold its row
    # Killed in its fifth award (the first to killed4), between the pool's debit and killed4's credit.
    _kill_while_blocked(workers.apply_events, ledger_url, batch, user_account("killed4"), server_dies=False)
    assert _balances(ledger_url, [f"killed{n}" for n in range(5)]) == {f"killed{n}": RULES.comment for n in range(5)}
    _books_balance(ledger_url)  # the orphaned award committed whole, the four before it too, nothing after

    _in_parallel(ledger_url, [batch, batch[::-1]])  # SQS redelivers the whole batch, twice over

    assert _balances(ledger_url, [f"killed{n}" for n in range(5)]) == ev.expected_balances(batch, RULES)
    _books_balance(ledger_url)


def test_the_database_refuses_what_the_code_must_never_do(ledger_url: str) -> None:
    import pytest
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError, IntegrityError

    _fund(ledger_url, ["guarded"], posts_each=1, tag="guard")
    with pytest.raises(IntegrityError), transaction(ledger_url) as session:  # a negative user balance
        session.execute(text("UPDATE accounts SET balance = -1 WHERE id = 'user:guarded'"))
    with pytest.raises(IntegrityError), transaction(ledger_url) as session:  # negative stock
        session.execute(text("INSERT INTO rewards (id, name, cost, stock) VALUES ('X', 'x', 1, -1)"))
    with pytest.raises(DBAPIError, match="immutable"), transaction(ledger_url) as session:
        session.execute(text("UPDATE transfers SET amount = 1000"))
    with pytest.raises(IntegrityError), transaction(ledger_url) as session:  # a transfer id used twice
        session.execute(text("INSERT INTO transfers (id, debit_account, credit_account, amount, reason) "
                             "SELECT id, debit_account, credit_account, amount, reason FROM transfers LIMIT 1"))
    assert earning.apply_event(ev.post("guard-guarded-0", "guarded", date(2026, 3, 5)), RULES, ledger_url) == 0
    _books_balance(ledger_url)
