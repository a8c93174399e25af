"""Tables on moto for a test, and the DynamoDB operations PynamoDB makes on them, in order.

Usage::

    @pytest.fixture
    def calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
        with counted_tables(monkeypatch, (UserModel, PostModel)) as made:
            yield made          # e.g. ["Query", "BatchGetItem"] after a feed page
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from moto import mock_aws
from pynamodb.connection.base import Connection
from pynamodb.models import Model


@contextmanager
def counted_tables(monkeypatch: pytest.MonkeyPatch, models: Iterable[type[Model]]) -> Iterator[list[str]]:
    """Creates ``models``' tables inside ``mock_aws`` and records every operation from then on."""
    tables = tuple(models)
    with mock_aws():
        for model in tables:
            model._connection = None  # a connection made before mock_aws would bypass it
            model.create_table(billing_mode="PAY_PER_REQUEST", wait=True)
        yield counted_calls(monkeypatch)
        for model in tables:
            model._connection = None


def counted_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The DynamoDB operations PynamoDB makes from now on (until ``monkeypatch`` undoes it), in order."""
    made: list[str] = []
    original = Connection._make_api_call

    def counted(self: Connection, operation_name: str, operation_kwargs: dict[str, Any]) -> Any:
        made.append(operation_name)
        return original(self, operation_name, operation_kwargs)

    monkeypatch.setattr(Connection, "_make_api_call", counted)
    return made
