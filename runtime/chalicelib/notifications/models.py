"""The notifications table and the notification settings table.

One partition per recipient holds two kinds of rows:

- an *entry* (``sk = n#<group>``): what the list shows, one per group. A group is one post's likes
  (``like#<post_id>``), one day's follows (``follow#<day>``), one day's coins (``coins#<day>``), or a
  single thing (``comment#<post_id>#<comment_id>``, ``mention#<post_id>``, ``order#<order_id>#<status>``,
  ``message#<message_id>``). Its key never changes, so it is updated in place; its ``position`` (a ULID
  of its latest activity) orders the list through the ``newest`` index and moves it to the top.
  ``unread_position`` equals ``position`` while the entry is unread: the ``unread`` index is sparse, so
  counting and listing unread entries reads only unread ones. An entry the recipient hides from the
  app (``in_app`` off) has neither and appears in no list, yet still groups.
- a *contribution* (``sk = c#<group>#<contributor>``): one liker, follower, coin transfer, comment...
  of a group. Its key is the dedupe: an event replayed finds it there and changes nothing; an undone
  like deletes it and the entry's count goes down with it, in the same transaction.

Rows expire (TTL ``expires_at``) ``RETENTION`` after their latest activity.
"""

from __future__ import annotations

from datetime import timedelta

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.core.declarations import aws_region, table_name_for

RETENTION = timedelta(days=90)
ENTRY = "n#"
CONTRIBUTION = "c#"


class NewestIndex(GlobalSecondaryIndex["NotificationModel"]):  # type: ignore[no-untyped-call]
    """A recipient's shown entries, newest activity last in key order (queried backwards)."""

    class Meta:
        index_name = "newest"
        projection = AllProjection()

    recipient = UnicodeAttribute(hash_key=True)
    position = UnicodeAttribute(range_key=True)


class UnreadIndex(GlobalSecondaryIndex["NotificationModel"]):  # type: ignore[no-untyped-call]
    """A recipient's shown unread entries only (sparse: read entries have no ``unread_position``)."""

    class Meta:
        index_name = "unread"
        projection = AllProjection()

    recipient = UnicodeAttribute(hash_key=True)
    unread_position = UnicodeAttribute(range_key=True)


class NotificationModel(Model):
    class Meta:
        logical_name = "notifications"
        table_name = table_name_for(logical_name)
        region = aws_region()

    recipient = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    # Entries.
    kind = UnicodeAttribute(null=True)  # the API's type: like, comment, follow, mention, coins, order, message
    actors: ListAttribute[str] = ListAttribute(of=UnicodeAttribute, null=True)  # type: ignore[arg-type]
    total = NumberAttribute(null=True)  # the API's count (``count`` is a Model method)
    amount = NumberAttribute(null=True)  # coins
    post_id = UnicodeAttribute(null=True)
    comment_id = UnicodeAttribute(null=True)
    order_id = UnicodeAttribute(null=True)
    status = UnicodeAttribute(null=True)
    reward_name = UnicodeAttribute(null=True)
    conversation_id = UnicodeAttribute(null=True)
    message_id = UnicodeAttribute(null=True)
    preview = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute(null=True)
    updated_at = UTCDateTimeAttribute(null=True)
    position = UnicodeAttribute(null=True)
    unread_position = UnicodeAttribute(null=True)
    read_at = UTCDateTimeAttribute(null=True)
    version = NumberAttribute(null=True)  # optimistic locking of concurrent contributions
    # Contributions.
    actor = UnicodeAttribute(null=True)
    at = UTCDateTimeAttribute(null=True)
    event_id = UnicodeAttribute(null=True)
    published = BooleanAttribute(null=True)  # False until the channels have been told
    # Both.
    expires_at = TTLAttribute(null=True)
    newest = NewestIndex()
    unread = UnreadIndex()


class PreferencesModel(Model):
    """A user's choices that differ from the defaults: ``on``/``off`` hold ``type:channel`` pairs."""

    class Meta:
        logical_name = "notification-settings"
        table_name = table_name_for(logical_name)
        region = aws_region()

    username = UnicodeAttribute(hash_key=True)
    on = UnicodeSetAttribute(null=True)
    off = UnicodeSetAttribute(null=True)
    digest = BooleanAttribute(null=True)
