"""``python -m local`` with the real app: healthy once it says ready, sign-up to authenticated call, clean shutdown.

How fast it starts is measured by ``make bench`` (``benchmarks/local_startup.py``), not asserted here.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import jwt
import pytest
import requests

from chalicelib.ledger.migrate import head_revision
from local.platform import TUNABLES

REPO = Path(__file__).resolve().parents[2]
STARTUP_DEADLINE_SECONDS = 120  # only so that a platform that never gets ready fails instead of hanging


@dataclass
class Running:
    process: subprocess.Popen[str]
    url: str
    banner: list[str]


def _clean_env(**extra: str) -> dict[str, str]:
    """The test process's environment minus everything the platform reads, plus ``extra``."""
    ours = ("PORT", "STAGE", "CURSOR_SECRET", "DATABASE_URL", "LOCAL_ADMIN_PASSWORD", "LOCAL_SQLITE_FILE", *TUNABLES)
    return {**{k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k not in ours}, **extra}


@pytest.fixture(scope="module")
def sqlite_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cli") / "ledger.db"  # never the repository's .local/


@pytest.fixture(scope="module")
def running(sqlite_file: Path) -> Iterator[Running]:
    env = _clean_env(LOCAL_SQLITE_FILE=str(sqlite_file))
    process = subprocess.Popen([sys.executable, "-m", "local", "--port", "0"], cwd=REPO, env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = threading.Timer(STARTUP_DEADLINE_SECONDS, process.kill)  # ends a hung readline below
    deadline.start()
    try:
        banner: list[str] = []
        url = None
        assert process.stdout is not None
        while not banner or not banner[-1].startswith("ready;"):
            line = process.stdout.readline()
            if not line:
                pytest.fail(f"the platform exited early: {process.communicate(timeout=5)[1]}")
            banner.append(line.rstrip())
            match = re.match(r"^API\s+(http://\S+)$", line.strip())
            url = match.group(1) if match else url
        deadline.cancel()
        assert url is not None, banner
        yield Running(process, url, banner)
    finally:
        deadline.cancel()
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=10)


def test_real_app_health_answers_through_the_platform(running: Running) -> None:
    answer = requests.get(f"{running.url}/v1/health", timeout=5)

    assert answer.status_code == 200  # at once: "ready" is printed once the server listens
    assert answer.json() == {"status": "ok"}


def test_real_app_unknown_route_is_the_404_json(running: Running) -> None:
    answer = requests.get(f"{running.url}/v1/nothing-here", timeout=5)

    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "not_found"


def test_register_login_and_an_authenticated_call(running: Running) -> None:
    """Cognito on moto, the users table and JWT verification against moto's JWKS, end to end."""
    credentials = {"username": "alice_local", "password": "Correct-Horse-9"}
    registered = requests.post(f"{running.url}/v1/auth/register", timeout=10,
                               json={**credentials, "email": "alice@example.com"})
    assert registered.status_code == 201, registered.text

    login = requests.post(f"{running.url}/v1/auth/login", json=credentials, timeout=10)
    assert login.status_code == 200, login.text

    for token in (login.json()["access_token"], login.json()["id_token"]):
        me = requests.get(f"{running.url}/v1/users/me", headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert me.status_code == 200, me.text
        assert me.json()["username"] == "alice_local"
    forged = login.json()["access_token"][:-4] + "AAAA"
    refused = requests.get(f"{running.url}/v1/users/me", headers={"Authorization": f"Bearer {forged}"}, timeout=10)
    assert refused.status_code == 401


def test_banner_says_what_runs_where(running: Running) -> None:
    out = "\n".join(running.banner)
    assert "AWS (moto)" in out
    assert "social-local-users" in out
    assert "groups: admins" in out
    for table in ("users", "follows", "posts", "interactions", "timeline", "idempotency"):
        assert re.search(rf"^\s+table\s+{table}\s+social-local-{table}\b", out, re.MULTILINE), table
    assert re.search(r"^\s+topic\s+domain-events\s+arn:aws:sns:\S+:social-local-domain-events$", out, re.MULTILINE)
    assert "-> queue timeline-updates (raw, type in post.created, post.deleted, follow.created, follow.deleted)" in out
    assert "-> queue post-cleanup (raw, type in post.deleted)" in out
    assert "CURSOR_SECRET random for this start" in out
    assert "FANOUT_MAX_FOLLOWERS=50000 (default)" in out
    assert re.search(r"started in\s+\d+ ms", out)
    assert re.search(r"ready in\s+\d+ ms since the process began", out)


def test_banner_shows_the_database_and_the_generated_admin_password(running: Running, sqlite_file: Path) -> None:
    out = "\n".join(running.banner)
    assert f"database     ledger: sqlite {sqlite_file} (fresh for this start; set DATABASE_URL" in out
    assert re.search(rf"^  revision {head_revision()} \(migrated in \d+ ms\)$", out, re.MULTILINE)
    assert "  demo catalog: 4 rewards added" in out
    assert "admin        admin (admin@example.org, group admins, profile in the users table)" in out
    assert re.search(r"^  password \S{20}   \(generated for this start; set LOCAL_ADMIN_PASSWORD", out, re.MULTILINE)
    assert "  migrate_ledger <- invoked at deploy" in out
    assert "  pre_sign_up <- the user pool, before each sign-up (called by the local Cognito)" in out
    assert "  award_coins <- sqs queue coin-awards (batch 10)" in out


def test_admin_logs_in_with_the_generated_password_and_manages_the_catalog(running: Running) -> None:
    password = next(m.group(1) for line in running.banner if (m := re.match(r"^  password (\S+)   \(generated", line)))
    login = requests.post(f"{running.url}/v1/auth/login", json={"username": "admin", "password": password},
                          timeout=10)
    assert login.status_code == 200, login.text
    access_token = login.json()["access_token"]
    assert jwt.decode(access_token, options={"verify_signature": False})["cognito:groups"] == ["admins"]
    headers = {"Authorization": f"Bearer {access_token}"}

    profile = requests.get(f"{running.url}/v1/users/admin", headers=headers, timeout=10)
    catalog = requests.get(f"{running.url}/v1/rewards", headers=headers, timeout=10)
    added = requests.post(f"{running.url}/v1/admin/rewards", headers=headers, timeout=10,
                          json={"name": "Mug", "cost": 80, "stock": 5})

    assert profile.status_code == 200 and profile.json()["display_name"] == "Admin", profile.text
    assert catalog.status_code == 200, catalog.text
    assert {r["name"] for r in catalog.json()["items"]} == {"Sticker pack", "Coffee voucher", "T-shirt",
                                                           "Conference ticket"}
    assert added.status_code == 201, added.text


def test_a_refused_admin_password_stops_the_start_with_a_clear_message(tmp_path: Path) -> None:
    env = _clean_env(LOCAL_ADMIN_PASSWORD="weak-password", LOCAL_SQLITE_FILE=str(tmp_path / "ledger.db"))
    done = subprocess.run([sys.executable, "-m", "local", "--port", "0"], cwd=REPO, env=env, text=True,
                          capture_output=True, timeout=60)

    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("cannot start: LOCAL_ADMIN_PASSWORD breaks the user pool's password policy: "
                                  "it must contain an uppercase letter; it must contain a digit."), done.stderr
    assert "weak-password" not in done.stdout + done.stderr


def test_sigterm_stops_cleanly(running: Running) -> None:
    running.process.send_signal(signal.SIGTERM)
    out, err = running.process.communicate(timeout=15)

    assert running.process.returncode == 0, err
    assert "Traceback" not in err
    assert out.rstrip().endswith("stopped")
