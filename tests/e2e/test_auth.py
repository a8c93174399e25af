"""Sign-up and sign-in end to end: register, log in, call a protected route, refresh."""

from __future__ import annotations

import base64
import gzip
import json
import time
from pathlib import Path
from typing import Any

import boto3
import jwt
import moto
import pytest
import requests

from tests.e2e.conftest import RunningPlatform, User, new_username, register_and_login


@pytest.fixture(scope="module")
def ada(platform: RunningPlatform) -> User:
    return register_and_login(platform, "ada", display_name="Ada L.")


def error_code(response: requests.Response) -> str:
    document = response.json()
    assert set(document) == {"error"} and document["error"]["message"]
    return str(document["error"]["code"])


def claims_of(token: str) -> dict[str, Any]:
    return dict(jwt.decode(token, options={"verify_signature": False}))


def test_register_login_and_read_my_profile(platform: RunningPlatform, ada: User) -> None:
    assert set(ada.tokens) == {"access_token", "id_token", "refresh_token", "expires_in"}
    me = requests.get(platform.api("/users/me"), headers=ada.headers, timeout=10)
    assert me.status_code == 200, me.text
    profile = me.json()
    assert profile["username"] == ada.username
    assert profile["display_name"] == "Ada L."
    assert (profile["followers_count"], profile["following_count"], profile["posts_count"]) == (0, 0, 0)
    assert profile["created_at"].endswith("Z") or "+00:00" in profile["created_at"]


def test_the_id_token_is_accepted_too(platform: RunningPlatform, ada: User) -> None:
    headers = {"Authorization": f"Bearer {ada.tokens['id_token']}"}
    assert requests.get(platform.api("/users/me"), headers=headers, timeout=10).status_code == 200


def test_a_refresh_token_yields_new_working_tokens(platform: RunningPlatform, ada: User) -> None:
    refreshed = requests.post(platform.api("/auth/refresh"), json={"refresh_token": ada.tokens["refresh_token"]},
                              timeout=10)
    assert refreshed.status_code == 200, refreshed.text
    tokens = refreshed.json()
    # A new token, not the old one handed back: its own id (Cognito's ``jti``), whatever second it was issued in.
    new, old = claims_of(tokens["access_token"]), claims_of(ada.tokens["access_token"])
    assert new["jti"] != old["jti"]
    assert new["iat"] >= old["iat"] and new["exp"] >= old["exp"]
    assert new["username"] == old["username"]
    me = requests.get(platform.api("/users/me"), headers={"Authorization": f"Bearer {tokens['access_token']}"},
                      timeout=10)
    assert me.status_code == 200 and me.json()["username"] == ada.username
    bad = requests.post(platform.api("/auth/refresh"), json={"refresh_token": "not-a-refresh-token"}, timeout=10)
    assert bad.status_code == 401


def _moto_signing_key() -> Any:
    path = Path(moto.__file__).parent / "cognitoidp" / "resources" / "jwks-private.json.gz"
    document = json.loads(gzip.decompress(path.read_bytes()))
    key = document["keys"][0] if "keys" in document else document
    return jwt.PyJWK(key).key, key.get("kid")


def _me_with(platform: RunningPlatform, token: str | None) -> requests.Response:
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    return requests.get(platform.api("/users/me"), headers=headers, timeout=10)


def test_a_missing_token_is_a_401(platform: RunningPlatform) -> None:
    response = _me_with(platform, None)
    assert response.status_code == 401
    assert error_code(response) == "missing_token"


def test_an_expired_token_is_a_401(platform: RunningPlatform, ada: User) -> None:
    # Same pool, same key, same claims, but expired an hour ago: only expiry differs.
    key, kid = _moto_signing_key()
    claims = claims_of(ada.tokens["access_token"])
    claims.update(iat=int(time.time()) - 7200, exp=int(time.time()) - 3600)
    expired = jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})
    response = _me_with(platform, expired)
    assert response.status_code == 401
    assert error_code(response) == "token_expired"


def test_a_tampered_token_is_a_401(platform: RunningPlatform, ada: User) -> None:
    header, payload, signature = ada.tokens["access_token"].split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["username"] = "admin"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    response = _me_with(platform, f"{header}.{forged}.{signature}")
    assert response.status_code == 401
    assert error_code(response) == "invalid_token"


