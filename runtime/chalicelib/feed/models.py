"""The timeline table: one row per post in each reader's home feed."""

from __future__ import annotations

from pynamodb.attributes import TTLAttribute, UnicodeAttribute, UnicodeSetAttribute
from pynamodb.models import Model

from chalicelib.core.declarations import aws_region, table_name_for

STARS = "~stars"  # sorts after every ULID: the first row of a newest-first query
RECENT = "~recent"  # a celebrity's recent post ids: owner ``~recent:<author>`` (no username has a ``~``)


class TimelineModel(Model):
    """``post_id`` is a ULID, so the newest entries come first in reverse key order.

    One more row per owner, ``post_id = STARS``, lists in ``stars`` the
    celebrities the owner follows, whose posts are merged in on read. Being in
    the same partition, it comes back with the first page's query for free.

    Each celebrity has one more row, in a partition of its own (``feed.recent``):
    ``owner = "~recent:<author>"``, ``post_id = RECENT``, ``author`` set, their
    newest post ids in ``recent`` and, once older ones were dropped, ``floor``.
    """

    class Meta:
        logical_name = "timeline"
        table_name = table_name_for(logical_name)
        region = aws_region()

    owner = UnicodeAttribute(hash_key=True)
    post_id = UnicodeAttribute(range_key=True)
    author = UnicodeAttribute(null=True)  # absent on the STARS row
    expires_at = TTLAttribute(null=True)  # old entries age out; the post itself stays; STARS never expires
    stars = UnicodeSetAttribute(null=True)
    recent = UnicodeSetAttribute(null=True)  # a celebrity's newest post ids (RECENT rows only)
    floor = UnicodeAttribute(null=True)  # RECENT rows: ids up to this one may be missing from ``recent``
