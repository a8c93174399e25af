"""Registration leaves no Cognito account behind when anything after sign-up fails."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from chalicelib.auth import registration
from chalicelib.auth.identity import Tokens
from chalicelib.core.errors import Conflict, Unavailable
from chalicelib.resources import USER_POOL
from chalicelib.users.models import UserModel


@dataclass
class FakeIdentity:
    """An identity provider that records accounts; ``fail_confirm`` makes confirmation fail."""

    fail_confirm: bool = False
    accounts: set[str] = field(default_factory=set)

    def sign_up(self, username: str, email: str, password: str) -> str:
        self.accounts.add(username)
        return f"sub-{username}"

    def confirm(self, username: str, code: str) -> None:
        raise NotImplementedError

    def admin_confirm(self, username: str) -> None:
        if self.fail_confirm:
            raise Unavailable("identity_unavailable", "down")

    def delete(self, username: str) -> None:
        self.accounts.discard(username)

    def login(self, username: str, password: str) -> Tokens:
        raise NotImplementedError

    def refresh(self, refresh_token: str) -> Tokens:
        raise NotImplementedError

    def revoke(self, refresh_token: str) -> bool:
        raise NotImplementedError


def register(identity: FakeIdentity) -> UserModel:
    return registration.register(identity, USER_POOL.password_policy, username="ada_1", email="ada@example.org",
                                 password="Correct-horse-1", display_name=None, auto_confirm=True)


def test_a_failed_confirmation_deletes_the_account(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registration, "create_profile", lambda *a: pytest.fail("no profile without an account"))
    identity = FakeIdentity(fail_confirm=True)
    with pytest.raises(Unavailable):
        register(identity)
    assert identity.accounts == set()


def test_a_failed_profile_creation_deletes_the_account(monkeypatch: pytest.MonkeyPatch) -> None:
    def clash(*args: object) -> UserModel:
        raise Conflict("username_taken", "taken")

    monkeypatch.setattr(registration, "create_profile", clash)
    identity = FakeIdentity()
    with pytest.raises(Conflict):
        register(identity)
    assert identity.accounts == set()


def test_a_successful_registration_keeps_the_account(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registration, "create_profile",
                        lambda username, user_id, email, display_name: UserModel(username, user_id=user_id))
    identity = FakeIdentity()
    assert register(identity).user_id == "sub-ada_1"
    assert identity.accounts == {"ada_1"}
