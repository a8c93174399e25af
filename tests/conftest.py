"""Shared test set-up: the runtime is imported as Lambda imports it (``runtime/`` on sys.path)."""

from __future__ import annotations

import os

# Fake credentials: no test may ever reach a real AWS account.
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("AWS_REGION", "us-east-1")
