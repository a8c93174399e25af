"""Profiles: created at registration, read by every users route.

Plain domain code over the PynamoDB model; no HTTP here.
"""

from __future__ import annotations

from pynamodb.exceptions import PutError

from chalicelib.core.errors import Conflict
from chalicelib.users.models import UserModel


def create_profile(username: str, user_id: str, email: str, display_name: str | None) -> UserModel:
    """Store a new profile; a second profile for the same username is a conflict."""
    profile = UserModel(username, user_id=user_id, email=email, display_name=display_name or username)
    try:
        profile.save(condition=UserModel.username.does_not_exist())
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            raise Conflict("username_taken", f"the username {username!r} is taken") from exc
        raise
    return profile


def get_or_create_profile(username: str, user_id: str) -> UserModel:
    """The caller's profile, recreated from the token if registration stopped half-way."""
    try:
        return UserModel.get(username, consistent_read=True)
    except UserModel.DoesNotExist:
        pass
    try:
        return create_profile(username, user_id, email="", display_name=None)
    except Conflict:  # created by a concurrent request between our read and write
        return UserModel.get(username, consistent_read=True)
