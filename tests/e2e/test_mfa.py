"""TOTP multi-factor sign-in end to end on the local platform: enrol, be challenged, answer.

The local platform tells moto to check codes (it accepts any code otherwise), so these tests compute
real RFC 6238 codes from the secret the API hands out, as a person's authenticator app would.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import requests

from tests.e2e.conftest import RunningPlatform, User, register_and_login, start_platform
from tests.totp import totp, wrong_code

ADMIN_PASSWORD = "Admin-pass-2027"


def _post(platform: RunningPlatform, path: str, body: dict[str, Any] | None = None,
          token: str | None = None) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.post(platform.api(path), json=body, headers=headers, timeout=10)


def _code(response: requests.Response) -> str:
    return str(response.json()["error"]["code"])


def enrol(platform: RunningPlatform, user: User) -> str:
    """Turn TOTP on for ``user``; the secret, as the authenticator app keeps it."""
    started = _post(platform, "/auth/mfa/totp", token=user.tokens["access_token"])
    assert started.status_code == 201, started.text
    secret = started.json()["secret"]
    verified = _post(platform, "/auth/mfa/totp/verify", {"code": totp(secret)}, user.tokens["access_token"])
    assert verified.status_code == 200, verified.text
    assert verified.json() == {"enabled": True}
    return str(secret)


def sign_in_with_code(platform: RunningPlatform, username: str, password: str, secret: str) -> dict[str, Any]:
    challenged = _post(platform, "/auth/login", {"username": username, "password": password})
    assert challenged.status_code == 200, challenged.text
    body = challenged.json()
    assert set(body) == {"challenge", "session"} and body["challenge"] == "SOFTWARE_TOKEN_MFA"
    answered = _post(platform, "/auth/mfa/challenge",
                     {"username": username, "session": body["session"], "code": totp(secret)})
    assert answered.status_code == 200, answered.text
    return dict(answered.json())


def test_enrolment_hands_out_a_secret_and_a_key_uri(platform: RunningPlatform) -> None:
    user = register_and_login(platform, "otp")
    started = _post(platform, "/auth/mfa/totp", token=user.tokens["access_token"])
    assert started.status_code == 201, started.text
    body = started.json()
    uri = urlparse(body["otpauth_uri"])
    assert (uri.scheme, uri.netloc) == ("otpauth", "totp") and user.username in uri.path
    assert parse_qs(uri.query)["secret"] == [body["secret"]]
    # Not in force until a code is verified: sign-in still gives tokens straight away.
    plain = _post(platform, "/auth/login", {"username": user.username, "password": user.password})
    assert plain.status_code == 200 and "access_token" in plain.json()


def test_a_wrong_first_code_enables_nothing(platform: RunningPlatform) -> None:
    user = register_and_login(platform, "otp")
    secret = _post(platform, "/auth/mfa/totp", token=user.tokens["access_token"]).json()["secret"]
    refused = _post(platform, "/auth/mfa/totp/verify", {"code": wrong_code(secret)}, user.tokens["access_token"])
    assert (refused.status_code, _code(refused)) == (422, "invalid_code")
    malformed = _post(platform, "/auth/mfa/totp/verify", {"code": "12ab56"}, user.tokens["access_token"])
    assert malformed.status_code == 422
    plain = _post(platform, "/auth/login", {"username": user.username, "password": user.password})
    assert "access_token" in plain.json()


def test_enrolment_needs_the_access_token(platform: RunningPlatform) -> None:
    user = register_and_login(platform, "otp")
    assert _post(platform, "/auth/mfa/totp").status_code == 401
    with_id_token = _post(platform, "/auth/mfa/totp", token=user.tokens["id_token"])
    assert (with_id_token.status_code, _code(with_id_token)) == (401, "access_token_required")


def test_once_enrolled_sign_in_asks_for_a_code_and_the_code_gives_working_tokens(platform: RunningPlatform) -> None:
    user = register_and_login(platform, "otp")
    secret = enrol(platform, user)
    # Sessions from before the second factor end: their refresh token no longer works.
    stale = _post(platform, "/auth/refresh", {"refresh_token": user.tokens["refresh_token"]})
    assert stale.status_code == 401, stale.text

    challenged = _post(platform, "/auth/login", {"username": user.username, "password": user.password}).json()
    assert "access_token" not in challenged
    wrong = _post(platform, "/auth/mfa/challenge",
                  {"username": user.username, "session": challenged["session"], "code": wrong_code(secret)})
    assert (wrong.status_code, _code(wrong)) == (422, "invalid_code")

    tokens = sign_in_with_code(platform, user.username, user.password, secret)
    assert set(tokens) == {"access_token", "id_token", "refresh_token", "expires_in"}
    me = requests.get(platform.api("/users/me"), headers={"Authorization": f"Bearer {tokens['access_token']}"},
                      timeout=10)
    assert me.status_code == 200 and me.json()["username"] == user.username
    # The password alone still gets nowhere, however often it is sent.
    again = _post(platform, "/auth/login", {"username": user.username, "password": user.password}).json()
    assert "access_token" not in again


def test_a_made_up_session_is_refused(platform: RunningPlatform) -> None:
    user = register_and_login(platform, "otp")
    secret = enrol(platform, user)
    refused = _post(platform, "/auth/mfa/challenge",
                    {"username": user.username, "session": "x" * 40, "code": totp(secret)})
    assert refused.status_code == 401, refused.text


@pytest.fixture(scope="module")
def strict_platform() -> Iterator[RunningPlatform]:
    """A platform that holds admins to TOTP, as prod does."""
    with start_platform(LOCAL_ADMIN_PASSWORD=ADMIN_PASSWORD, ADMIN_MFA_REQUIRED="true") as running:
        yield running


def test_where_required_an_admin_must_enrol_before_admin_routes_answer(strict_platform: RunningPlatform) -> None:
    login = _post(strict_platform, "/auth/login", {"username": "admin", "password": ADMIN_PASSWORD})
    assert login.status_code == 200, login.text  # sign-in works: enrolment needs the token
    admin = User("admin", ADMIN_PASSWORD, login.json())
    reward = {"name": "Mug", "cost": 15, "stock": 2}
    refused = _post(strict_platform, "/admin/rewards", reward, admin.tokens["access_token"])
    assert (refused.status_code, _code(refused)) == (403, "mfa_required")
    assert "/v1/auth/mfa/totp" in refused.json()["error"]["message"]

    secret = enrol(strict_platform, admin)
    tokens = sign_in_with_code(strict_platform, "admin", ADMIN_PASSWORD, secret)
    added = _post(strict_platform, "/admin/rewards", reward, tokens["access_token"])
    assert added.status_code == 201, added.text
    # Everyone else is still no admin, TOTP or not.
    user = register_and_login(strict_platform, "otp")
    enrol(strict_platform, user)
    assert _code(_post(strict_platform, "/admin/rewards", reward, user.tokens["access_token"])) == "admins_only"
