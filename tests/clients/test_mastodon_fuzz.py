"""Schemathesis over every ``/api`` route of the Mastodon face on ``python -m local``: no input gets a 5xx.

The document is generated in this process from the face's routes (``chalicelib.mastodon.openapi``), so each
route the face gains is fuzzed without this file changing. Requests carry a valid token with every scope
(the fuzzer's own account), renewed whenever it is throttled (``tests/clients/mastodon_fuzz_hooks.py``). The
only check is ``not_a_server_error`` (Mastodon's answers are checked against Mastodon's entity definitions
elsewhere: ``tests/clients/test_mastodon_scenario.py``).

By default the examples and fuzzing phases run, ``MASTODON_FUZZ_EXAMPLES`` cases per operation (5: some
350 cases, about 25 s on a busy 2-core machine). The coverage phase (boundary values, missing and wrong-typed
parameters, unexpected methods: some 2,300 cases, a minute) is for a deeper run:
``MASTODON_FUZZ_PHASES=examples,coverage,fuzzing MASTODON_FUZZ_EXAMPLES=50 pytest tests/clients/test_mastodon_fuzz.py``.
``FUZZ_SEED`` picks the seed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.clients.mastodon_client import sign_in
from tests.e2e.conftest import ROOT, RunningPlatform, register_and_login

EXAMPLES = int(os.environ.get("MASTODON_FUZZ_EXAMPLES", "5"))
PHASES = os.environ.get("MASTODON_FUZZ_PHASES", "examples,fuzzing")


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
    fuzzer = sign_in(platform, register_and_login(platform, "mfuzz"), app_name="fuzz")
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.clients.mastodon_fuzz_hooks",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
           "MASTODON_FUZZ_URL": platform.url, "MASTODON_FUZZ_CLIENT_ID": fuzzer.client_id,
           "MASTODON_FUZZ_CLIENT_SECRET": fuzzer.client_secret, "MASTODON_FUZZ_USERNAME": fuzzer.user.username,
           "MASTODON_FUZZ_PASSWORD": fuzzer.user.password}
    command = [
        sys.executable, "-m", "schemathesis.cli", "run", str(tmp_path / "mastodon.json"), "--url", platform.url,
        "--phases", PHASES, "--checks", "not_a_server_error",
        "--max-examples", str(EXAMPLES), "--seed", os.environ.get("FUZZ_SEED", "20261130"),
        "--workers", "1", "--generation-database", "none", "--request-timeout", "30", "--no-color",
    ]
    # Its own folder: schemathesis may leave reports or caches in the working directory.
    run = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False)
    summary = run.stdout[-6000:]
    print(summary[-1500:])  # the figures (operations, cases), shown with -s
    assert run.returncode == 0, summary
    assert " passed" in summary and "generated" in summary, summary
    assert "Rate limited" not in summary, summary  # a throttled run tests nothing
