"""A Mastodon token lives on its Cognito session: refreshed server-side once Cognito's access token has expired,
and refused once Cognito refuses the session (signed out everywhere). Cognito is moto's, in-process."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import jwt
import pytest
from moto import mock_aws

from chalicelib.auth.identity import CognitoIdentity
from chalicelib.core.tokens import Principal
from chalicelib.mastodon.oauth import Authority, MemoryStore
from tests.unit.test_mastodon_oauth import Clock

PASSWORD = "Correct-horse-1"


def _claims(access_token: str) -> Principal:
    # Cognito's signature is checked by the route layer's verifier (tests/unit/test_tokens.py); here, who it names.
    claims: dict[str, Any] = jwt.decode(access_token, options={"verify_signature": False})
    return Principal(claims["sub"], claims["username"], frozenset(claims.get("cognito:groups", [])), "access")


@pytest.fixture
def cognito(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, str, CognitoIdentity]]:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        client = boto3.client("cognito-idp", region_name="us-east-1")
        pool = client.create_user_pool(PoolName="users")["UserPool"]["Id"]
        app_client = client.create_user_pool_client(UserPoolId=pool, ClientName="api",
                                                    ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH",
                                                                       "ALLOW_REFRESH_TOKEN_AUTH"])
        client_id = app_client["UserPoolClient"]["ClientId"]
        client.sign_up(ClientId=client_id, Username="ada", Password=PASSWORD)
        client.admin_confirm_sign_up(UserPoolId=pool, Username="ada")
        yield client, pool, CognitoIdentity(pool, client_id, client)


def test_an_expired_session_is_refreshed_and_a_signed_out_one_ends_the_token(
        cognito: tuple[Any, str, CognitoIdentity]) -> None:
    client, pool, identity = cognito
    clock = Clock()
    authority = Authority(MemoryStore(), identity, verify=_claims, clock=clock)
    app, secret = authority.register_app("Tusky", ["urn:ietf:wg:oauth:2.0:oob"], "read", None)
    issued = authority.password_grant(app.client_id, secret, "ada", PASSWORD, None)
    first = authority.admit(issued.access_token)
    assert first is not None and first.token.user is not None
    session = first.token.user.session

    clock.now += 3600  # Cognito's access token has expired
    refreshed = authority.admit(issued.access_token)
    assert refreshed is not None and refreshed.token.user is not None
    assert refreshed.token.user.session.access_token != session.access_token
    assert refreshed.token.user.session.expires_at == int(clock.now) + 3600
    assert refreshed.token.principal is not None and refreshed.token.principal.username == "ada"

    client.admin_user_global_sign_out(UserPoolId=pool, Username="ada")
    clock.now += 3600
    assert authority.admit(issued.access_token) is None
