"""Which backend a process searches with, by its environment."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from chalicelib.core.environment import SEARCH_ENDPOINT, SEARCH_SQLITE_FILE
from chalicelib.search.backends import SearchNotConfiguredError, backend
from chalicelib.search.local_backend import LocalSearchBackend


@pytest.fixture(autouse=True)
def fresh() -> Iterator[None]:
    backend.cache_clear()
    yield
    backend.cache_clear()


def test_the_local_platform_s_file_selects_the_embedded_backend(monkeypatch: pytest.MonkeyPatch,
                                                                 tmp_path: Path) -> None:
    monkeypatch.delenv(SEARCH_ENDPOINT, raising=False)
    monkeypatch.setenv(SEARCH_SQLITE_FILE, str(tmp_path / "search.db"))
    chosen = backend()
    assert isinstance(chosen, LocalSearchBackend) and chosen.path == str(tmp_path / "search.db")
    assert backend() is chosen  # one per process


def test_neither_variable_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SEARCH_ENDPOINT, raising=False)
    monkeypatch.delenv(SEARCH_SQLITE_FILE, raising=False)
    with pytest.raises(SearchNotConfiguredError):
        backend()
