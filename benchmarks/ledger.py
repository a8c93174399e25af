"""Ledger awards and transfers per second on PostgreSQL, 8 concurrent workers, beside a single-statement UPDATE.

A throwaway database is created on the server of ``DATABASE_URL`` (default
``postgresql://postgres@127.0.0.1:5432/test``), migrated with
``chalicelib.ledger.migrate.migrate``, given 1,000 user accounts, and dropped
at the end, even on failure.

Eight ``spawn`` worker processes, started once and kept for every run, each
with its own engines (``chalicelib.ledger.db.transaction(url)`` and, for the
awards, the autocommit pool of ``db.scalar``, as the runtime has them), run
four timed runs one after the other: a warm-up, then a measured window;
throughput is what committed inside the window divided by its length,
latency is per operation (one transaction each, pool checkout to commit).

- ledger: ``accounts.transfer(session, <unique id>, system_account(POOL, user),
  user_account(user), 1, "bench")``, one transfer per transaction, exactly as
  earning pays an award (without the daily-cap row around it);
- single: ``earning.apply_event`` of one ``post.created`` event, the whole award
  path (the ``ledger_pay_award`` function: user and day rows, duplicate check
  under the day lock, daily cap, transfer, balances, outbox; a post's actor is
  its awardee, so the activity is that same day row), one transaction per award:
  one statement that commits as it ends (autocommit, so no BEGIN and COMMIT);
- batched: ``batch.apply_events`` of ten such events at once, as the coin-award
  handler takes an SQS batch (the ``ledger_pay_awards`` function: one statement,
  one transaction), counted as ten awards; strict: a failed batch statement is an
  error, never a fallback; the rules pay 1 coin per post under a cap no run
  reaches, so every award moves coins;
- baseline: ``UPDATE accounts SET balance = balance + 1 WHERE id = :id``, one
  statement per transaction through the same ``transaction(url)`` as the ledger
  transfers, so both pay the same pool checkout (with pre-ping), BEGIN and
  COMMIT; an award is one statement committed as it ends, from a pool that
  does not ping (it runs the statement again on a connection found dead).

Scenario "hot": every operation credits the same user account (so every ledger
transfer also debits the same rewards-pool shard). Scenario "spread": each
worker picks the credited account at random among the 1,000 (the ledger's
debits then spread over the 16 pool shards that those users hash to).

The books are reconciled after each transfer or award run, before the baseline,
and must balance; the baseline's direct UPDATEs unbalance them by design, so a
second reconciliation afterwards must be off by exactly the UPDATEs committed.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import random
import statistics
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from multiprocessing.process import BaseProcess
from multiprocessing.queues import Queue
from typing import Any

from local import RUNTIME_DIR

if str(RUNTIME_DIR) not in sys.path:  # importing local already did it; the runtime imports below need it
    sys.path.insert(0, str(RUNTIME_DIR))

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from chalicelib.ledger.accounts import POOL, SHARDS, ensure_user, system_account, transfer, user_account
from chalicelib.ledger.batch import apply_events
from chalicelib.ledger.db import scalar, transaction
from chalicelib.ledger.earning import apply_event
from chalicelib.ledger.migrate import migrate
from chalicelib.ledger.models import Transfer
from chalicelib.ledger.reconcile import Report, reconcile
from chalicelib.ledger.rules import Rules

WORKERS = 8
USERS = 1_000
WARMUP = 1.0  # seconds per run before the measured window
DURATION = 5.0  # seconds measured per run
SCENARIOS = ("hot", "spread")
SIDES = ("ledger", "single", "batched", "baseline")
AWARD_SIDES = ("ledger", "single", "batched")  # sides that write transfers: the books must balance after them
BATCH = 10  # awards per SQS batch (the queue's batch size)
RULES = Rules(post=1, daily_cap=2_000_000_000)  # every award pays: the cap is checked, never reached
DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/test"
SPAWN = multiprocessing.get_context("spawn")
BASELINE = text("UPDATE accounts SET balance = balance + 1 WHERE id = :id")
READY_TIMEOUT = 60.0
MORE = ("a ledger transfer does more: three statements instead of one, an INSERT of one immutable transfers row "
        "(two foreign-key checks that key-share-lock both accounts, three index entries) and two balance UPDATEs in "
        "account-id order (the pool shard, then the user), each under the balance check constraint; the overdraft "
        "guard (AND balance >= amount) is only added when a user account is debited, so it is not exercised here "
        "(the debit is a system account)")


def _username(n: int) -> str:
    return f"bench{n:04d}"


@dataclass(frozen=True)
class Run:
    side: str  # "ledger" or "baseline"
    scenario: str  # "hot" or "spread"
    start_at: float  # time.time() at which every worker starts its warm-up
    warmup: float
    duration: float


@dataclass
class Outcome:
    worker: int
    in_window: int = 0  # committed with their commit inside the measured window
    committed: int = 0  # committed at all, warm-up included (the books count those)
    latencies: list[float] = field(default_factory=list)  # seconds, of the operations in the window
    errors: dict[str, int] = field(default_factory=dict)


# --- the worker processes ----------------------------------------------------------------------------


def _ledger_op(url: str, transfer_id: str, usernames: list[str]) -> int:
    with transaction(url) as session:
        transfer(session, transfer_id, system_account(POOL, usernames[0]), user_account(usernames[0]), 1, "bench")
    return 1


def _post(post_id: str, author: str) -> dict[str, Any]:
    return {"id": f"evt-{post_id}", "type": "post.created", "occurred_at": "2026-11-30T12:00:00+00:00",
            "actor": author, "data": {"post_id": post_id, "author": author}}


def _single_op(url: str, transfer_id: str, usernames: list[str]) -> int:
    if apply_event(_post(transfer_id, usernames[0]), RULES, url) != 1:
        raise RuntimeError("an award paid nothing")
    return 1


def _batched_op(url: str, transfer_id: str, usernames: list[str]) -> int:
    outcomes = apply_events([_post(f"{transfer_id}:{n}", username) for n, username in enumerate(usernames)], RULES,
                            url, strict=True)
    for outcome in outcomes:
        if isinstance(outcome, Exception):
            raise outcome
    if outcomes != [1] * len(usernames):
        raise RuntimeError(f"a batch paid {outcomes}")
    return len(usernames)


def _baseline_op(url: str, _transfer_id: str, usernames: list[str]) -> int:
    with transaction(url) as session:
        session.execute(BASELINE, {"id": user_account(usernames[0])})
    return 1


OPERATIONS = {"ledger": _ledger_op, "single": _single_op, "batched": _batched_op, "baseline": _baseline_op}


def _run(index: int, url: str, run: Run) -> Outcome:
    rng = random.Random(f"{run.side}:{run.scenario}:{index}")
    users = [_username(n) for n in range(USERS)]
    operation = OPERATIONS[run.side]
    size = BATCH if run.side == "batched" else 1
    begin = run.start_at + run.warmup
    end = begin + run.duration
    outcome = Outcome(index)
    errors: Counter[str] = Counter()
    while (wait := run.start_at - time.time()) > 0:
        time.sleep(min(wait, 0.05))
    n = 0
    while time.time() < end:
        chosen = [users[0] if run.scenario == "hot" else rng.choice(users) for _ in range(size)]
        n += 1
        began = time.perf_counter()
        try:
            done = operation(url, f"bench:{run.side}:{run.scenario}:{index}:{n}", chosen)
        except Exception as error:  # counted and shown: a benchmark that hides errors measures nothing
            errors[f"{type(error).__name__}: {str(error).splitlines()[0][:120] if str(error) else ''}"] += 1
            continue
        latency = time.perf_counter() - began
        finished = time.time()
        outcome.committed += done
        if begin <= finished <= end:
            outcome.in_window += done
            outcome.latencies.append(latency)
    outcome.errors = dict(errors)
    return outcome


def _worker(index: int, url: str, commands: Queue[Run | None], results: Queue[Any]) -> None:
    try:
        with transaction(url) as session:  # import everything and open the engines' first connections
            session.execute(text("SELECT 1"))
        scalar(text("SELECT 1"), {}, url)
        results.put(("ready", index))
        while (run := commands.get()) is not None:
            results.put(_run(index, url, run))
    except BaseException as error:
        results.put(("failed", index, repr(error)))
        raise


class Workers:
    """Eight spawned processes, each its own engine, kept for every run."""

    def __init__(self, url: str) -> None:
        self.results: Queue[Any] = SPAWN.Queue()
        self.commands: list[Queue[Run | None]] = []
        self.processes: list[BaseProcess] = []
        for index in range(WORKERS):
            commands: Queue[Run | None] = SPAWN.Queue()
            process = SPAWN.Process(target=_worker, args=(index, url, commands, self.results), daemon=True,
                                    name=f"ledger-bench-{index}")
            process.start()
            self.commands.append(commands)
            self.processes.append(process)
        for _ in range(WORKERS):
            message = self._get(READY_TIMEOUT)
            if not (isinstance(message, tuple) and message[0] == "ready"):
                raise RuntimeError(f"a worker failed to start: {message!r}")

    def _get(self, timeout: float) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self.results.get(timeout=1.0)
            except queue.Empty:
                dead = [p.name for p in self.processes if not p.is_alive()]
                if dead:
                    raise RuntimeError(f"worker processes died: {dead}") from None
                if time.monotonic() > deadline:
                    raise TimeoutError("the workers did not answer in time") from None

    def run(self, side: str, scenario: str) -> list[Outcome]:
        run = Run(side, scenario, time.time() + 0.2, WARMUP, DURATION)
        for commands in self.commands:
            commands.put(run)
        outcomes = []
        for _ in range(WORKERS):
            message = self._get(WARMUP + DURATION + 60.0)
            if not isinstance(message, Outcome):
                raise RuntimeError(f"a worker failed: {message!r}")
            outcomes.append(message)
        return outcomes

    def stop(self) -> None:
        for commands in self.commands:
            commands.put(None)
        for process in self.processes:
            process.join(timeout=10)
            if process.is_alive():
                process.terminate()
                process.join(timeout=5)


# --- the parent ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    per_second: float
    p50_ms: float
    p99_ms: float
    in_window: int
    committed: int
    errors: dict[str, int]


def _figures(outcomes: list[Outcome]) -> Figures:
    latencies = sorted(latency for outcome in outcomes for latency in outcome.latencies)
    in_window = sum(outcome.in_window for outcome in outcomes)
    errors: Counter[str] = Counter()
    for outcome in outcomes:
        errors.update(outcome.errors)
    p50 = statistics.median(latencies) * 1000 if latencies else float("nan")
    p99 = latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))] * 1000 if latencies else float("nan")
    return Figures(in_window / DURATION, p50, p99, in_window, sum(outcome.committed for outcome in outcomes),
                   dict(errors))


def _driver_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith("postgresql://") else url


def _populate(url: str) -> tuple[str, str, int]:
    with transaction(url) as session:
        for n in range(USERS):
            ensure_user(session, _username(n))
        version = str(session.scalar(text("SHOW server_version")))
        settings = ", ".join(f"{name}={session.scalar(text(f'SHOW {name}'))}"
                             for name in ("fsync", "synchronous_commit", "shared_buffers"))
    shards = len({system_account(POOL, _username(n)) for n in range(USERS)})
    return version, settings, shards


def _transfers(url: str) -> int:
    with transaction(url) as session:
        return int(session.scalar(select(func.count()).select_from(Transfer)) or 0)


def _print_row(scenario: str, side: str, figures: Figures) -> None:
    print(f"  {scenario:<8} {side:<9} {figures.per_second:10,.0f} {figures.p50_ms:8.2f} {figures.p99_ms:8.2f} "
          f"{figures.in_window:11,d} {sum(figures.errors.values()):7,d}")


def _benchmark(url: str, where: str) -> None:
    version, settings, shards = _populate(url)
    cores = os.cpu_count() or 0
    print(f"ledger transfers vs single-statement UPDATE: PostgreSQL {version} at {where}, throwaway database, "
          f"{USERS:,} user accounts ({settings})")
    print(f"  {WORKERS} worker processes (spawn, each with the runtime's own engines) on a {cores}-core machine that "
          f"also runs the database server: with {WORKERS} workers on {cores} cores this measures contention and "
          "scheduling more than raw speed")
    print(f"  each run: {WARMUP:.0f} s warm-up, then {DURATION:.0f} s measured; one operation = one transaction: "
          "transfers and baseline via transaction(url) (pool checkout with pre-ping, BEGIN, ..., COMMIT), awards via "
          "db.scalar (pool checkout without ping, one statement committed as it ends)")
    print(f"  hot: every operation credits user:{_username(0)} (the ledger also debits its one pool shard, "
          f"{system_account(POOL, _username(0))}); spread: random among the {USERS:,} users "
          f"(their debits hit {shards} of {SHARDS} pool shards)")
    workers = Workers(url)
    try:
        results: dict[tuple[str, str], Figures] = {}
        books: dict[tuple[str, str], Report] = {}
        for scenario in SCENARIOS:
            for side in AWARD_SIDES:
                results[side, scenario] = _figures(workers.run(side, scenario))
                books[side, scenario] = reconcile(url)  # after each run, before the baseline unbalances them
        transfers = _transfers(url)
        for scenario in SCENARIOS:
            results["baseline", scenario] = _figures(workers.run("baseline", scenario))
    finally:
        workers.stop()
    after = reconcile(url)

    print("  ops: transfers (ledger), awards (single, batched: ten per transaction), UPDATEs (baseline); "
          "latency is per transaction")
    print(f"  {'scenario':<8} {'side':<9} {'ops/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'in window':>11} {'errors':>7}")
    for scenario in SCENARIOS:
        for side in SIDES:
            _print_row(scenario, side, results[side, scenario])
    print(f"  {'scenario':<8} {'UPDATE/s':>9} {'transfer/s':>11} {'single awards/s':>16} {'batched awards/s':>17} "
          f"{'single/UPDATE':>14} {'batched/UPDATE':>15}")
    for scenario in SCENARIOS:
        rate = {side: results[side, scenario].per_second for side in SIDES}
        base = rate["baseline"] or float("nan")
        print(f"  {scenario:<8} {rate['baseline']:9,.0f} {rate['ledger']:11,.0f} {rate['single']:16,.0f} "
              f"{rate['batched']:17,.0f} {rate['single'] / base:13.2f}x {rate['batched'] / base:14.2f}x "
              "(goals: single >= 0.6x, batched >= 1.5x)")
    print(f"  {MORE}")

    award_committed = sum(results[side, s].committed for side in AWARD_SIDES for s in SCENARIOS)
    baseline_committed = sum(results["baseline", s].committed for s in SCENARIOS)
    all_ok = all(report.ok for report in books.values())
    for (side, scenario), report in books.items():
        print(f"  books after {side}/{scenario}: {'ok' if report.ok else 'NOT OK'} ({report.accounts:,} accounts, "
              f"sum of balances {report.total}, {len(report.mismatches)} mismatches)")
    print(f"  {transfers:,} transfers in the table, {award_committed:,} transfers and awards committed by the workers, "
          "warm-up included (one transfer each)")
    expected = after.total == baseline_committed
    print(f"  books after the baseline (its direct UPDATEs unbalance them by design): sum of balances "
          f"{after.total:+,} for {baseline_committed:,} UPDATEs committed, warm-up included "
          f"({'as expected' if expected else 'UNEXPECTED'}; {len(after.mismatches):,} accounts off)")
    errors = 0
    for side in SIDES:
        for scenario in SCENARIOS:
            for error, count in sorted(results[side, scenario].errors.items()):
                errors += count
                print(f"  error in {side}/{scenario}: {count:,} x {error}")
    print(f"  errors (deadlocks included): {errors}")
    if not all_ok or transfers != award_committed or not expected:
        raise SystemExit("the ledger benchmark's books do not add up (see above)")


def main() -> None:
    started = time.perf_counter()
    server = make_url(_driver_url(os.environ.get("DATABASE_URL") or DEFAULT_SERVER))
    if server.get_backend_name() != "postgresql":
        raise SystemExit(f"the ledger benchmark needs PostgreSQL, DATABASE_URL is {server.get_backend_name()}")
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    name = f"ledger_bench_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = server.set(database=name).render_as_string(hide_password=False)
        migrate(url)
        _benchmark(url, f"{server.host}:{server.port or 5432}")
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    print(f"  whole ledger benchmark (database created, migrated, runs, dropped): "
          f"{time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
