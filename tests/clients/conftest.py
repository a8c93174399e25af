"""Real client libraries against the local platform (``python -m local``), as their users would run them."""

from __future__ import annotations

from tests.e2e.conftest import platform  # noqa: F401 (the session's platform fixture)
