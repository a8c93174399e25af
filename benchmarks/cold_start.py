"""Cold import of the API handler module, as a fresh Lambda process pays it.

Runs ``python -X importtime -c "import app"`` in new processes (bytecode cached,
as in a deployed package) and prints the median cumulative import time of
``app`` and of the heaviest modules it pulls in. It runs this machine's interpreter and wheels
(the dev environment's), not the arm64 package the functions deploy: a relative figure, for
comparing changes to the imports, not Graviton's cold start.

It also prints, from the same run, the import with telemetry on (Powertools' service and namespace
set, tracing on, as the stack sets them; outside Lambda, so X-Ray is not patched: in Lambda it is, and
that figure is printed too) beside the naive eager import of the same libraries: boto3, pynamodb,
SQLAlchemy, PyJWT, pydantic, Chalice, ``aws_xray_sdk`` with botocore and SQLAlchemy patched, and
Powertools' ``Logger()``, ``Metrics()`` and ``Tracer()``. Goal: under 0.4 of the naive import. And
what the first log line and the first metrics flush cost (Powertools imported then, not at import).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from pathlib import Path

RUNTIME = Path(__file__).resolve().parent.parent / "runtime"
RUNS = 9
GOAL = 0.4
TELEMETRY_ENV = {"POWERTOOLS_SERVICE_NAME": "social", "POWERTOOLS_METRICS_NAMESPACE": "Social", "TRACING": "true",
                 "LOG_LEVEL": "INFO", "AWS_XRAY_CONTEXT_MISSING": "IGNORE_ERROR"}
IN_LAMBDA = {"AWS_LAMBDA_FUNCTION_NAME": "social-bench-api_handler"}
NAIVE = """
import boto3, pynamodb.models, sqlalchemy.orm, jwt, pydantic, chalice.app
from aws_xray_sdk.core import patch
patch(["botocore", "sqlalchemy_core"])
from aws_lambda_powertools import Logger, Metrics, Tracer
Logger(); Metrics(namespace="Social"); Tracer()
"""
FIRST_LINE = """
from chalicelib.core import metric_names, metrics
from chalicelib.core.logs import get_logger, invocation
start = time.perf_counter()
with invocation("bench"):
    token = metrics.begin()
    get_logger("chalicelib.bench").info("first line")
    metrics.count(metric_names.LIKES_ADDED)
    metrics.end(token)
"""


def _import_times(module: str) -> dict[str, int]:
    completed = subprocess.run([sys.executable, "-X", "importtime", "-c", f"import {module}"], cwd=RUNTIME,
                               capture_output=True, text=True, check=True)
    cumulative: dict[str, int] = {}
    for line in completed.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative_us, name = (part.strip() for part in line.removeprefix("import time:").split("|"))
        cumulative[name] = int(cumulative_us)
    return cumulative


def _timed(code: str, env: dict[str, str]) -> float:
    """Milliseconds ``code`` takes in a fresh process (from its first statement: interpreter start-up aside)."""
    probe = f"import time, sys\nstart = time.perf_counter()\n{code}\nprint((time.perf_counter() - start) * 1000)"
    done = subprocess.run([sys.executable, "-c", probe], cwd=RUNTIME, capture_output=True, text=True, check=True,
                          env={**os.environ, **env})
    return float(done.stdout.strip().splitlines()[-1])


def _median(code: str, env: dict[str, str]) -> float:
    _timed(code, env)  # bytecode cached first
    return statistics.median(_timed(code, env) for _ in range(RUNS))


def telemetry() -> None:
    """The API module's cold import with telemetry on, beside the naive eager import (same run)."""
    on = _median("import app", TELEMETRY_ENV)
    in_lambda = _median("import app", TELEMETRY_ENV | IN_LAMBDA)
    naive = _median(NAIVE, TELEMETRY_ENV | IN_LAMBDA)
    first = _median(FIRST_LINE, TELEMETRY_ENV)  # it restarts the clock once its modules are imported
    verdict = "met" if on / naive < GOAL else "NOT met"
    print(f"cold import, telemetry on (median of {RUNS} processes): app.py {on:.0f} ms; naive eager import of "
          f"the same libraries {naive:.0f} ms; ratio {on / naive:.2f} (goal < {GOAL}: {verdict})")
    print(f"  in Lambda with TRACING on (X-Ray SDK imported, botocore patched; SQLAlchemy as the ledger connects): "
          f"{in_lambda:.0f} ms, "
          f"ratio {in_lambda / naive:.2f}")
    print(f"  the first log line and metrics flush (Powertools imported then): {first:.0f} ms, on the first invocation")


def main() -> None:
    _import_times("app")  # warm the bytecode cache
    runs = [_import_times("app") for _ in range(RUNS)]
    total = statistics.median(run["app"] for run in runs) / 1000
    print(f"cold import of the API handler module (app.py), median of {RUNS} processes: {total:.0f} ms")
    heavy = ["chalice.app", "pydantic", "jwt", "boto3", "botocore", "pynamodb.models", "chalicelib.core.routes",
             "chalicelib.auth.routes", "chalicelib.users.routes"]
    for name in heavy:
        samples = [run[name] for run in runs if name in run]
        if samples:
            print(f"  {name:<28} {statistics.median(samples) / 1000:7.1f} ms (cumulative, where first imported)")
    telemetry()


if __name__ == "__main__":
    main()
