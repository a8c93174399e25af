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


def test_tracing_patches_botocore_only_in_lambda_once_botocore_loads() -> None:
    # In a child process: patching botocore is process-wide and must not leak into other tests.
    # Importing the app loads neither the X-Ray SDK nor botocore; the first client made is traced.
    probe = (
        "import sys\n"
        "from chalicelib.core.tracing import install_tracing\n"
        "assert install_tracing() is True\n"
        "import app\n"
        "assert not {'aws_xray_sdk', 'botocore'} & set(sys.modules), sorted(sys.modules)\n"
        "import boto3, botocore.config, botocore.exceptions\n"
        "client = boto3.client('s3', region_name='us-east-1', endpoint_url='http://127.0.0.1:9',\n"
        "                      config=botocore.config.Config(retries={'total_max_attempts': 1}, connect_timeout=1))\n"
        "assert 'aws_xray_sdk' not in sys.modules  # a client made is not yet a call\n"
        "try:\n"
        "    client.list_buckets()\n"
        "except botocore.exceptions.BotoCoreError:\n"
        "    pass\n"
        "assert hasattr(type(client)._make_api_call, '__wrapped__')  # X-Ray's wrapper, for this call on\n"
        "from aws_xray_sdk.core import patcher\n"
        "print(sorted(patcher._PATCHED_MODULES))\n"
    )
    env = {**os.environ, "TRACING": "true", "AWS_LAMBDA_FUNCTION_NAME": "social-api",
           "AWS_XRAY_CONTEXT_MISSING": "IGNORE_ERROR"}
    done = subprocess.run([sys.executable, "-c", probe], cwd=RUNTIME, env=env, capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "['botocore']"


def test_the_after_import_loader_can_be_copied_without_recursing() -> None:
    """copy (and pickle) make an instance without ``__init__`` and then ask it for ``__setstate__``: the loader's
    delegation must not look for its own ``loader`` through itself forever."""
    import copy
    import importlib.util

    from chalicelib.core.tracing import _ThenCall

    spec = importlib.util.find_spec("json")
    assert spec is not None and spec.loader is not None
    wrapped = _ThenCall(spec.loader, lambda module: None)
    copied = copy.copy(wrapped)
    assert copied.loader is spec.loader
    assert copied.get_source("json") == spec.loader.get_source("json")  # type: ignore[attr-defined]
