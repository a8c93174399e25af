"""Setting process environment variables and putting them back afterwards.

The runtime learns every physical name from ``os.environ``; the local platform
sets them for its own process and restores what was there when it stops, so a
test that starts a platform leaves no trace in the environment.

Usage::

    patch = EnvPatch()
    patch.update({"STAGE": "local"})
    ...
    patch.restore()
"""

from __future__ import annotations

import os
from collections.abc import Mapping


class EnvPatch:
    """Remembers the first previous value of every variable it sets."""

    def __init__(self) -> None:
        self._saved: dict[str, str | None] = {}

    def update(self, values: Mapping[str, str]) -> None:
        for name, value in values.items():
            if name not in self._saved:
                self._saved[name] = os.environ.get(name)
            os.environ[name] = value

    def restore(self) -> None:
        for name, previous in self._saved.items():
            if previous is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = previous
        self._saved.clear()
