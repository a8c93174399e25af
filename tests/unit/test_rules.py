"""Username and password rules, as a person signing up meets them."""

from __future__ import annotations

import string

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.auth.rules import email_problems, password_problems, username_problems
from chalicelib.resources import USER_POOL

POLICY = USER_POOL.password_policy


@given(st.text(alphabet=string.ascii_lowercase + string.digits + "_", min_size=3, max_size=30))
def test_every_name_of_the_allowed_alphabet_and_length_is_accepted(name: str) -> None:
    assert username_problems(name) == []


@given(st.text(max_size=40).filter(lambda s: not (3 <= len(s) <= 30 and set(s) <= set(string.ascii_lowercase
                                                                                        + string.digits + "_"))))
def test_every_other_name_is_refused(name: str) -> None:
    assert username_problems(name) != []


def test_a_password_lists_every_rule_it_breaks() -> None:
    assert len(password_problems("short", POLICY)) == 3  # length, uppercase, digit
    assert password_problems("Long-enough-1", POLICY) == []
    assert password_problems("x" * 300 + "A1", POLICY) == ["must be at most 256 characters"]


def test_email_addresses() -> None:
    assert email_problems("ada@example.org") == []
    for bad in ["", "ada", "ada@", "@example.org", "ada@example", "a b@example.org"]:
        assert email_problems(bad), bad
