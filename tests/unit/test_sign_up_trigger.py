"""The pre-sign-up trigger and the token check apply the one username rule."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.auth.triggers import SignUpRefused, pre_sign_up
from chalicelib.core.errors import Unauthorized
from chalicelib.core.tokens import Principal
from chalicelib.users.profiles import admit


def event(username: Any, email: Any = "ada@example.org") -> dict[str, Any]:
    return {"version": "1", "triggerSource": "PreSignUp_SignUp", "userName": username, "userPoolId": "p",
            "request": {"userAttributes": {"email": email}}, "response": {"autoConfirmUser": False}}


def test_a_good_sign_up_passes_unchanged() -> None:
    assert pre_sign_up(event("ada_1"), None) == event("ada_1")


@pytest.mark.parametrize("username", ["\u0430da", "Ada", "ada.b", "ada\n", "ab", None, 5])
def test_a_name_breaking_the_rule_is_refused(username: Any) -> None:
    with pytest.raises(SignUpRefused, match="username must be 3-30 characters"):
        pre_sign_up(event(username), None)


@pytest.mark.parametrize("email", ["not-an-email", "a\x00@example.org", 7])
def test_a_bad_email_is_refused(email: Any) -> None:
    with pytest.raises(SignUpRefused, match="email must be an email address"):
        pre_sign_up(event("ada_1", email), None)


@pytest.mark.parametrize("username", ["Ada", "\u0430da", "ada\n"])
def test_a_token_whose_username_breaks_the_rule_is_refused_before_any_lookup(username: str) -> None:
    with pytest.raises(Unauthorized) as refused:
        admit(Principal(user_id="sub", username=username, groups=frozenset(), token_use="access"))
    assert refused.value.code == "invalid_username"


def federated(username: Any) -> dict[str, Any]:
    return {**event(username), "triggerSource": "PreSignUp_ExternalProvider"}


@pytest.mark.parametrize("username", ["Google_109876543210987654321", "Facebook_10223344556677889"])
def test_sign_in_with_google_or_facebook_passes_with_the_name_cognito_gives(username: str) -> None:
    assert pre_sign_up(federated(username), None) == federated(username)


@pytest.mark.parametrize("username", ["Twitter_123", "Google_1.2", "Google_" + "9" * 30, None])
def test_an_external_sign_up_without_a_federated_name_is_refused(username: Any) -> None:
    with pytest.raises(SignUpRefused, match="federated"):
        pre_sign_up(federated(username), None)


@pytest.mark.parametrize("username", ["google_123", "facebook_me"])
def test_nobody_may_register_a_name_a_federated_account_could_arrive_with(username: str) -> None:
    with pytest.raises(SignUpRefused, match="google_ or facebook_"):
        pre_sign_up(event(username), None)
