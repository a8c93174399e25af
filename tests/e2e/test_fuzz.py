"""Schemathesis against the OpenAPI document the running platform serves: no input gets a 5xx.

Every phase that runs offline: examples (the document has none yet, so it is skipped),
coverage (boundary values, missing and wrong-typed fields, unexpected methods), fuzzing
(random valid and invalid requests) and stateful (chains of calls: register, post, comment,
like, read back). Authenticated operations get a real bearer token. Checks:
``not_a_server_error`` and ``response_schema_conformance`` (every answer's body matches the
schema the document gives its status: the documents come from the same pydantic models
that render the answers). ``FUZZ_EXAMPLES`` bounds the cases per operation (default 8:
about 650 cases, some 25 s); a bigger run: ``FUZZ_EXAMPLES=200 pytest tests/e2e/test_fuzz.py``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import RunningPlatform, User, register_and_login

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "8"))


@pytest.fixture(scope="module")
def fuzzer(platform: RunningPlatform) -> User:
    return register_and_login(platform, "fuzz")


def test_no_generated_request_gets_a_server_error(platform: RunningPlatform, fuzzer: User, tmp_path: Path) -> None:
    command = [
        sys.executable, "-m", "schemathesis.cli", "run", platform.api("/openapi.json"),
        "--header", f"Authorization: Bearer {fuzzer.tokens['access_token']}",
        "--phases", "examples,coverage,fuzzing,stateful",
        "--checks", "not_a_server_error,response_schema_conformance",
        "--max-examples", str(EXAMPLES), "--seed", os.environ.get("FUZZ_SEED", "20261130"),
        "--workers", "1", "--generation-database", "none", "--request-timeout", "30", "--no-color",
    ]
    # Its own folder: schemathesis may leave reports or caches in the working directory.
    run = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=540, check=False)
    summary = run.stdout[-6000:]
    assert run.returncode == 0, summary
    assert " passed" in summary and "generated" in summary, summary
