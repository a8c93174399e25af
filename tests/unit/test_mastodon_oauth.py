"""The OAuth server's rules (chalicelib.mastodon.oauth) over the in-memory store and a fake identity provider."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field

import pytest

from chalicelib.auth.identity import Challenge, Tokens
from chalicelib.core import errors
from chalicelib.core.tokens import Principal
from chalicelib.mastodon.errors import OAuthError
from chalicelib.mastodon.oauth import (
    OOB,
    RATE_LIMIT,
    SYNC_EVERY,
    SYNC_SECONDS,
    Authority,
    MemoryStore,
    Token,
    digest,
    verify_pkce,
)

REDIRECT = "https://client.example/cb"


@dataclass
class FakeIdentity:
    """Cognito's part: one user 'ada'; refresh tokens it has revoked refresh no more."""

    revoked: set[str] = field(default_factory=set)
    refreshed: int = 0
    issued: int = 0

    def _tokens(self, refresh: str) -> Tokens:
        self.issued += 1
        return Tokens(access_token=f"access-{self.issued}", id_token="id", refresh_token=refresh, expires_in=3600)

    def login(self, username: str, password: str) -> Tokens | Challenge:
        if (username, password) == ("totp", "Correct-horse-1"):
            return Challenge("SOFTWARE_TOKEN_MFA", "session")
        if (username, password) != ("ada", "Correct-horse-1"):
            raise errors.Unauthorized("invalid_credentials", "wrong username, password or token")
        return self._tokens("cognito-refresh")

    def refresh(self, refresh_token: str) -> Tokens:
        if refresh_token in self.revoked:
            raise errors.Unauthorized("invalid_credentials", "wrong username, password or token")
        self.refreshed += 1
        return self._tokens(refresh_token)


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def _verify(access_token: str) -> Principal:
    return Principal(user_id="sub-ada", username="ada", groups=frozenset({"admins"}), token_use="access")


@pytest.fixture
def world() -> tuple[Authority, MemoryStore, FakeIdentity, Clock]:
    store, identity, clock = MemoryStore(), FakeIdentity(), Clock()
    return Authority(store, identity, verify=_verify, clock=clock), store, identity, clock


def _app(authority: Authority, scopes: str = "read write follow") -> tuple[str, str]:
    app, secret = authority.register_app("Tusky", [REDIRECT, OOB], scopes, None)
    return app.client_id, secret


def test_secrets_are_stored_only_as_hashes(world: tuple[Authority, MemoryStore, FakeIdentity, Clock]) -> None:
    authority, store, _, _ = world
    client_id, secret = _app(authority)
    issued = authority.password_grant(client_id, secret, "ada", "Correct-horse-1", "read")
    kept = repr(store.apps) + repr(store.tokens)
    assert secret not in kept and issued.access_token not in kept and str(issued.refresh_token) not in kept
    assert digest(issued.access_token) in store.tokens
    body = issued.body()
    assert (body["token_type"], body["scope"], body["created_at"]) == ("Bearer", "read", 1_700_000_000)


def test_a_token_names_its_user_and_counts_requests(world: tuple[Authority, MemoryStore, FakeIdentity, Clock]) -> None:
    authority, _, _, _ = world
    client_id, secret = _app(authority)
    token = authority.password_grant(client_id, secret, "ada", "Correct-horse-1", None).access_token
    first, second = authority.admit(token), authority.admit(token)
    assert first is not None and second is not None
    assert first.token.principal == Principal("sub-ada", "ada", frozenset({"admins"}), "mastodon")
    assert (first.used, second.used, second.remaining) == (1, 2, RATE_LIMIT - 2)
    assert authority.admit("made-up") is None


def test_the_rate_window_is_fixed_and_rolls_over(world: tuple[Authority, MemoryStore, FakeIdentity, Clock]) -> None:
    authority, _, _, clock = world
    client_id, secret = _app(authority)
    token = authority.password_grant(client_id, secret, "ada", "Correct-horse-1", None).access_token
    for _ in range(RATE_LIMIT):
        admission = authority.admit(token)
    assert admission is not None and not admission.exceeded and admission.remaining == 0
    over = authority.admit(token)
    assert over is not None and over.exceeded
    clock.now = over.reset_at + 1
    fresh = authority.admit(token)
    assert fresh is not None and (fresh.used, fresh.exceeded) == (1, False)


@dataclass
class CountingStore(MemoryStore):
    """The in-memory store, counting what reaches it (the DynamoDB store's UpdateItems)."""

    admits: list[int] = field(default_factory=list)

    def admit(self, token_hash: str, window_start: int, count: int = 1) -> tuple[Token, int] | None:
        self.admits.append(count)
        return super().admit(token_hash, window_start, count)


