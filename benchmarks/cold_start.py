"""Cold import of the API handler module, as a fresh Lambda process pays it.

Runs ``python -X importtime -c "import app"`` in new processes (bytecode cached, as in the deployed
package: ``make package`` precompiles it; the children may write it even where the environment says
``PYTHONDONTWRITEBYTECODE``) and prints the median cumulative import time of
``app`` and of the heaviest modules it pulls in. It runs this machine's interpreter and wheels
(the dev environment's), not the arm64 package the functions deploy: a relative figure, for
comparing changes to the imports, not Graviton's cold start.

It also prints, from the same run, the import with telemetry on (the libraries' settings every function
gets, ``LIBRARY_SETTINGS``, and tracing on, as the stack sets them; outside Lambda, and in Lambda, where
X-Ray is installed to patch botocore on the first AWS call) beside the naive eager import of the same
libraries: boto3, pynamodb, SQLAlchemy, PyJWT, pydantic, Chalice, ``aws_xray_sdk`` with botocore and
SQLAlchemy patched, and Powertools' ``Logger()``, ``Metrics()`` and ``Tracer()``. Goals: under 0.4 of
the naive import (issue 12), at most 0.3 (issue 14). And what the first log line and the first metrics
flush cost (Powertools imported then, not at import).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from pathlib import Path

from local import RUNTIME_DIR

if str(RUNTIME_DIR) not in sys.path:  # importing local already did it; the runtime import below needs it
    sys.path.insert(0, str(RUNTIME_DIR))

from chalicelib.core.environment import LIBRARY_SETTINGS

RUNTIME = Path(__file__).resolve().parent.parent / "runtime"
RUNS = 9
GOALS = (0.4, 0.3)
TELEMETRY_ENV = {**LIBRARY_SETTINGS, "TRACING": "true", "LOG_LEVEL": "INFO", "AWS_XRAY_CONTEXT_MISSING": "IGNORE_ERROR"}


def _environment(extra: dict[str, str]) -> dict[str, str]:
    """This process's environment with ``extra``, where bytecode is written (and so, after the first run, read)."""
    return {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"} | extra
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
                               capture_output=True, text=True, check=True, env=_environment(TELEMETRY_ENV))
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
                          env=_environment(env))
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
    verdicts = ", ".join(f"goal <= {goal}: {'met' if on / naive <= goal else 'NOT met'}" for goal in GOALS)
    print(f"cold import, telemetry on (median of {RUNS} processes): app.py {on:.0f} ms; naive eager import of "
          f"the same libraries {naive:.0f} ms; ratio {on / naive:.2f} ({verdicts})")
    print(f"  in Lambda with TRACING on (X-Ray SDK imported and botocore patched on the first AWS call; SQLAlchemy "
          f"as the ledger connects): {in_lambda:.0f} ms, ratio {in_lambda / naive:.2f}")
    print(f"  the first log line and metrics flush (Powertools imported then): {first:.0f} ms, on the first invocation")


def main() -> None:
    _import_times("app")  # warm the bytecode cache
    runs = [_import_times("app") for _ in range(RUNS)]
    total = statistics.median(run["app"] for run in runs) / 1000
    print(f"cold import of the API handler module (app.py), median of {RUNS} processes: {total:.0f} ms")
    heavy = ["chalice.app", "pydantic", "chalicelib.core.declarations", "chalicelib.core.routes",
             "chalicelib.auth.routes", "chalicelib.users.routes", "jwt", "boto3", "botocore", "pynamodb.models",
             "sqlalchemy", "aws_xray_sdk", "aws_lambda_powertools"]
    for name in heavy:
        samples = [run[name] for run in runs if name in run]
        figure = f"{statistics.median(samples) / 1000:7.1f} ms (cumulative, where first imported)" if samples else (
            "    not imported (loaded on first use)")
        print(f"  {name:<28} {figure}")
    telemetry()


if __name__ == "__main__":
    main()
