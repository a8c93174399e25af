"""End-to-end tests: the real app on the local platform, in its own process, over real HTTP.

The platform is started exactly as ``make dev`` starts it (``python -m local``),
so these tests see what a user of the API sees.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 30


@dataclass(frozen=True)
class RunningPlatform:
    url: str
    aws_endpoint: str
    output: Path

    def api(self, path: str) -> str:
        return f"{self.url}/v1{path}"


def _wait_for(output: Path, process: subprocess.Popen[bytes]) -> RunningPlatform:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        text = output.read_text()
        api, aws = re.search(r"^API\s+(http://\S+)", text, re.M), re.search(r"^AWS \(moto\)\s+(http://\S+)", text, re.M)
        if api and aws and "ready" in text:
            return RunningPlatform(api.group(1), aws.group(1), output)
        if process.poll() is not None:
            break
        time.sleep(0.1)
    raise RuntimeError(f"the local platform did not start:\n{output.read_text()}")


@contextmanager
def start_platform(**settings: str) -> Iterator[RunningPlatform]:
    """``python -m local`` on a free port, with extra environment ``settings``; stopped on exit."""
    with tempfile.NamedTemporaryFile("w", suffix=".log", delete=False) as log:
        output = Path(log.name)
    # The ledger's tests point DATABASE_URL at a PostgreSQL server; these platforms keep to their own SQLite.
    inherited = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env = {**inherited, "PYTHONUNBUFFERED": "1", **settings}
    with output.open("w") as sink:
        process = subprocess.Popen([sys.executable, "-m", "local", "--port", "0"], cwd=ROOT, env=env,
                                   stdout=sink, stderr=subprocess.STDOUT)
    try:
        yield _wait_for(output, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        if not os.environ.get("E2E_KEEP_LOG"):
            output.unlink(missing_ok=True)
        else:
            print(f"platform log: {output}")


@pytest.fixture(scope="session")
def platform() -> Iterator[RunningPlatform]:
    with start_platform() as running:
        yield running


@dataclass
class User:
    username: str
    password: str
    tokens: dict[str, Any]

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens['access_token']}"}


def new_username(prefix: str = "u") -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def register_and_login(platform: RunningPlatform, prefix: str = "u", **extra: Any) -> User:
    username, password = new_username(prefix), "Correct-horse-42"
    body = {"username": username, "email": f"{username}@example.org", "password": password, **extra}
    created = requests.post(platform.api("/auth/register"), json=body, timeout=10)
    assert created.status_code == 201, created.text
    login = requests.post(platform.api("/auth/login"), json={"username": username, "password": password}, timeout=10)
    assert login.status_code == 200, login.text
    return User(username, password, login.json())
