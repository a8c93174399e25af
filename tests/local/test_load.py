"""``make load`` in small: 10 s of 5 simulated users on a platform of its own, every route called, no 5xx.

A subprocess, as ``make load`` runs it: importing Locust patches the importing process with gevent, which this
test process must not be. The 60-second run with 50 users and its table are in the README ("Load test").
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.local.test_cli import REPO, _clean_env

# Every user's first tour calls each of these (benchmarks/load_users.py); listed here so the test does not take
# the load module's word for what it covers.
ROUTES = {
    "POST /v1/auth/register", "POST /v1/auth/login", "GET /v1/feed", "POST /v1/posts", "PUT /v1/posts/{id}/like",
    "POST /v1/posts/{id}/comments", "GET /v1/posts/{id}/comments", "PUT /v1/users/{username}/follow",
    "GET /v1/wallet", "GET /v1/search", "POST /api/v1/apps", "POST /oauth/token", "POST /api/v1/statuses",
    "POST /api/v1/accounts/{id}/follow", "GET /api/v1/timelines/home", "GET /api/v1/accounts/verify_credentials",
}


def test_a_short_load_answers_every_route_without_a_server_error(tmp_path: Path) -> None:
    summary = tmp_path / "load.json"
    run = subprocess.run([sys.executable, "-m", "benchmarks.load", "--duration", "10", "--users", "5",
                          "--json", str(summary)], cwd=REPO, env=_clean_env(LOCAL_LOG_LEVEL="WARNING"),
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    rows = {row["route"]: row for row in json.loads(summary.read_text())}
    assert {route for route, row in rows.items() if row["requests"]} >= ROUTES
    total = rows["total"]
    assert (total["5xx"], total["errors"], total["4xx"]) == (0, 0, 0), run.stdout
    assert "p99" in run.stdout  # the table was printed
