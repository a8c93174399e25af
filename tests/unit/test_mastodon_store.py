"""The DynamoDB OAuth store against moto in-process: one call per request in the steady state, codes once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from moto import mock_aws

from chalicelib.mastodon.models import MastodonAppModel, MastodonCodeModel, MastodonTokenModel
from chalicelib.mastodon.oauth import App, Code, Session, Token, User
from chalicelib.mastodon.store import DynamoOAuthStore
from tests.dynamo_calls import counted_calls

ADA = User("sub-ada", "ada", frozenset({"admins"}), Session("cognito-access", "cognito-refresh", 1_700_003_600))
MODELS = (MastodonAppModel, MastodonCodeModel, MastodonTokenModel)


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> Iterator[DynamoOAuthStore]:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        for model in MODELS:
            model._connection = None  # a connection made before mock_aws would bypass it
            model.create_table(read_capacity_units=1, write_capacity_units=1, wait=True)
        yield DynamoOAuthStore()
        for model in MODELS:
            model._connection = None


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    return counted_calls(monkeypatch)


def test_admission_is_one_update_item_and_returns_the_whole_record(store: DynamoOAuthStore, calls: list[str]) -> None:
    store.put_token(Token("h1", "access", "client", frozenset({"read", "write"}), 1_700_000_000, ADA, pair="r1"))
    store.admit("h1", 1_700_000_100)  # the first request of the window starts it
    calls.clear()
    found = store.admit("h1", 1_700_000_100)
    assert calls == ["UpdateItem"]
    assert found is not None
    token, used = found
    assert used == 2 and token.user == ADA and token.scopes == {"read", "write"} and token.pair == "r1"


def test_a_new_window_starts_the_count_again(store: DynamoOAuthStore, calls: list[str]) -> None:
    store.put_token(Token("h1", "access", "client", frozenset({"read"}), 1_700_000_000, ADA))
    for _ in range(3):
        store.admit("h1", 1_700_000_100)
    calls.clear()
    assert store.admit("h1", 1_700_000_400) == (store.get_token("h1"), 1)
    assert calls[:2] == ["UpdateItem", "UpdateItem"]  # the rolled-over window costs a second conditional update


def test_revoked_unknown_and_refresh_tokens_are_not_admitted(store: DynamoOAuthStore) -> None:
    store.put_token(Token("h1", "access", "client", frozenset({"read"}), 1_700_000_000, ADA))
    store.put_token(Token("r1", "refresh", "client", frozenset({"read"}), 1_700_000_000, ADA))
    assert store.admit("r1", 1_700_000_100) is None and store.admit("nope", 1_700_000_100) is None
    revoked = store.revoke("h1", 1_700_600_000)
    assert revoked is not None and revoked.revoked
    assert store.admit("h1", 1_700_000_100) is None
    assert store.revoke("nope", 1_700_600_000) is None
    assert MastodonTokenModel.get("h1").expires_at is not None  # the table's TTL removes it later


def test_a_code_is_taken_once(store: DynamoOAuthStore) -> None:
    code = Code("c1", "client", "https://x.example/cb", frozenset({"read"}), ADA, "challenge", "S256", 1_700_000_600)
    store.put_code(code)
    assert store.take_code("c1") == code
    assert store.take_code("c1") is None


def test_apps_and_sessions_round_trip(store: DynamoOAuthStore) -> None:
    app = App("client", "secret-hash", "Tusky", ("https://x.example/cb", "urn:ietf:wg:oauth:2.0:oob"),
              frozenset({"read", "push"}), None, 1_700_000_000)
    store.put_app(app)
    assert store.get_app("client") == app and store.get_app("other") is None
    store.put_token(Token("h1", "access", "client", frozenset({"read"}), 1_700_000_000, ADA))
    renewed = User("sub-ada", "ada", frozenset(), Session("new-access", "cognito-refresh", 1_700_007_200))
    store.set_session("h1", renewed)
    token = store.get_token("h1")
    assert token is not None and token.user == renewed
