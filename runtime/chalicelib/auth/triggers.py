"""Cognito triggers: the user pool asks these before it changes anything.

``pre_sign_up`` runs on every sign-up, through the API or straight against the
pool with the public client id (``SignUp``), and on ``AdminCreateUser``: it
applies the same username and email rules as registration, so nobody can take
a homoglyph, upper-case or punctuated name by going around the API. Raising
makes Cognito refuse the sign-up with ``UserLambdaValidationException``
("PreSignUp failed with error <message>.").

Usage (what Cognito sends, trimmed)::

    pre_sign_up({"triggerSource": "PreSignUp_SignUp", "userName": "ada",
                 "request": {"userAttributes": {"email": "ada@example.org"}}, "response": {}}, context)
"""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint

from chalicelib.auth.rules import email_problems, federated_username, is_username, username_problems

sign_up_triggers = Blueprint(__name__)


class SignUpRefused(Exception):
    """The sign-up breaks a rule; Cognito shows the message to whoever signed up."""


@sign_up_triggers.lambda_function(name="pre_sign_up")
def pre_sign_up(event: dict[str, Any], context: Any) -> dict[str, Any]:
    username = event.get("userName")
    if event.get("triggerSource") == "PreSignUp_ExternalProvider":
        # Sign-in with Google or Facebook: Cognito names the account '<Provider>_<id>' itself.
        named = federated_username(username) if isinstance(username, str) else None
        problems = [] if named is not None and is_username(named) else ["username is not a federated account's"]
    else:
        problems = [f"username {p}" for p in username_problems(username if isinstance(username, str) else "")]
    attributes = (event.get("request") or {}).get("userAttributes") or {}
    email = attributes.get("email")
    if email is not None:
        problems += [f"email {p}" for p in email_problems(email if isinstance(email, str) else "")]
    if problems:
        raise SignUpRefused("; ".join(problems))
    return event  # unchanged: no auto-confirmation, no auto-verification from here
