"""The posts table and the interactions table (likes and comments of a post).

Post and comment ids are ULIDs: they sort by creation time, so "newest first"
is a key order and a cursor is just an id.
"""

from __future__ import annotations

from pynamodb.attributes import ListAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.core.declarations import aws_region, table_name_for
from chalicelib.core.logs import current_correlation_id


class ByAuthorIndex(GlobalSecondaryIndex["PostModel"]):  # type: ignore[no-untyped-call]
    """A user's posts by id, so newest first is a reverse key order."""

    class Meta:
        index_name = "by-author"
        projection = AllProjection()

    author = UnicodeAttribute(hash_key=True)
    post_id = UnicodeAttribute(range_key=True)


class PostModel(Model):
    class Meta:
        logical_name = "posts"
        table_name = table_name_for(logical_name)
        region = aws_region()

    post_id = UnicodeAttribute(hash_key=True)
    author = UnicodeAttribute()
    content = UnicodeAttribute()
    # Lists of plain strings: ``of=UnicodeAttribute`` stores them as DynamoDB strings.
    media_ids: ListAttribute[str] = ListAttribute(of=UnicodeAttribute, default=list)  # type: ignore[arg-type]
    hashtags: ListAttribute[str] = ListAttribute(of=UnicodeAttribute, default=list)  # type: ignore[arg-type]
    mentions: ListAttribute[str] = ListAttribute(of=UnicodeAttribute, default=list)  # type: ignore[arg-type]
    likes_count = NumberAttribute(default=0)
    comments_count = NumberAttribute(default=0)
    created_at = UTCDateTimeAttribute()
    edited_at = UTCDateTimeAttribute(null=True)
    by_author = ByAuthorIndex()
    # The request that wrote the row: its stream record carries it to the events' logs (chalicelib.core.messages).
    correlation_id = UnicodeAttribute(null=True, default=current_correlation_id)  # type: ignore[arg-type]  # None: unset


LIKE = "like#"
COMMENT = "comment#"


class InteractionModel(Model):
    """A like (``sk = like#<username>``: one per user and post, by key) or a comment (``comment#<id>``)."""

    class Meta:
        logical_name = "interactions"
        table_name = table_name_for(logical_name)
        region = aws_region()

    post_id = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    author = UnicodeAttribute()
    post_author = UnicodeAttribute()  # whom a like or comment concerns: events need it, posts may be gone
    content = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    edited_at = UTCDateTimeAttribute(null=True)
    # The request that wrote the row: its stream record carries it to the events' logs (chalicelib.core.messages).
    correlation_id = UnicodeAttribute(null=True, default=current_correlation_id)  # type: ignore[arg-type]  # None: unset
