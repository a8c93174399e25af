"""As an attacker would: taking a username around the API, or someone else's profile, and input that used to 500."""

from __future__ import annotations

import base64
import json
from typing import Any

import boto3
import jwt
import pytest
import requests
from botocore.exceptions import ClientError

from tests.e2e.conftest import RunningPlatform, User, new_username, register_and_login

PASSWORD = "Correct-horse-42"


def _pool_of(user: User) -> tuple[str, str]:
    """``(pool id, public client id)`` of the platform's user pool, as any client can read them from a token."""
    claims = jwt.decode(user.tokens["access_token"], options={"verify_signature": False})
    return str(claims["iss"]).rsplit("/", 1)[1], str(claims["client_id"])


@pytest.fixture(scope="module")
def bea(platform: RunningPlatform) -> User:
    return register_and_login(platform, "bea")


@pytest.fixture(scope="module")
def cognito(platform: RunningPlatform) -> Any:
    return boto3.client("cognito-idp", endpoint_url=platform.aws_endpoint, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def _code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Code"])


@pytest.mark.parametrize("name", ["\u0430da_{}", "Ada_{}", "ada.{}", "ada-{}", "ada_{} ", "ad", "x" * 31])
def test_signing_up_straight_against_the_pool_applies_the_username_rule(cognito: Any, bea: User, name: str) -> None:
    _, client_id = _pool_of(bea)
    with pytest.raises(ClientError) as refused:
        cognito.sign_up(ClientId=client_id, Username=name.format(new_username("h")[-6:]), Password=PASSWORD,
                        UserAttributes=[{"Name": "email", "Value": "eve@example.org"}])
    assert _code(refused) == "UserLambdaValidationException"
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert "PreSignUp failed with error username must be" in str(refused.value)


def test_admin_create_user_applies_the_username_rule_too(cognito: Any, bea: User) -> None:
    pool_id, _ = _pool_of(bea)
    with pytest.raises(ClientError) as refused:
        cognito.admin_create_user(UserPoolId=pool_id, Username="Admin\u0430", MessageAction="SUPPRESS")
    assert _code(refused) == "UserLambdaValidationException"


def test_a_good_name_signs_up_straight_against_the_pool(cognito: Any, bea: User) -> None:
    _, client_id = _pool_of(bea)
    answer = cognito.sign_up(ClientId=client_id, Username=new_username("direct"), Password=PASSWORD,
                             UserAttributes=[{"Name": "email", "Value": "direct@example.org"}])
    assert answer["UserSub"]


def test_registering_a_homoglyph_over_http_is_a_422(platform: RunningPlatform) -> None:
    response = requests.post(platform.api("/auth/register"), timeout=10, json={
        "username": "\u0430da_" + new_username("x")[-6:], "email": "a@example.org", "password": PASSWORD})
    assert response.status_code == 422


def _login(platform: RunningPlatform, username: str) -> dict[str, str]:
    answer = requests.post(platform.api("/auth/login"), json={"username": username, "password": PASSWORD}, timeout=10)
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def test_a_new_account_with_an_old_username_owns_nothing_and_registering_it_leaves_no_account(
        platform: RunningPlatform, cognito: Any) -> None:
    ada = register_and_login(platform, "ada")
    pool_id, client_id = _pool_of(ada)
    assert requests.post(platform.api("/posts"), json={"content": "mine"}, headers=ada.headers,
                         timeout=10).status_code == 201
    # The account goes from the pool; somebody signs up with the name again, around the API.
    cognito.admin_delete_user(UserPoolId=pool_id, Username=ada.username)
    cognito.sign_up(ClientId=client_id, Username=ada.username, Password=PASSWORD,
                    UserAttributes=[{"Name": "email", "Value": "impostor@example.org"}])
    cognito.admin_confirm_sign_up(UserPoolId=pool_id, Username=ada.username)
    impostor = _login(platform, ada.username)
    for method, path, body in [("GET", "/users/me", None), ("PATCH", "/users/me", {"bio": "taken over"}),
                               ("POST", "/posts", {"content": "as ada"}), ("GET", "/wallet", None),
                               ("GET", "/feed", None), ("PUT", "/users/nobody_here/follow", None)]:
        response = requests.request(method, platform.api(path), json=body, headers=impostor, timeout=10)
        assert response.status_code == 401, (method, path, response.text)
        assert response.json()["error"]["code"] == "account_mismatch"
    # The old token (still unexpired) is the owner's: the profile is unchanged.
    assert requests.get(platform.api("/users/me"), headers=ada.headers, timeout=10).json()["bio"] == ""
    # Registering the name through the API: the profile is taken (409), and no account is left behind.
    cognito.admin_delete_user(UserPoolId=pool_id, Username=ada.username)
    again = requests.post(platform.api("/auth/register"), timeout=10, json={
        "username": ada.username, "email": "again@example.org", "password": PASSWORD})
    assert again.status_code == 409, again.text
    with pytest.raises(ClientError) as gone:
        cognito.admin_get_user(UserPoolId=pool_id, Username=ada.username)
    assert _code(gone) == "UserNotFoundException"


def _unverified_token(header: dict[str, Any]) -> str:
    def segment(document: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(document).encode()).decode().rstrip("=")

    return f"{segment(header)}.{segment({'sub': 'x'})}.c2ln"


@pytest.mark.parametrize("kid", [1, ["a"], {"a": 1}])
def test_a_token_whose_kid_is_not_a_string_is_a_401(platform: RunningPlatform, kid: Any) -> None:
    token = _unverified_token({"alg": "RS256", "kid": kid})
    response = requests.get(platform.api("/users/me"), headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_token"


def test_deeply_nested_json_is_a_400(platform: RunningPlatform, bea: User) -> None:
    body = "[" * 30_000 + "]" * 30_000  # under the 64 KiB body limit, far beyond the parser's stack
    for path, headers in [("/auth/login", {}), ("/posts", bea.headers)]:
        response = requests.post(platform.api(path), data=body, timeout=10,
                                 headers={"Content-Type": "application/json", **headers})
        assert response.status_code == 400, (path, response.text)


def test_confirming_an_empty_username_is_a_422(platform: RunningPlatform) -> None:
    response = requests.post(platform.api("/auth/confirm"), json={"username": "", "code": "123456"}, timeout=10)
    assert response.status_code == 422, response.text


def test_text_with_bidi_overrides_or_only_zero_width_characters_is_a_422(platform: RunningPlatform,
                                                                         bea: User) -> None:
    for content in ["evil \u202egnp.exe", "\u200b\u200d\ufeff ", "nul\x00"]:
        response = requests.post(platform.api("/posts"), json={"content": content}, headers=bea.headers, timeout=10)
        assert response.status_code == 422, (content, response.text)
    response = requests.patch(platform.api("/users/me"), json={"display_name": "\u2066Bea\u2069"},
                              headers=bea.headers, timeout=10)
    assert response.status_code == 422


def test_a_callers_correlation_id_is_echoed_beside_the_servers_request_id(platform: RunningPlatform) -> None:
    response = requests.get(platform.api("/health"), headers={"X-Correlation-Id": "mine-1"}, timeout=10)
    assert response.headers["X-Correlation-Id"] == "mine-1"
    assert response.headers["X-Request-Id"] not in {"", "mine-1"}
