"""The make targets that call a running local platform (``make seed``, ``make reindex``) fail when it answers
with an error or is not there: a shell that printed curl's error and then ``echo``-ed a newline used to exit 0."""

from __future__ import annotations

import shutil
import socket
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.skipif(shutil.which("curl") is None or shutil.which("make") is None, reason="needs make and curl")
@pytest.mark.parametrize("target", ["seed", "reindex"])
def test_the_target_fails_when_no_platform_answers(target: str) -> None:
    done = subprocess.run(["make", target, f"PORT={_free_port()}"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0, done.stdout + done.stderr
    assert "Failed to connect" in done.stderr
