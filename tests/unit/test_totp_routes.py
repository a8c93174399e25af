"""TOTP enrolment and the sign-in challenge, unit by unit: the code helper, the key URI, the admin rule."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from urllib.parse import parse_qs, unquote, urlparse

import boto3
import pytest
from botocore.stub import Stubber

from chalicelib.auth.admins import require_admin
from chalicelib.auth.identity import CognitoIdentity
from chalicelib.auth.routes import otpauth_uri
from chalicelib.core import settings as settings_module
from chalicelib.core.errors import ApiError, Forbidden
from chalicelib.core.tokens import Principal
from tests.totp import hotp, totp


def test_the_code_helper_matches_the_rfcs_test_vectors() -> None:
    # RFC 4226 appendix D (counters 0 and 9) and RFC 6238 appendix B (SHA-1, T=59 and T=1111111109, 8 digits).
    key = b"12345678901234567890"
    assert (hotp(key, 0), hotp(key, 9)) == ("755224", "520489")
    secret = base64.b32encode(key).decode().rstrip("=")
    assert hotp(key, 59 // 30, digits=8) == "94287082"
    assert totp(secret, at=1111111109) == "081804"


def test_the_key_uri_names_the_app_the_user_and_the_secret() -> None:
    uri = urlparse(otpauth_uri("ada_1", "JBSWY3DPEHPK3PXP"))
    assert (uri.scheme, uri.netloc, unquote(uri.path)) == ("otpauth", "totp", "/Social:ada_1")
    assert parse_qs(uri.query) == {"secret": ["JBSWY3DPEHPK3PXP"], "issuer": ["Social"]}


class Mfa:
    def __init__(self, *enrolled: str) -> None:
        self.enrolled, self.asked = set(enrolled), 0

    def has_totp(self, username: str) -> bool:
        self.asked += 1
        return username in self.enrolled


def _principal(name: str, *groups: str) -> Principal:
    return Principal(user_id=f"sub-{name}", username=name, groups=frozenset(groups), token_use="access")


@pytest.fixture
def admin_mfa(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("ADMIN_MFA_REQUIRED", "true")
    settings_module.get_settings.cache_clear()
    yield
    monkeypatch.undo()
    settings_module.get_settings.cache_clear()


def test_a_non_admin_is_refused_before_any_lookup(admin_mfa: None) -> None:
    mfa = Mfa("ada")
    with pytest.raises(Forbidden) as refused:
        require_admin(_principal("ada"), "see reports", mfa)
    assert (refused.value.code, mfa.asked) == ("admins_only", 0)


def test_where_required_an_admin_without_totp_is_told_to_enrol(admin_mfa: None) -> None:
    with pytest.raises(Forbidden) as refused:
        require_admin(_principal("boss", "admins"), "see reports", Mfa())
    assert refused.value.code == "mfa_required" and "/v1/auth/mfa/totp" in refused.value.message
    require_admin(_principal("boss", "admins"), "see reports", Mfa("boss"))


def test_where_not_required_an_admin_needs_no_totp(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ADMIN_MFA_REQUIRED", raising=False)
    settings_module.get_settings.cache_clear()
    mfa = Mfa()
    try:
        require_admin(_principal("boss", "admins"), "see reports", mfa)
    finally:
        settings_module.get_settings.cache_clear()
    assert mfa.asked == 0


def _stubbed() -> tuple[CognitoIdentity, Stubber]:
    client = boto3.client("cognito-idp", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    return CognitoIdentity("us-east-1_pool", "client", client), Stubber(client)


@pytest.mark.parametrize(("aws_code", "status", "code"), [("NotAuthorizedException", 401, "invalid_session"),
                                                          ("CodeMismatchException", 422, "invalid_code")])
def test_cognitos_own_challenge_errors_map_to_the_contract(aws_code: str, status: int, code: str) -> None:
    # What Cognito answers (moto says ResourceNotFound for a lost session): checked against its service model.
    identity, stubber = _stubbed()
    stubber.add_client_error("respond_to_auth_challenge", service_error_code=aws_code, expected_params={
        "ClientId": "client", "ChallengeName": "SOFTWARE_TOKEN_MFA", "Session": "s" * 20,
        "ChallengeResponses": {"USERNAME": "ada", "SOFTWARE_TOKEN_MFA_CODE": "123456"}})
    with stubber, pytest.raises(ApiError) as refused:
        identity.answer_totp("ada", "s" * 20, "123456")
    assert (refused.value.status, refused.value.code) == (status, code)


def test_a_verification_cognito_does_not_call_a_success_enables_nothing() -> None:
    identity, stubber = _stubbed()
    stubber.add_response("verify_software_token", {"Status": "ERROR"},
                         {"AccessToken": "token", "UserCode": "123456", "FriendlyDeviceName": "authenticator"})
    with stubber, pytest.raises(ApiError) as refused:
        identity.enable_totp("token", "123456")
    assert refused.value.code == "invalid_code"
    stubber.assert_no_pending_responses()  # no SetUserMFAPreference, no sign-out
