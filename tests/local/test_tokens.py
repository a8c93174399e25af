"""The user pool as provisioned on moto: its password policy, groups, and tokens that verify against its JWKS."""

from __future__ import annotations

import os
from typing import Any

import jwt
import pytest
from botocore.exceptions import ClientError

from local.platform import LocalPlatform


def _tokens(platform: LocalPlatform, username: str, password: str) -> dict[str, Any]:
    pool = platform.provisioned.user_pool  # type: ignore[union-attr]
    assert pool is not None
    cognito = platform.clients.cognito
    cognito.sign_up(ClientId=pool.client_id, Username=username, Password=password,
                    UserAttributes=[{"Name": "email", "Value": f"{username}@example.com"}])
    cognito.admin_confirm_sign_up(UserPoolId=pool.pool_id, Username=username)
    cognito.admin_add_user_to_group(UserPoolId=pool.pool_id, Username=username, GroupName="admins")
    answer = cognito.initiate_auth(ClientId=pool.client_id, AuthFlow="USER_PASSWORD_AUTH",
                                   AuthParameters={"USERNAME": username, "PASSWORD": password})
    return dict(answer["AuthenticationResult"])


def test_runtime_environment_names_the_pool(platform: LocalPlatform) -> None:
    pool = platform.provisioned.user_pool  # type: ignore[union-attr]
    assert pool is not None
    assert os.environ["USER_POOL_ID"] == pool.pool_id
    assert os.environ["USER_POOL_CLIENT_ID"] == pool.client_id
    assert os.environ["JWKS_URL"] == f"{platform.aws_endpoint}/{pool.pool_id}/.well-known/jwks.json"
    assert os.environ["TOKEN_ISSUER"] == f"https://cognito-idp.us-east-1.amazonaws.com/{pool.pool_id}"
    assert os.environ["AUTO_CONFIRM_SIGNUP"] == "true"
    assert os.environ["STAGE"] == "local"
    assert os.environ["JOBS_QUEUE_URL"] == platform.provisioned.queues["jobs"].url  # type: ignore[union-attr]
    assert os.environ["PUMP_ITEMS_TABLE"] == "pumptest-pump-items"


def test_declared_password_policy_is_enforced(platform: LocalPlatform) -> None:
    pool = platform.provisioned.user_pool  # type: ignore[union-attr]
    assert pool is not None
    with pytest.raises(ClientError) as refused:  # 12 characters and a symbol are declared
        platform.clients.cognito.sign_up(ClientId=pool.client_id, Username="weak", Password="Abcdefgh1234",
                                         UserAttributes=[{"Name": "email", "Value": "weak@example.com"}])
    assert refused.value.response["Error"]["Code"] == "InvalidPasswordException"


def test_moto_tokens_verify_against_the_served_jwks(platform: LocalPlatform) -> None:
    tokens = _tokens(platform, "carol", "Str0ng-Password!")
    keys = jwt.PyJWKClient(os.environ["JWKS_URL"])
    issuer = os.environ["TOKEN_ISSUER"]
    client_id = os.environ["USER_POOL_CLIENT_ID"]

    access_token = tokens["AccessToken"]
    access = jwt.decode(access_token, keys.get_signing_key_from_jwt(access_token).key,
                        algorithms=["RS256"], issuer=issuer, options={"verify_aud": False})
    identity = jwt.decode(tokens["IdToken"], keys.get_signing_key_from_jwt(tokens["IdToken"]).key,
                          algorithms=["RS256"], issuer=issuer, audience=client_id)

    assert access["token_use"] == "access"
    assert access["username"] == "carol"
    assert access["client_id"] == client_id
    assert access["cognito:groups"] == ["admins"]
    assert identity["token_use"] == "id"
    assert identity["cognito:username"] == "carol"
    assert identity["aud"] == client_id
    assert identity["cognito:groups"] == ["admins"]
    assert "RefreshToken" in tokens

    tampered = access_token[:-6] + ("AAAAAA" if not access_token.endswith("AAAAAA") else "BBBBBB")
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(tampered, keys.get_signing_key_from_jwt(tampered).key, algorithms=["RS256"],
                   issuer=issuer, options={"verify_aud": False})
