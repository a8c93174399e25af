"""Username, email and password rules, checked before Cognito sees them.

Cognito enforces the same password policy (it comes from the same
declaration); checking here first gives the user every broken rule at once.
"""

from __future__ import annotations

import re

from chalicelib.core.declarations import PasswordPolicy

USERNAME = re.compile(r"^[a-z0-9_]{3,30}$")
# Deliberately loose: the confirmation mail is the real check.
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")


def username_problems(username: str) -> list[str]:
    if USERNAME.match(username):
        return []
    return ["must be 3-30 characters of lowercase letters, digits and underscores"]


def email_problems(email: str) -> list[str]:
    return [] if len(email) <= 254 and EMAIL.match(email) else ["must be an email address"]


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
