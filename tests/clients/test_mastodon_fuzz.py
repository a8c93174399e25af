"""Schemathesis over every ``/api`` route of the Mastodon face on ``python -m local``: no input gets a 5xx.

The document is generated in this process from the face's routes (``chalicelib.mastodon.openapi``), so each
route the face gains is fuzzed without this file changing. Requests carry a valid token with every scope
(the fuzzer's own account). Phases: examples, coverage (boundary values, missing and wrong-typed parameters,
unexpected methods) and fuzzing; the only check is ``not_a_server_error`` (Mastodon's answers are checked
against Mastodon's entity definitions elsewhere: ``tests/clients/test_mastodon_scenario.py``).
``MASTODON_FUZZ_EXAMPLES`` bounds the cases per operation (default 6); ``FUZZ_SEED`` picks the seed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.clients.mastodon_client import sign_in
from tests.e2e.conftest import RunningPlatform, register_and_login

EXAMPLES = int(os.environ.get("MASTODON_FUZZ_EXAMPLES", "6"))


def _document(target: Path) -> int:
    import stacks  # noqa: F401  (puts runtime/ on sys.path, as Lambda has it)
    from app import app
    from chalicelib.mastodon.openapi import build_mastodon_openapi

    document = build_mastodon_openapi(app, prefixes=("/api/",))
    target.write_text(json.dumps(document))
    return sum(len(methods) for methods in document["paths"].values())


def test_no_generated_request_to_the_mastodon_api_gets_a_server_error(platform: RunningPlatform,
                                                                       tmp_path: Path) -> None:
    operations = _document(tmp_path / "mastodon.json")
    assert operations >= 5
    token = sign_in(platform, register_and_login(platform, "mfuzz"), app_name="fuzz").api.access_token
    command = [
        sys.executable, "-m", "schemathesis.cli", "run", str(tmp_path / "mastodon.json"), "--url", platform.url,
        "--header", f"Authorization: Bearer {token}",
        "--phases", "examples,coverage,fuzzing", "--checks", "not_a_server_error",
        "--max-examples", str(EXAMPLES), "--seed", os.environ.get("FUZZ_SEED", "20261130"),
        "--workers", "1", "--generation-database", "none", "--request-timeout", "30", "--no-color",
    ]
    # Its own folder: schemathesis may leave reports or caches in the working directory.
    run = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False)
    summary = run.stdout[-6000:]
    assert run.returncode == 0, summary
    assert " passed" in summary and "generated" in summary, summary
