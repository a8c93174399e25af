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
