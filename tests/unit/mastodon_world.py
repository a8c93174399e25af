"""A world for the Mastodon face's route tests: the real app through Chalice's test client, the domain's tables on
moto (in-process), the OAuth server on its in-memory store with an identity provider that knows everyone, and
the embedded search backend in a temporary file.

Usage (in a test module)::

    from tests.unit.mastodon_world import World, dynamodb, world  # noqa: F401 (fixtures)

    def test_x(world: World) -> None:
        world.user("ada"); world.user("bob")
        status, body = world.call("GET", "/api/v1/accounts/bob", as_user="ada")
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from chalice.test import Client
from moto import mock_aws
from pynamodb.models import Model

from app import app
from chalicelib.auth.identity import Tokens
from chalicelib.core import transactions
from chalicelib.core.environment import SEARCH_ENDPOINT, SEARCH_SQLITE_FILE
from chalicelib.core.tokens import Principal
from chalicelib.feed.models import TimelineModel
from chalicelib.mastodon import routing
from chalicelib.mastodon.oauth import OOB, Authority, MemoryStore
from chalicelib.media.models import MediaModel
from chalicelib.notifications.models import NotificationModel, PreferencesModel
from chalicelib.posts.models import InteractionModel, PostModel
from chalicelib.search import backends
from chalicelib.users.models import FollowModel, UserModel

MODELS: tuple[type[Model], ...] = (UserModel, FollowModel, TimelineModel, PostModel, InteractionModel, MediaModel,
                                   NotificationModel, PreferencesModel)
PASSWORD = "Correct-horse-1"


class EveryoneIdentity:
    """Cognito's part: every username signs in with ``PASSWORD``; its access token names the user."""

    def login(self, username: str, password: str) -> Tokens:
        assert password == PASSWORD
        return Tokens(access_token=f"access:{username}", id_token="id", refresh_token=f"refresh:{username}",
                      expires_in=3600)

    def refresh(self, refresh_token: str) -> Tokens:
        username = refresh_token.removeprefix("refresh:")
        return Tokens(access_token=f"access:{username}", id_token="id", refresh_token=refresh_token, expires_in=3600)


def verify(access_token: str) -> Principal:
    username = access_token.removeprefix("access:")
    return Principal(user_id=f"sub-{username}", username=username, groups=frozenset(), token_use="access")


@pytest.fixture(scope="module")
def dynamodb() -> Iterator[None]:
    """The tables, made once per module."""
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("AWS_ENDPOINT_URL", raising=False)
        with mock_aws():
            transactions._connections.clear()
            for model in MODELS:
                model._connection = None  # a connection made before mock_aws would bypass it
                model.create_table(read_capacity_units=1, write_capacity_units=1)
            yield
            for model in MODELS:
                model._connection = None
            transactions._connections.clear()


@dataclass
class World:
    client: Client
    authority: Authority
    tokens: dict[tuple[str, str], str]

    def user(self, name: str, display_name: str | None = None, bio: str = "",
             created_at: datetime = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)) -> UserModel:
        profile = UserModel(name, user_id=f"sub-{name}", email=f"{name}@example.org",
                            display_name=display_name or name.title(), bio=bio, created_at=created_at)
        profile.save()
        return profile

    def token(self, username: str, scopes: str = "read write follow") -> str:
        if (username, scopes) not in self.tokens:
            app_, secret = self.authority.register_app("Tusky", [OOB], "read write follow push", None)
            issued = self.authority.password_grant(app_.client_id, secret, username, PASSWORD, scopes)
            self.tokens[(username, scopes)] = issued.access_token
        return self.tokens[(username, scopes)]

    def request(self, method: str, path: str, *, as_user: str | None = None, scopes: str = "read write follow",
                form: dict[str, Any] | None = None, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> Any:
        sent = dict(headers or {})
        if as_user is not None:
            sent["Authorization"] = f"Bearer {self.token(as_user, scopes)}"
        payload = body or b""
        if form is not None:
            payload = urlencode(form, doseq=True).encode()
            sent.setdefault("Content-Type", "application/x-www-form-urlencoded")
        return self.client.http.request(method, path, headers=sent, body=payload)

    def call(self, method: str, path: str, **options: Any) -> tuple[int, Any]:
        """The status and the JSON body (None when empty)."""
        answer = self.request(method, path, **options)
        return answer.status_code, json.loads(answer.body) if answer.body else None


@pytest.fixture
def world(dynamodb: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """Empty tables, an empty search index, a fresh OAuth server."""
    for model in MODELS:
        with model.batch_write() as batch:
            for item in model.scan():
                batch.delete(item)
    monkeypatch.delenv(SEARCH_ENDPOINT, raising=False)
    monkeypatch.setenv(SEARCH_SQLITE_FILE, str(tmp_path / "search.db"))
    backends.backend.cache_clear()
    authority = Authority(MemoryStore(), EveryoneIdentity(), verify=verify)
    routing.use_authority(authority)
    with Client(app) as client:
        yield World(client, authority, {})
    routing.use_authority(None)
    backends.backend.cache_clear()
