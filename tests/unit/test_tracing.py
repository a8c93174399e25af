"""X-Ray patching happens only in Lambda with tracing on, for botocore (SQLAlchemy once the ledger connects)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from chalicelib.core.settings import get_settings
from chalicelib.core.tracing import install_tracing

RUNTIME = Path(__file__).resolve().parents[2] / "runtime"


@pytest.fixture(autouse=True)
def fresh_settings() -> None:
    get_settings.cache_clear()


def test_tracing_stays_off_outside_lambda(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACING", "true")
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)
    assert install_tracing() is False


def test_tracing_stays_off_when_disabled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACING", "false")
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "social-api")
    assert install_tracing() is False


def test_tracing_patches_botocore_only_in_lambda() -> None:
    # In a child process: patching botocore is process-wide and must not leak into other tests.
    probe = (
        "from chalicelib.core.tracing import install_tracing\n"
        "from aws_xray_sdk.core import patcher\n"
        "assert install_tracing() is True\n"
        "print(sorted(patcher._PATCHED_MODULES))\n"
    )
    env = {**os.environ, "TRACING": "true", "AWS_LAMBDA_FUNCTION_NAME": "social-api",
           "AWS_XRAY_CONTEXT_MISSING": "IGNORE_ERROR"}
    done = subprocess.run([sys.executable, "-c", probe], cwd=RUNTIME, env=env, capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "['botocore']"
