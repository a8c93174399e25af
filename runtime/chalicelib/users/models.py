"""The users table (one profile per username) and the follows table (the social graph)."""

from __future__ import annotations

from datetime import UTC, datetime

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.core.declarations import aws_region, table_name_for
from chalicelib.core.logs import current_correlation_id


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
    # None; "pending" while their followers learn it (still fanned out); "yes": merged on read only.
    celebrity = UnicodeAttribute(null=True)


class FollowersIndex(GlobalSecondaryIndex["FollowModel"]):  # type: ignore[no-untyped-call]
    """Who follows a user: the follows table read the other way round."""

    class Meta:
        index_name = "by-followee"
        projection = AllProjection()

    followee = UnicodeAttribute(hash_key=True)
    follower = UnicodeAttribute(range_key=True)


class FollowModel(Model):
    """``follower`` follows ``followee``; the key itself makes a second follow impossible."""

    class Meta:
        logical_name = "follows"
        table_name = table_name_for(logical_name)
        region = aws_region()

    follower = UnicodeAttribute(hash_key=True)
    followee = UnicodeAttribute(range_key=True)
    created_at = UTCDateTimeAttribute(default=_now)
    followers = FollowersIndex()
    # The request that wrote the row: its stream record carries it to the events' logs (chalicelib.core.messages).
    correlation_id = UnicodeAttribute(null=True, default=current_correlation_id)  # type: ignore[arg-type]  # None: unset