def test_a_token_from_another_user_pool_is_a_401(platform: RunningPlatform) -> None:
    # A genuine token, signed by the same moto key, but issued by another pool.
    cognito = boto3.client("cognito-idp", endpoint_url=platform.aws_endpoint, region_name="us-east-1",
                           aws_access_key_id="testing", aws_secret_access_key="testing")
    pool = cognito.create_user_pool(PoolName="someone-elses")["UserPool"]["Id"]
    client = cognito.create_user_pool_client(UserPoolId=pool, ClientName="theirs",
                                             ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH",
                                                                "ALLOW_REFRESH_TOKEN_AUTH"])["UserPoolClient"]
    username = new_username("eve")
    cognito.sign_up(ClientId=client["ClientId"], Username=username, Password="Correct-horse-42")
    cognito.admin_confirm_sign_up(UserPoolId=pool, Username=username)
    auth = cognito.initiate_auth(ClientId=client["ClientId"], AuthFlow="USER_PASSWORD_AUTH",
                                 AuthParameters={"USERNAME": username, "PASSWORD": "Correct-horse-42"})
    response = _me_with(platform, auth["AuthenticationResult"]["AccessToken"])
    assert response.status_code == 401
    assert error_code(response) == "invalid_token"


def test_a_garbage_or_non_bearer_token_is_a_401(platform: RunningPlatform) -> None:
    assert _me_with(platform, "garbage").status_code == 401
    response = requests.get(platform.api("/users/me"), headers={"Authorization": "Basic YWRhOnB3"}, timeout=10)
    assert response.status_code == 401


def test_a_taken_username_is_a_409(platform: RunningPlatform, ada: User) -> None:
    body = {"username": ada.username, "email": "other@example.org", "password": "Correct-horse-42"}
    response = requests.post(platform.api("/auth/register"), json=body, timeout=10)
    assert response.status_code == 409
    assert error_code(response) == "username_taken"


@pytest.mark.parametrize(("change", "code"), [
    ({"password": "short"}, "weak_password"),
    ({"password": "alllowercase-and-long"}, "weak_password"),
    ({"username": "Bad Name"}, "validation_failed"),
    ({"username": "ab"}, "validation_failed"),
    ({"email": "not-an-email"}, "validation_failed"),
    ({"nickname": "extra"}, "validation_failed"),
    ({"password": 12345678901}, "validation_failed"),
])
def test_invalid_registrations_are_a_422(platform: RunningPlatform, change: dict[str, Any], code: str) -> None:
    body = {"username": new_username(), "email": "x@example.org", "password": "Correct-horse-42", **change}
    response = requests.post(platform.api("/auth/register"), json=body, timeout=10)
    assert response.status_code == 422, response.text
    assert error_code(response) == code


def test_a_wrong_password_or_unknown_user_is_the_same_401(platform: RunningPlatform, ada: User) -> None:
    wrong = requests.post(platform.api("/auth/login"), json={"username": ada.username, "password": "Wrong-pass-42"},
                          timeout=10)
    unknown = requests.post(platform.api("/auth/login"),
                            json={"username": new_username(), "password": "Wrong-pass-42"}, timeout=10)
    assert wrong.status_code == unknown.status_code == 401
    assert error_code(wrong) == error_code(unknown) == "invalid_credentials"


def test_malformed_json_is_a_400_and_unknown_routes_a_404(platform: RunningPlatform) -> None:
    malformed = requests.post(platform.api("/auth/login"), data=b'{"username": "ada"',
                              headers={"Content-Type": "application/json"}, timeout=10)
    assert malformed.status_code == 400
    assert error_code(malformed) == "malformed_json"
    missing = requests.get(platform.api("/no/such/route"), timeout=10)
    assert missing.status_code == 404
    assert error_code(missing) == "not_found"


def test_the_openapi_document_is_served(platform: RunningPlatform) -> None:
    document = requests.get(platform.api("/openapi.json"), timeout=10).json()
    assert document["openapi"].startswith("3.")
    assert "/v1/auth/register" in document["paths"]
