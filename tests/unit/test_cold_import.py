"""Cold start: importing the app (every route and handler) loads no heavy library; each loads on first use.

The API function imports every route group and every event handler to know them, but a request needs one
route group's domain: AWS clients, table models, token checks, the database, image and video codecs,
telemetry and X-Ray come with the first call that uses them (``chalicelib.core.lazy``). `make bench`
times the import; this says what it must not pull in, in Lambda with tracing on as the stack runs it.
The Mastodon face's routes likewise register without their entities and renderers (pydantic models built
from the records), and the other route groups without their domain's records (dataclasses).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

RUNTIME = Path(__file__).resolve().parents[2] / "runtime"
LOADED_ON_FIRST_USE = (
    "boto3", "botocore", "pynamodb", "jwt", "cryptography",  # AWS clients, table models, token checks
    "sqlalchemy", "alembic", "psycopg",  # the ledger's database
    "PIL", "av", "pillow_heif", "blurhash",  # media processing
    "aws_xray_sdk", "aws_lambda_powertools", "wrapt",  # telemetry and tracing
    "opensearchpy",  # the search engine's client
)
OWN_MODULES_LOADED_ON_FIRST_USE = (
    "chalicelib.mastodon.entities", "chalicelib.mastodon.statuses", "chalicelib.mastodon.notifications",
    "chalicelib.mastodon.relationships",  # the Mastodon face's answers
    "chalicelib.search.port",  # the search backends' documents and pages
    "chalicelib.auth.identity", "chalicelib.integrations.keys", "chalicelib.ledger.rules",  # domain records
    "chalicelib.core.environment_build",  # how the platforms build the environment (the runtime reads names)
    "email",  # multipart bodies (Mastodon media uploads) only
    "html",  # the Mastodon OAuth consent page and entities
)


@pytest.mark.parametrize("environment", [
    {},
    {"TRACING": "true", "AWS_LAMBDA_FUNCTION_NAME": "social-dev-api_handler", "POWERTOOLS_SERVICE_NAME": "social"},
], ids=["plain", "lambda-traced"])
def test_importing_the_app_loads_no_heavy_library(environment: dict[str, str]) -> None:
    probe = ("import sys, app; "
             f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({LOADED_ON_FIRST_USE!r})"
             f" | set(sys.modules) & set({OWN_MODULES_LOADED_ON_FIRST_USE!r})))")
    loaded = subprocess.run([sys.executable, "-c", probe], cwd=RUNTIME, capture_output=True, text=True, timeout=60,
                            env={"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "us-east-1", **environment})
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.strip() == "[]", loaded.stdout
