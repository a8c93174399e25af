"""Username, email and password rules, checked before Cognito sees them.

Cognito enforces the same password policy (it comes from the same
declaration); checking here first gives the user every broken rule at once.
"""

from __future__ import annotations

import re

from chalicelib.core.declarations import PasswordPolicy
from chalicelib.core.usertext import text_problem

# ASCII only, on purpose: no homoglyphs (a Cyrillic U+0430 for 'a'), no case twins. Always
# ``fullmatch``: with ``match``, '$' also matches before a trailing newline.
USERNAME = re.compile(r"[a-z0-9_]{3,30}")
USERNAME_RULE = "must be 3-30 characters of lowercase letters, digits and underscores"
# Deliberately loose: the confirmation mail is the real check.
EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}")


# People who sign in with Google or Facebook get the username Cognito gives them, '<Provider>_<their id>'
# ('Google_1098...', 21 digits; 'Facebook_1234...', up to 17): within the rule once lower-cased, and these
# prefixes are kept for them so that nobody can register a name a federated account will later arrive with.
FEDERATED_PREFIXES = ("google_", "facebook_")
FEDERATED_RULE = "must not start with google_ or facebook_ (kept for sign-in with Google and Facebook)"


def federated_username(name: str) -> str | None:
    """The API's name for a federated account's Cognito username ('Google_12' -> 'google_12'), else None."""
    lowered = name.lower()
    return lowered if lowered.startswith(FEDERATED_PREFIXES) else None


def is_username(name: str) -> bool:
    """The one username rule: the API, the sign-up trigger and token checks all ask it."""
    return USERNAME.fullmatch(name) is not None


def username_problems(username: str) -> list[str]:
    """What stops ``username`` from being chosen at sign-up (federated accounts' names are not chosen)."""
    if not is_username(username):
        return [USERNAME_RULE]
    return [FEDERATED_RULE] if username.startswith(FEDERATED_PREFIXES) else []


def email_problems(email: str) -> list[str]:
    well_formed = len(email) <= 254 and EMAIL.fullmatch(email) and text_problem(email, multiline=False) is None
    return [] if well_formed else ["must be an email address"]


def password_problems(password: str, policy: PasswordPolicy) -> list[str]:
    problems = []
    if len(password) < policy.min_length:
        problems.append(f"must be at least {policy.min_length} characters")
    if len(password) > 256:
        problems.append("must be at most 256 characters")
    if policy.require_lowercase and not re.search(r"[a-z]", password):
        problems.append("must contain a lowercase letter")
    if policy.require_uppercase and not re.search(r"[A-Z]", password):
        problems.append("must contain an uppercase letter")
    if policy.require_numbers and not re.search(r"[0-9]", password):
        problems.append("must contain a digit")
    if policy.require_symbols and not re.search(r"[^A-Za-z0-9]", password):
        problems.append("must contain a symbol")
    return problems