def test_a_process_writes_a_tokens_count_once_per_sync_every_requests_and_each_request_is_counted() -> None:
    store, clock = CountingStore(), Clock()
    authority = Authority(store, FakeIdentity(), verify=_verify, clock=clock)
    client_id, secret = _app(authority)
    token = authority.password_grant(client_id, secret, "ada", "Correct-horse-1", None).access_token
    used = [admission.used for admission in (authority.admit(token) for _ in range(25)) if admission is not None]
    assert used == list(range(1, 26))  # every request counted, whatever reached the store
    assert store.admits == [1, SYNC_EVERY, SYNC_EVERY]  # three UpdateItems for 25 requests
    assert next(iter(store.windows.values()))[1] == 1 + 2 * SYNC_EVERY  # the store lags by what is not synced yet
    # A quiet token is written again after SYNC_SECONDS, with what this process counted meanwhile.
    clock.now += SYNC_SECONDS
    assert authority.admit(token) is not None and store.admits[-1] == 25 - (1 + 2 * SYNC_EVERY) + 1


def test_a_revocation_is_seen_at_once_here_and_within_sync_seconds_by_another_process() -> None:
    store, clock = CountingStore(), Clock()
    here = Authority(store, FakeIdentity(), verify=_verify, clock=clock)
    elsewhere = Authority(store, FakeIdentity(), verify=_verify, clock=clock)  # another Lambda container
    client_id, secret = _app(here)
    first = here.password_grant(client_id, secret, "ada", "Correct-horse-1", None).access_token
    assert here.admit(first) is not None and elsewhere.admit(first) is not None
    here.revoke(client_id, secret, first)
    assert here.admit(first) is None  # this process forgot it with the revocation
    assert elsewhere.admit(first) is not None  # the other still admits it from memory ...
    clock.now += SYNC_SECONDS
    assert elsewhere.admit(first) is None  # ... until its next write finds the record revoked


def test_near_the_limit_every_request_is_written_so_the_limit_holds() -> None:
    store, clock = CountingStore(), Clock()
    authority = Authority(store, FakeIdentity(), verify=_verify, clock=clock)
    client_id, secret = _app(authority)
    token = authority.password_grant(client_id, secret, "ada", "Correct-horse-1", None).access_token
    admissions = [authority.admit(token) for _ in range(RATE_LIMIT + 1)]
    assert store.admits[-SYNC_EVERY:] == [1] * SYNC_EVERY  # one write per request at the end of the budget
    assert [a.exceeded for a in admissions if a is not None][-2:] == [False, True]


def test_the_cognito_session_is_refreshed_once_expired_and_a_refused_refresh_kills_the_token(
        world: tuple[Authority, MemoryStore, FakeIdentity, Clock]) -> None:
    authority, _, identity, clock = world
    client_id, secret = _app(authority)
    issued = authority.password_grant(client_id, secret, "ada", "Correct-horse-1", None)
    assert authority.admit(issued.access_token) is not None and identity.refreshed == 0
    clock.now += 3600
    admitted = authority.admit(issued.access_token)
    assert admitted is not None and identity.refreshed == 1
    assert admitted.token.user is not None and admitted.token.user.session.access_token == "access-2"
    assert authority.admit(issued.access_token) is not None and identity.refreshed == 1  # fresh again
    identity.revoked.add("cognito-refresh")  # the user signed out everywhere
    clock.now += 3600
    assert authority.admit(issued.access_token) is None
    assert authority.admit(issued.access_token) is None  # and stays refused


def test_the_password_grant_refuses_wrong_credentials_secrets_scopes_and_second_factors(
        world: tuple[Authority, MemoryStore, FakeIdentity, Clock]) -> None:
    authority, _, _, _ = world
    client_id, secret = _app(authority, "read")
    cases = [((client_id, secret, "ada", "wrong-password", None), "invalid_grant", 400),
             ((client_id, "not-the-secret", "ada", "Correct-horse-1", None), "invalid_client", 401),
             (("unknown", secret, "ada", "Correct-horse-1", None), "invalid_client", 401),
             ((client_id, secret, "ada", "Correct-horse-1", "write"), "invalid_scope", 400),
             ((client_id, secret, "ada", "Correct-horse-1", "read bogus"), "invalid_scope", 400),
             ((client_id, secret, "totp", "Correct-horse-1", None), "invalid_grant", 400)]
    for args, code, status in cases:
        with pytest.raises(OAuthError) as refused:
            authority.password_grant(*args)
        assert (refused.value.code, refused.value.status) == (code, status), args


