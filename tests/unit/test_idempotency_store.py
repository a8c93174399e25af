"""The DynamoDB idempotency store itself, against moto in-process: the rules, and the claim/release race."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from moto import mock_aws
from pynamodb.exceptions import PutError

from chalicelib.core.errors import Conflict, Unprocessable
from chalicelib.core.idempotency import DynamoIdempotencyStore, StoredAnswer
from chalicelib.core.idempotency_model import IdempotencyModel


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> Iterator[DynamoIdempotencyStore]:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        IdempotencyModel._connection = None  # a connection made before mock_aws would bypass it
        IdempotencyModel.create_table(read_capacity_units=1, write_capacity_units=1, wait=True)
        yield DynamoIdempotencyStore()
        IdempotencyModel._connection = None


def test_a_first_claim_wins_and_a_retry_gets_the_stored_answer(store: DynamoIdempotencyStore) -> None:
    assert store.claim("k", "h1") is None
    with pytest.raises(Conflict):  # still running
        store.claim("k", "h1")
    store.complete("k", StoredAnswer(201, '{"id":1}'))
    assert store.claim("k", "h1") == StoredAnswer(201, '{"id":1}')
    with pytest.raises(Unprocessable):  # same key, another request
        store.claim("k", "h2")


def test_a_released_key_may_be_claimed_again(store: DynamoIdempotencyStore) -> None:
    assert store.claim("k", "h1") is None
    store.release("k")
    assert store.claim("k", "h1") is None


def test_a_key_released_between_the_failed_put_and_the_read_is_claimed(
        store: DynamoIdempotencyStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """The other request fails and releases its key just after our conditional put lost: we now own the key."""
    assert store.claim("k", "h1") is None  # the other request
    original = IdempotencyModel.save
    released: list[str] = []

    def save_then_release(self: IdempotencyModel, *args: Any, **kwargs: Any) -> Any:
        try:
            return original(self, *args, **kwargs)
        except PutError:
            if not released:
                store.release("k")
                released.append("k")
            raise

    monkeypatch.setattr(IdempotencyModel, "save", save_then_release)
    assert store.claim("k", "h1") is None
    assert released == ["k"]
    with pytest.raises(Conflict):  # and it is ours: a third request sees it in progress
        store.claim("k", "h1")
