"""The local admin account: a confirmed Cognito user in the ``admins`` group, with its profile.

The password is ``LOCAL_ADMIN_PASSWORD`` when set; a password the user pool's
declared policy refuses stops the platform with the rules it breaks (never
the password itself). Otherwise one is generated for the start, satisfying
the policy, and shown once in the banner.

The user is made as an administrator makes one in AWS: ``AdminCreateUser``
(email verified, no invitation), ``AdminSetUserPassword`` with
``Permanent=True`` (so no new-password challenge) and ``AdminAddUserToGroup``;
its access and ID tokens then carry ``cognito:groups: ["admins"]``. When the
manifest declares the runtime's users table, the profile row is written too
(``user_id`` is the Cognito ``sub``), as registration would have.

Usage::

    password, generated = admin_password(policy, os.environ.get("LOCAL_ADMIN_PASSWORD"))
    account = create_admin(clients.cognito, provisioned.user_pool, password, generated=generated, profile=True)
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.auth.rules import password_problems
from chalicelib.core.declarations import PasswordPolicy
from local.errors import StartupError
from local.provision import ProvisionedUserPool

ADMIN_USERNAME = "admin"
ADMIN_EMAIL = "admin@example.org"
ADMIN_DISPLAY_NAME = "Admin"
ADMINS_GROUP = "admins"
PASSWORD_VARIABLE = "LOCAL_ADMIN_PASSWORD"
# Symbols Cognito (and moto) count as such, minus those a shell or JSON would make awkward to paste.
SYMBOLS = "-_.+=@%"
GENERATED_LENGTH = 20


@dataclass(frozen=True)
class AdminAccount:
    username: str
    user_id: str  # the Cognito sub
    email: str
    password: str = field(repr=False)
    generated: bool  # False: from LOCAL_ADMIN_PASSWORD
    profile: bool  # whether the users table has its profile row

    def describe(self) -> list[str]:
        """Banner lines; the password only when it was generated (the one place it is shown)."""
        lines = [f"admin        {self.username} ({self.email}, group {ADMINS_GROUP}"
                 + (", profile in the users table)" if self.profile else ")")]
        if self.generated:
            lines.append(f"  password {self.password}   (generated for this start; "
                         f"set {PASSWORD_VARIABLE} to choose it)")
        else:
            lines.append(f"  password from {PASSWORD_VARIABLE}")
        return lines


def generate_password(policy: PasswordPolicy, length: int = GENERATED_LENGTH) -> str:
    """A random password with a character of every class (symbols too, whatever the policy)."""
    classes = [string.ascii_lowercase, string.ascii_uppercase, string.digits, SYMBOLS]
    size = min(max(length, policy.min_length, len(classes)), 98)  # moto refuses 99 characters or more
    alphabet = "".join(classes)
    characters = [secrets.choice(chosen) for chosen in classes]
    characters += [secrets.choice(alphabet) for _ in range(size - len(characters))]
    secrets.SystemRandom().shuffle(characters)
    return "".join(characters)


def admin_password(policy: PasswordPolicy, given: str | None) -> tuple[str, bool]:
    """``(password, generated)``: ``given`` if the policy accepts it, else ``StartupError``; generated if none."""
    if not given:
        return generate_password(policy), True
    problems = password_problems(given, policy)
    if problems:
        raise StartupError(f"{PASSWORD_VARIABLE} breaks the user pool's password policy: it "
                           + "; it ".join(problems) + ". Change it, or unset it to get a generated password.")
    return given, False


def create_admin(cognito: Any, pool: ProvisionedUserPool, password: str, *, generated: bool,
                 profile: bool) -> AdminAccount:
    """Create the confirmed admin user in the pool's ``admins`` group, and its profile row if ``profile``."""
    try:
        cognito.admin_create_user(
            UserPoolId=pool.pool_id, Username=ADMIN_USERNAME, MessageAction="SUPPRESS",
            UserAttributes=[{"Name": "email", "Value": ADMIN_EMAIL}, {"Name": "email_verified", "Value": "true"}])
        cognito.admin_set_user_password(
            UserPoolId=pool.pool_id, Username=ADMIN_USERNAME, Password=password, Permanent=True)
    except ClientError as error:
        if error.response["Error"]["Code"] == "InvalidPasswordException":
            which = "the generated admin password" if generated else PASSWORD_VARIABLE
            raise StartupError(f"the user pool refuses {which}: check it against the pool's password policy") from None
        raise
    cognito.admin_add_user_to_group(
        UserPoolId=pool.pool_id, Username=ADMIN_USERNAME, GroupName=ADMINS_GROUP)
    attributes = cognito.admin_get_user(
        UserPoolId=pool.pool_id, Username=ADMIN_USERNAME)["UserAttributes"]
    user_id = next(a["Value"] for a in attributes if a["Name"] == "sub")
    if profile:
        from chalicelib.users.models import UserModel

        UserModel(ADMIN_USERNAME, user_id=user_id, email=ADMIN_EMAIL, display_name=ADMIN_DISPLAY_NAME).save()
    return AdminAccount(ADMIN_USERNAME, user_id, ADMIN_EMAIL, password, generated, profile)
