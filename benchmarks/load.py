"""``make load``: simulated users (``benchmarks/load_users.py``) on the local platform for a bounded time.

Starts ``python -m local`` on a free port (a subprocess: Locust's gevent patches this process, and the platform's
threads must not run under it) unless ``--host`` names a running one, drives it with Locust as a library, and
prints one row per route: requests, requests per second, p50/p95/p99 and max in ms, 4xx and 5xx answers and
errors without an answer (refused connections, timeouts). Exits 1 on any 5xx or error without an answer, when
unexpected 4xx pass ``--max-4xx`` of the requests (the users are built to make none: they stay within the rate
limits and act only on what exists). A route of the users' first tour that was never called is noted, not a
failure: a saturated platform may keep users from finishing their tour.

Usage::

    make load                                   # 60 s, 50 users, its own platform
    make load DURATION=10 USERS=5
    make load HOST=http://127.0.0.1:8000        # a platform already running (make dev)
    .venv/bin/python -m benchmarks.load --duration 10 --users 5 --json summary.json
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from locust.env import Environment
from locust.stats import RequestStats

from benchmarks.load_users import ROUTES, SEED_POSTS, AppUser, MastodonUser, seed
from benchmarks.local_startup import free_port, start_platform, stop_platform


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--duration", type=float, default=60, help="seconds of load after the first user starts")
    parser.add_argument("--users", type=int, default=50, help="simulated users (4 app users to 1 Mastodon app)")
    parser.add_argument("--spawn-rate", type=float, default=10, help="users started per second")
    parser.add_argument("--host", default="", help="base URL of a running platform; empty: start one")
    parser.add_argument("--max-4xx", type=float, default=0.01, help="share of requests allowed to answer 4xx")
    parser.add_argument("--json", type=Path, help="also write the per-route figures there")
    return parser.parse_args(argv)


class StatusCounts:
    """Answers by route and status class (2xx, 4xx, 5xx; 'error' when no answer came), from Locust's events."""

    def __init__(self) -> None:
        self.by_route: defaultdict[str, Counter[str]] = defaultdict(Counter)

    def on_request(self, request_type: str, name: str, response: Any = None, **_: Any) -> None:
        status = getattr(response, "status_code", 0) or 0
        self.by_route[f"{request_type} {name}"][f"{status // 100}xx" if status else "error"] += 1


def run(base: str, users: int, spawn_rate: float, duration: float) -> tuple[RequestStats, StatusCounts, float]:
    """Drive ``base`` with ``users`` for ``duration`` seconds; Locust's stats, the status counts, seconds run."""
    env = Environment(user_classes=[AppUser, MastodonUser], host=base)
    counts = StatusCounts()
    env.events.request.add_listener(counts.on_request)  # type: ignore[no-untyped-call]  # Locust leaves it untyped
    runner = env.create_local_runner()
    began = time.perf_counter()
    runner.start(users, spawn_rate=spawn_rate)
    time.sleep(duration)  # importing locust made this sleep a gevent one: the users run meanwhile
    runner.quit()
    return env.stats, counts, time.perf_counter() - began


def table(stats: RequestStats, counts: StatusCounts, seconds: float) -> list[dict[str, Any]]:
    """One row per route, busiest first, and a total."""
    rows = []
    for entry in sorted(stats.entries.values(), key=lambda e: -e.num_requests):
        route = f"{entry.method} {entry.name}"
        rows.append(_row(route, entry, counts.by_route[route], seconds))
    total: Counter[str] = sum(counts.by_route.values(), Counter())
    rows.append(_row("total", stats.total, total, seconds))
    return rows


def _row(route: str, entry: Any, statuses: Counter[str], seconds: float) -> dict[str, Any]:
    percentile = entry.get_response_time_percentile
    return {"route": route, "requests": entry.num_requests, "rps": entry.num_requests / seconds,
            "p50": percentile(0.5), "p95": percentile(0.95), "p99": percentile(0.99),
            "max": round(entry.max_response_time or 0), "4xx": statuses["4xx"], "5xx": statuses["5xx"],
            "errors": statuses["error"]}


def render(rows: list[dict[str, Any]]) -> str:
    width = max(len(row["route"]) for row in rows)
    lines = [f"{'route':<{width}} {'requests':>8} {'req/s':>6} {'p50':>6} {'p95':>6} {'p99':>6} {'max':>6} "
             f"{'4xx':>4} {'5xx':>4} {'errors':>6}"]
    lines += [f"{r['route']:<{width}} {r['requests']:>8} {r['rps']:>6.1f} {r['p50']:>6.0f} {r['p95']:>6.0f} "
              f"{r['p99']:>6.0f} {r['max']:>6} {r['4xx']:>4} {r['5xx']:>4} {r['errors']:>6}" for r in rows]
    return "\n".join(lines)


def verdict(rows: list[dict[str, Any]], max_4xx: float) -> list[str]:
    """Why the run failed; empty when it passed."""
    total = rows[-1]
    problems = [f"{total['5xx']} answers were 5xx"] if total["5xx"] else []
    if total["errors"]:
        problems.append(f"{total['errors']} requests got no answer")
    if total["4xx"] > max_4xx * max(total["requests"], 1):
        problems.append(f"{total['4xx']} answers were 4xx (more than {max_4xx:.0%} of {total['requests']})")
    return problems


def uncalled(rows: list[dict[str, Any]]) -> list[str]:
    """Routes of the users' first tour that no request reached (a platform too slow for the users to finish it)."""
    return sorted(ROUTES - {row["route"] for row in rows if row["requests"]})


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="load-") as scratch:
        process = None
        base = args.host.rstrip("/")
        if not base:
            # Its own ledger file and WebSocket port: a `make dev` beside it keeps its own.
            process, base, started = start_platform(["--host", "127.0.0.1", "--no-web",
                                                     "--websocket-port", str(free_port()),
                                                     "--sqlite-file", str(Path(scratch) / "ledger.db")])
            print(f"local platform at {base}, healthy in {started:.1f} s", flush=True)
        try:
            began = time.perf_counter()
            print(f"seeded {seed(base)} with {SEED_POSTS} posts in {time.perf_counter() - began:.1f} s", flush=True)
            print(f"{args.users} users for {args.duration:.0f} s against {base}...", flush=True)
            rows = table(*run(base, args.users, args.spawn_rate, args.duration))
            print(f"\n{args.users} users, {args.duration:.0f} s; times in ms")
            print(render(rows), flush=True)
        finally:
            if process is not None:
                stop_platform(process)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    for route in uncalled(rows):
        print(f"note: never called: {route}", flush=True)
    problems = verdict(rows, args.max_4xx)
    for problem in problems:
        print(f"FAIL: {problem}", file=sys.stderr)
    return 1 if problems else 0

if __name__ == "__main__":
    sys.exit(main())
