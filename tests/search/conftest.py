"""The behavioural suite's backends: every test here runs against each one named in ``BACKENDS``.

Only the embedded backend can run here (no OpenSearch server can be installed on these machines);
the OpenSearch adapter is held to its requests by recorded expectations instead
(``test_opensearch_requests.py``). A backend that can run elsewhere joins by adding its name and
its factory below.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from chalicelib.search.local_backend import LocalSearchBackend
from chalicelib.search.port import SearchBackend

Factory = Callable[[Path], SearchBackend]


def _local(directory: Path) -> SearchBackend:
    return LocalSearchBackend(str(directory / "search.db"))


BACKENDS: dict[str, Factory] = {"local": _local}


@pytest.fixture(params=sorted(BACKENDS))
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SearchBackend]:
    """A fresh, empty backend of each kind."""
    made = BACKENDS[request.param](tmp_path)
    yield made
    close = getattr(made, "close", None)
    if callable(close):
        close()
