"""The connections table (who is connected, and on which connections) and the direct-message tables.

Connections: two kinds of item in one table, so a push finds connected users in batches.

* ``c#<connection id>``: the connection's user (read at ``$disconnect`` and by the clean-up);
* ``u#<username>``: the user's presence, the string set of their open connection ids.

Mastodon streaming connections (``chalicelib.mastodon.streaming``) are another dialect: their ``c#`` row says
``dialect = "mastodon"``, and the presence keeps them apart from ``connections`` (which get the platform's
frames), in one set per Mastodon stream they subscribed to (``mastodon_user``, ``mastodon_notification``), with
the base URL their entities are rendered for (``mastodon_base``). A push still reads one item per user.

A push to a page of users is one BatchGetItem of their presence items (100 keys a call), whatever
the number of users who are not connected: absent keys cost nothing. Both kinds expire (DynamoDB TTL)
two hours after the last connect, API Gateway's limit on a connection's life.

Direct messages: ``messages`` holds each conversation's messages by ULID (newest last), and
``conversations`` one row per participant and conversation, with an index by last activity so that
``GET /conversations`` is one query, newest first.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pynamodb.attributes import TTLAttribute, UnicodeAttribute, UnicodeSetAttribute, UTCDateTimeAttribute
from pynamodb.indexes import AllProjection, LocalSecondaryIndex
from pynamodb.models import Model

from chalicelib.core.declarations import aws_region, table_name_for

CONNECTION, PRESENCE = "c#", "u#"


def _now() -> datetime:
    return datetime.now(UTC)


class ConnectionModel(Model):
    """A connection (``c#<id>``, with ``username``) or a user's presence (``u#<name>``, with ``connections``)."""

    class Meta:
        logical_name = "connections"
        table_name = table_name_for(logical_name)
        region = aws_region()

    key = UnicodeAttribute(hash_key=True)
    username = UnicodeAttribute(null=True)
    connections = UnicodeSetAttribute(null=True)
    connected_at = UTCDateTimeAttribute(null=True)
    expires_at = TTLAttribute(null=True)
    dialect = UnicodeAttribute(null=True)  # c#: None for the platform's frames, "mastodon" for Mastodon's events
    allowed = UnicodeSetAttribute(null=True)  # c#: the Mastodon streams its token's scopes let it subscribe to
    mastodon_user = UnicodeSetAttribute(null=True)  # u#: Mastodon connections on the ``user`` stream
    mastodon_notification = UnicodeSetAttribute(null=True)  # u#: ... on the ``user:notification`` stream
    mastodon_base = UnicodeAttribute(null=True)  # u#: the base URL of the newest Mastodon connection


class MessageModel(Model):
    """One direct message; ``message_id`` is a ULID, so a conversation reads in time order."""

    class Meta:
        logical_name = "messages"
        table_name = table_name_for(logical_name)
        region = aws_region()

    conversation_id = UnicodeAttribute(hash_key=True)
    message_id = UnicodeAttribute(range_key=True)
    sender = UnicodeAttribute()
    recipient = UnicodeAttribute()
    text = UnicodeAttribute()
    created_at = UTCDateTimeAttribute(default=_now)


class ByActivity(LocalSecondaryIndex["ConversationModel"]):  # type: ignore[no-untyped-call]
    """A participant's conversations by their last message (ULIDs sort by time)."""

    class Meta:
        index_name = "by-activity"
        projection = AllProjection()

    owner = UnicodeAttribute(hash_key=True)
    last_message_id = UnicodeAttribute(range_key=True)


class ConversationModel(Model):
    """``owner``'s side of a conversation with ``peer``: what the list of conversations shows."""

    class Meta:
        logical_name = "conversations"
        table_name = table_name_for(logical_name)
        region = aws_region()

    owner = UnicodeAttribute(hash_key=True)
    conversation_id = UnicodeAttribute(range_key=True)
    peer = UnicodeAttribute()
    last_message_id = UnicodeAttribute()
    last_sender = UnicodeAttribute()
    last_preview = UnicodeAttribute()
    updated_at = UTCDateTimeAttribute(default=_now)
    by_activity = ByActivity()
