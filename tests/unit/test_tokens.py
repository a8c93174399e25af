"""Token verification: only tokens of our pool and client, signed, current and of the right use pass."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator

import jwt
import pytest

from chalicelib.core.errors import Unauthorized, Unavailable
from chalicelib.core.tokens import TokenVerifier
from tests.unit.jwks import CLIENT_ID, ISSUER, JwksServer, SigningKey, access_claims, jwks_server

KEY = SigningKey("key-1")


@pytest.fixture(scope="module")
def shared_server() -> Iterator[JwksServer]:
    with jwks_server(KEY) as running:
        yield running


@pytest.fixture
def server(shared_server: JwksServer) -> JwksServer:
    shared_server.keys[:] = [KEY]
    shared_server.fetches = 0
    return shared_server


@pytest.fixture
def verifier(server: JwksServer) -> TokenVerifier:
    return TokenVerifier(server.url, ISSUER, CLIENT_ID)


def test_a_valid_access_token_names_the_user_and_groups(verifier: TokenVerifier) -> None:
    principal = verifier.verify(KEY.sign(access_claims()))
    assert (principal.username, principal.user_id, principal.token_use) == ("alice", "sub-1", "access")
    assert principal.in_group("admins")


def test_a_valid_id_token_is_accepted_by_audience(verifier: TokenVerifier) -> None:
    claims = access_claims(token_use="id", aud=CLIENT_ID, **{"cognito:username": "bob"})
    del claims["client_id"], claims["username"]
    assert verifier.verify(KEY.sign(claims)).username == "bob"


def _refused(verifier: TokenVerifier, token: str) -> str:
    with pytest.raises(Unauthorized) as caught:
        verifier.verify(token)
    assert caught.value.status == 401
    return caught.value.code


def test_an_expired_token_is_refused(verifier: TokenVerifier) -> None:
    past = int(time.time()) - 3600
    assert _refused(verifier, KEY.sign(access_claims(iat=past - 600, exp=past))) == "token_expired"


def test_a_tampered_token_is_refused(verifier: TokenVerifier) -> None:
    header, payload, signature = KEY.sign(access_claims()).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["username"] = "mallory"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    assert _refused(verifier, f"{header}.{forged}.{signature}") == "invalid_token"


def test_a_token_signed_by_another_key_is_refused(verifier: TokenVerifier) -> None:
    stranger = SigningKey("key-1")  # same kid, other key: the signature must decide
    assert _refused(verifier, stranger.sign(access_claims())) == "invalid_token"
    assert _refused(verifier, SigningKey("unknown-kid").sign(access_claims())) == "invalid_token"


@pytest.mark.parametrize("overrides", [
    {"iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_OTHERPOOL"},
    {"client_id": "another-client"},
    {"token_use": "refresh"},
    {"username": ""},
])
def test_tokens_of_another_pool_client_or_use_are_refused(verifier: TokenVerifier, overrides: dict[str, str]) -> None:
    assert _refused(verifier, KEY.sign(access_claims(**overrides))) == "invalid_token"


def test_a_token_without_token_use_is_refused(verifier: TokenVerifier) -> None:
    claims = access_claims()
    del claims["token_use"]
    assert _refused(verifier, KEY.sign(claims)) == "invalid_token"


def test_unsigned_and_symmetric_tokens_are_refused(verifier: TokenVerifier) -> None:
    unsigned = jwt.encode(access_claims(), "", algorithm="none", headers={"kid": KEY.kid})
    assert _refused(verifier, unsigned) == "invalid_token"
    shared_secret = "a-secret-of-32-bytes-shared-with-nobody"
    hs256 = jwt.encode(access_claims(), shared_secret, algorithm="HS256", headers={"kid": KEY.kid})
    assert _refused(verifier, hs256) == "invalid_token"
    assert _refused(verifier, "not.a.jwt") == "invalid_token"


def test_the_key_set_is_fetched_once_and_refetched_for_a_rotated_key(server: JwksServer) -> None:
    verifier = TokenVerifier(server.url, ISSUER, CLIENT_ID, refetch_cooldown_seconds=0)
    for _ in range(50):
        verifier.verify(KEY.sign(access_claims()))
    assert server.fetches == 1
    rotated = SigningKey("key-2")
    server.keys.append(rotated)
    assert verifier.verify(rotated.sign(access_claims())).username == "alice"
    assert server.fetches == 2


def test_made_up_key_ids_cannot_hammer_the_key_set(server: JwksServer, verifier: TokenVerifier) -> None:
    verifier.verify(KEY.sign(access_claims()))
    for n in range(20):
        _refused(verifier, SigningKey(f"made-up-{n}", KEY.private).sign(access_claims()))
    assert server.fetches <= 2


def test_an_unreachable_key_set_is_a_503_not_a_401() -> None:
    verifier = TokenVerifier("http://127.0.0.1:9/jwks.json", ISSUER, CLIENT_ID, timeout_seconds=1)
    with pytest.raises(Unavailable) as caught:
        verifier.verify(KEY.sign(access_claims()))
    assert caught.value.status == 503


def test_a_federated_accounts_cognito_username_is_known_lower_cased(verifier: TokenVerifier) -> None:
    # Cognito names an account made by sign-in with Google 'Google_<sub>': the API's rule is lower-case.
    principal = verifier.verify(KEY.sign(access_claims(username="Google_109876543210987654321")))
    assert principal.username == "google_109876543210987654321"
    assert verifier.verify(KEY.sign(access_claims(username="Alice"))).username == "Alice"  # others: as they are
