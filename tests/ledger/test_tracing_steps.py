"""X-Ray in the ledger: an award's SQL statements are subsegments under the ``award`` step's subsegment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

from tests.ledger.events import like

RUNTIME = Path(__file__).resolve().parents[2] / "runtime"
PROBE = """
import json, sys
from aws_xray_sdk.core import xray_recorder
from chalicelib.core.tracing import install_tracing
from chalicelib.ledger.earning import apply_event
from chalicelib.ledger.rules import Rules

assert install_tracing()
segment = xray_recorder.begin_segment("award_coins")  # what Lambda's facade segment is in AWS

def tree(entity):
    return {"name": entity.name, "sql": bool(getattr(entity, "sql", None)),
            "annotations": dict(entity.annotations), "children": [tree(s) for s in entity.subsegments]}

paid = apply_event(json.loads(sys.argv[1]), Rules(), sys.argv[2])
print(json.dumps({"paid": paid, "segment": tree(segment)}))
"""


def test_an_award_traces_its_sql_under_the_award_step(ledger_url: str) -> None:
    # In a child process: patching botocore and SQLAlchemy is process-wide and must not leak into other tests.
    event = like("post-traced", "ada_traced", "bob_traced", date(2026, 3, 2))
    env = {**os.environ, "TRACING": "true", "AWS_LAMBDA_FUNCTION_NAME": "social-test-award_coins",
           "AWS_XRAY_CONTEXT_MISSING": "IGNORE_ERROR", "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:9"}
    done = subprocess.run([sys.executable, "-c", PROBE, json.dumps(event), ledger_url], cwd=RUNTIME, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["paid"] > 0
    steps = [child for child in result["segment"]["children"] if child["name"] == "award"]
    assert len(steps) == 1
    assert steps[0]["annotations"] == {"step": "award"}
    statements = [child for child in steps[0]["children"] if child["sql"]]
    assert statements, steps[0]  # the SELECT ... FOR UPDATE, the INSERTs of the transfer and its outbox row