def _code(authority: Authority, client_id: str, challenge: str | None = None, method: str | None = None) -> str:
    app = authority.app(client_id)
    assert app is not None
    return authority.authorize(app, REDIRECT, "read", authority.sign_in("ada", "Correct-horse-1"), challenge, method)


def test_a_code_works_once_for_its_client_and_redirect_uri_within_ten_minutes(
        world: tuple[Authority, MemoryStore, FakeIdentity, Clock]) -> None:
    authority, _, _, clock = world
    client_id, secret = _app(authority)
    other_id, other_secret = _app(authority)
    code = _code(authority, client_id)
    with pytest.raises(OAuthError, match="invalid"):
        authority.code_grant(client_id, secret, code, "https://elsewhere.example/cb", None)
    code = _code(authority, client_id)
    with pytest.raises(OAuthError):
        authority.code_grant(other_id, other_secret, code, REDIRECT, None)
    code = _code(authority, client_id)
    issued = authority.code_grant(client_id, secret, code, REDIRECT, None)
    assert issued.body()["scope"] == "read"
    with pytest.raises(OAuthError) as reused:
        authority.code_grant(client_id, secret, code, REDIRECT, None)
    assert reused.value.code == "invalid_grant"
    late = _code(authority, client_id)
    clock.now += 601
    with pytest.raises(OAuthError):
        authority.code_grant(client_id, secret, late, REDIRECT, None)


def test_pkce_s256_and_plain() -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"  # RFC 7636 appendix B
    challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    assert base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode() == challenge
    assert verify_pkce(verifier, challenge, "S256")
    assert not verify_pkce(verifier[:-1] + "l", challenge, "S256")
    assert verify_pkce(verifier, verifier, "plain") and not verify_pkce(verifier, challenge, "plain")
    assert not verify_pkce(None, challenge, "S256") and not verify_pkce("short", "short", "plain")
    assert verify_pkce(None, None, None) and not verify_pkce(verifier, None, None)


def test_the_code_grant_checks_the_verifier(world: tuple[Authority, MemoryStore, FakeIdentity, Clock]) -> None:
    authority, _, _, _ = world
    client_id, secret = _app(authority)
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    code = _code(authority, client_id, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "S256")
    with pytest.raises(OAuthError, match="verifier"):
        authority.code_grant(client_id, secret, code, REDIRECT, "x" * 43)
    code = _code(authority, client_id, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "S256")
    assert authority.code_grant(client_id, secret, code, REDIRECT, verifier).access_token
    app = authority.app(client_id)
    assert app is not None
    with pytest.raises(OAuthError, match="S256"):
        authority.authorize(app, REDIRECT, None, authority.sign_in("ada", "Correct-horse-1"), "c" * 43, "MD5")


def test_refresh_rotates_the_pair_and_revocation_ends_both(
        world: tuple[Authority, MemoryStore, FakeIdentity, Clock]) -> None:
    authority, _, _, _ = world
    client_id, secret = _app(authority)
    first = authority.password_grant(client_id, secret, "ada", "Correct-horse-1", "read")
    second = authority.refresh_grant(client_id, secret, first.refresh_token)
    assert authority.admit(first.access_token) is None and authority.admit(second.access_token) is not None
    with pytest.raises(OAuthError, match="refresh token"):
        authority.refresh_grant(client_id, secret, first.refresh_token)
    authority.revoke(client_id, secret, "unknown-token")  # RFC 7009: no error
    other_id, other_secret = _app(authority)
    authority.revoke(other_id, other_secret, second.access_token)  # another client's token: untouched
    assert authority.admit(second.access_token) is not None
    authority.revoke(client_id, secret, second.access_token)
    assert authority.admit(second.access_token) is None
    with pytest.raises(OAuthError):
        authority.refresh_grant(client_id, secret, second.refresh_token)


def test_an_app_token_has_no_user(world: tuple[Authority, MemoryStore, FakeIdentity, Clock]) -> None:
    authority, _, _, _ = world
    client_id, secret = _app(authority)
    issued = authority.client_grant(client_id, secret, "read")
    admitted = authority.admit(issued.access_token)
    assert admitted is not None and admitted.token.principal is None and issued.refresh_token is None


@pytest.mark.parametrize("uris", [[], ["not a uri"], ["https://x.example/cb#frag"], ["/relative"]])
def test_apps_need_absolute_redirect_uris(world: tuple[Authority, MemoryStore, FakeIdentity, Clock],
                                          uris: list[str]) -> None:
    with pytest.raises(ValueError, match="redirect_uris"):
        world[0].register_app("x", uris, "read", None)
