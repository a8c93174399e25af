"""The Cognito adapter's TOTP calls against the provisioned pool on moto, which checks codes here."""

from __future__ import annotations

import pytest

from chalicelib.auth.identity import TOTP_CHALLENGE, Challenge, CognitoIdentity, Tokens
from chalicelib.core.errors import Unauthorized, Unprocessable
from local.platform import LocalPlatform
from tests.totp import totp, wrong_code


def _identity(platform: LocalPlatform) -> CognitoIdentity:
    pool = platform.provisioned.user_pool  # type: ignore[union-attr]
    assert pool is not None
    return CognitoIdentity(pool.pool_id, pool.client_id, platform.clients.cognito)


def test_the_pool_offers_totp_as_the_stacks_do(platform: LocalPlatform) -> None:
    pool = platform.provisioned.user_pool  # type: ignore[union-attr]
    assert pool is not None
    config = platform.clients.cognito.get_user_pool_mfa_config(UserPoolId=pool.pool_id)
    assert (config["MfaConfiguration"], config["SoftwareTokenMfaConfiguration"]) == ("OPTIONAL", {"Enabled": True})


def test_enrol_challenge_and_answer_through_the_adapter(platform: LocalPlatform) -> None:
    identity = _identity(platform)
    identity.sign_up("totp_local", "totp_local@example.com", "Correct-horse-42")
    identity.admin_confirm("totp_local")
    first = identity.login("totp_local", "Correct-horse-42")
    assert isinstance(first, Tokens) and not identity.has_totp("totp_local")

    secret = identity.totp_secret(first.access_token)
    with pytest.raises(Unprocessable) as wrong:
        identity.enable_totp(first.access_token, wrong_code(secret))
    assert wrong.value.code == "invalid_code" and not identity.has_totp("totp_local")
    identity.enable_totp(first.access_token, totp(secret))
    assert identity.has_totp("totp_local")

    challenge = identity.login("totp_local", "Correct-horse-42")
    assert isinstance(challenge, Challenge) and challenge.name == TOTP_CHALLENGE
    with pytest.raises(Unauthorized) as expired:
        identity.answer_totp("totp_local", "not-a-session-of-this-pool", totp(secret))
    assert expired.value.code == "invalid_session"
    tokens = identity.answer_totp("totp_local", challenge.session, totp(secret))
    assert tokens.access_token and tokens.refresh_token
