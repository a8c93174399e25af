"""The admin account: confirmed, in the admins group, with its profile; a generated or a given password."""

from __future__ import annotations

import os
from dataclasses import replace
from typing import Any

import jwt
import pytest
from chalice.app import Chalice

from chalicelib.auth.rules import password_problems
from chalicelib.core.declarations import Manifest, PasswordPolicy
from chalicelib.resources import USER_POOL, USERS
from chalicelib.users.models import UserModel
from local.admin import generate_password
from local.errors import StartupError
from local.platform import LocalPlatform

GIVEN = "Given-Admin-42"


def _login(platform: LocalPlatform, password: str) -> dict[str, Any]:
    pool = platform.provisioned.user_pool  # type: ignore[union-attr]
    assert pool is not None
    answer = platform.clients.cognito.initiate_auth(ClientId=pool.client_id, AuthFlow="USER_PASSWORD_AUTH",
                                                    AuthParameters={"USERNAME": "admin", "PASSWORD": password})
    assert "ChallengeName" not in answer, "the password must be permanent: no new-password challenge"
    return dict(answer["AuthenticationResult"])


def _verified_claims(token: str) -> dict[str, Any]:
    keys = jwt.PyJWKClient(os.environ["JWKS_URL"])
    return dict(jwt.decode(token, keys.get_signing_key_from_jwt(token).key, algorithms=["RS256"],
                           issuer=os.environ["TOKEN_ISSUER"], options={"verify_aud": False}))


def _users_platform(password: str | None, prefix: str) -> LocalPlatform:
    pool = replace(USER_POOL, pre_sign_up=None)  # this bare app has no pre-sign-up function
    return LocalPlatform(port=0, app=Chalice(app_name="admin"), manifest=Manifest(tables=(USERS,), user_pool=pool),
                         prefix=prefix, pump=False, reset_on_stop=False, admin_password=password)


def test_generated_password_admin_logs_in_with_the_admins_group(platform: LocalPlatform) -> None:
    """The package's platform: its pool wants 12 characters and a symbol; no users table, so no profile."""
    admin = platform.admin
    assert admin is not None and admin.generated and not admin.profile
    assert password_problems(admin.password, platform.provisioned.user_pool.declaration.password_policy) == []  # type: ignore[union-attr]

    claims = _verified_claims(_login(platform, admin.password)["AccessToken"])

    assert claims["username"] == "admin"
    assert claims["sub"] == admin.user_id
    assert claims["cognito:groups"] == ["admins"]
    banner = "\n".join(platform.describe())
    assert "admin        admin (admin@example.org, group admins)" in banner
    assert f"  password {admin.password}   (generated for this start; set LOCAL_ADMIN_PASSWORD" in banner


def test_given_password_admin_with_profile_and_groups_in_both_tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOCAL_ADMIN_PASSWORD", GIVEN)
    with _users_platform(None, "admin-given-") as platform:
        tokens = _login(platform, GIVEN)
        access, identity = _verified_claims(tokens["AccessToken"]), _verified_claims(tokens["IdToken"])
        profile = UserModel.get("admin", consistent_read=True)
        user = platform.clients.cognito.admin_get_user(UserPoolId=os.environ["USER_POOL_ID"], Username="admin")
        banner = "\n".join(platform.describe())

    assert access["cognito:groups"] == identity["cognito:groups"] == ["admins"]
    assert user["UserStatus"] == "CONFIRMED"
    assert {"Name": "email_verified", "Value": "true"} in user["UserAttributes"]
    assert (profile.user_id, profile.email, profile.display_name) == (access["sub"], "admin@example.org", "Admin")
    assert "admin        admin (admin@example.org, group admins, profile in the users table)" in banner
    assert "  password from LOCAL_ADMIN_PASSWORD" in banner
    assert GIVEN not in banner


@pytest.mark.parametrize(("password", "problem"), [
    ("Short-1", "it must be at least 10 characters"),
    ("no-capitals-here-42", "it must contain an uppercase letter"),
    ("No-Digits-Anywhere", "it must contain a digit"),
])
def test_a_password_the_pool_refuses_stops_the_start_clearly(password: str, problem: str) -> None:
    endpoint_before = os.environ.get("AWS_ENDPOINT_URL")
    platform = _users_platform(password, "admin-refused-")
    with pytest.raises(StartupError) as refused:
        platform.start()

    message = str(refused.value)
    assert message.startswith("LOCAL_ADMIN_PASSWORD breaks the user pool's password policy: ")
    assert problem in message
    assert "unset it to get a generated password" in message
    assert password not in message
    assert os.environ.get("AWS_ENDPOINT_URL") == endpoint_before  # nothing left behind


@pytest.mark.parametrize("policy", [PasswordPolicy(), PasswordPolicy(min_length=30, require_symbols=True),
                                    PasswordPolicy(min_length=6, require_uppercase=False, require_numbers=False)])
def test_generated_passwords_satisfy_the_policy_and_differ(policy: PasswordPolicy) -> None:
    passwords = {generate_password(policy) for _ in range(50)}

    assert len(passwords) == 50
    assert all(password_problems(p, policy) == [] for p in passwords)
    assert all(len(p) >= max(20, policy.min_length) for p in passwords)
