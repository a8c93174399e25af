"""Cold start: importing the app (every route and handler) loads no database library; handlers import it lazily."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

RUNTIME = Path(__file__).resolve().parents[2] / "runtime"
DATABASE_LIBRARIES = ("sqlalchemy", "alembic", "psycopg")


def test_importing_the_app_loads_no_database_library() -> None:
    probe = ("import sys, app; "
             f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({DATABASE_LIBRARIES!r})))")
    loaded = subprocess.run([sys.executable, "-c", probe], cwd=RUNTIME, capture_output=True, text=True,
                            check=True, timeout=60, env={"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "us-east-1"})
    assert loaded.stdout.strip() == "[]", loaded.stdout + loaded.stderr
