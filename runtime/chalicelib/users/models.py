"""The users table: one profile per username."""

from __future__ import annotations

from datetime import UTC, datetime

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.models import Model

from chalicelib.core.declarations import aws_region, table_name_for


def _now() -> datetime:
    return datetime.now(UTC)


class UserModel(Model):
    """A profile; ``username`` is the key because every route addresses users by it."""

    class Meta:
        logical_name = "users"
        table_name = table_name_for(logical_name)
        region = aws_region()

    username = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute()  # the Cognito ``sub``: stable even if usernames could change
    email = UnicodeAttribute()
    display_name = UnicodeAttribute()
    bio = UnicodeAttribute(default="")
    avatar = UnicodeAttribute(null=True)
    followers_count = NumberAttribute(default=0)
    following_count = NumberAttribute(default=0)
    posts_count = NumberAttribute(default=0)
    created_at = UTCDateTimeAttribute(default=_now)
