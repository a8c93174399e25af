"""Registration: check the rules, create the account, confirm it where allowed, store the profile."""

from __future__ import annotations

from chalicelib.auth.identity import IdentityProvider
from chalicelib.auth.rules import email_problems, password_problems, username_problems
from chalicelib.core.declarations import PasswordPolicy
from chalicelib.core.errors import Unprocessable
from chalicelib.core.logs import get_logger
from chalicelib.users.models import UserModel
from chalicelib.users.profiles import create_profile

log = get_logger(__name__)


def register(identity: IdentityProvider, policy: PasswordPolicy, *, username: str, email: str, password: str,
             display_name: str | None, auto_confirm: bool) -> UserModel:
    problems = [{"field": "username", "problem": p} for p in username_problems(username)]
    problems += [{"field": "email", "problem": p} for p in email_problems(email)]
    problems += [{"field": "password", "problem": p} for p in password_problems(password, policy)]
    if problems:
        code = "weak_password" if all(p["field"] == "password" for p in problems) else "validation_failed"
        raise Unprocessable(code, "the registration is not valid", details=problems)
    user_id = identity.sign_up(username, email, password)
    try:
        if auto_confirm:
            identity.admin_confirm(username)
        # Cognito has just reserved the username, so a profile of that name can only have
        # outlived an account deleted from the pool: create_profile refuses it (409)
        # rather than hand someone else's followers and posts to the newcomer.
        return create_profile(username, user_id, email, display_name)
    except BaseException:
        # No account without its profile: it could sign in as a username it does not own.
        _undo_sign_up(identity, username)
        raise


def _undo_sign_up(identity: IdentityProvider, username: str) -> None:
    try:
        identity.delete(username)
    except Exception:  # the original failure is what the caller must see; this one is logged
        log.exception("could not delete the account of a failed registration", extra={"username": username})
