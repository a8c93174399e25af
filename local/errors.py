"""The one error the local platform raises for a configuration it cannot start with.

Its message is meant for the person starting the platform: ``python -m local``
prints it as ``cannot start: <message>`` and exits with status 1, no traceback.
"""

from __future__ import annotations


class StartupError(RuntimeError):
    """The platform cannot start as configured; the message says why and what to change."""
