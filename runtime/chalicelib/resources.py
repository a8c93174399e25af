"""The manifest: every AWS resource the runtime declares.

``stacks/`` and the local platform both read this module; add a resource here
and both provide it.
"""

from __future__ import annotations

from chalicelib.core.declarations import Manifest, PasswordPolicy, Table, UserPool
from chalicelib.users.models import UserModel

USERS = Table(UserModel)

USER_POOL = UserPool(
    "users",
    password_policy=PasswordPolicy(min_length=10, require_lowercase=True, require_uppercase=True, require_numbers=True),
    groups=("admins",),
)

MANIFEST = Manifest(tables=(USERS,), user_pool=USER_POOL)
