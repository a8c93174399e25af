"""Cold import of the API handler module, as a fresh Lambda process pays it.

Runs ``python -X importtime -c "import app"`` in new processes (bytecode cached,
as in a deployed package) and prints the median cumulative import time of
``app`` and of the heaviest modules it pulls in. It runs this machine's interpreter and wheels
(the dev environment's), not the arm64 package the functions deploy: a relative figure, for
comparing changes to the imports, not Graviton's cold start.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
from pathlib import Path

RUNTIME = Path(__file__).resolve().parent.parent / "runtime"
RUNS = 9


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


if __name__ == "__main__":
    main()
