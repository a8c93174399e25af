"""The timeline table: one row per post in each reader's home feed."""

from __future__ import annotations

from pynamodb.attributes import TTLAttribute, UnicodeAttribute
from pynamodb.models import Model

from chalicelib.core.declarations import aws_region, table_name_for


class TimelineModel(Model):
    """``post_id`` is a ULID, so the newest entries come first in reverse key order."""

    class Meta:
        logical_name = "timeline"
        table_name = table_name_for(logical_name)
        region = aws_region()

    owner = UnicodeAttribute(hash_key=True)
    post_id = UnicodeAttribute(range_key=True)
    author = UnicodeAttribute()
    expires_at = TTLAttribute()  # old entries age out; the post itself stays
