"""The channels' tables: registered devices, and what was sent (so nothing is sent twice)."""

from __future__ import annotations

from datetime import UTC, datetime

from pynamodb.attributes import TTLAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.models import Model

from chalicelib.core.declarations import aws_region, table_name_for


def _now() -> datetime:
    return datetime.now(UTC)


class DeviceModel(Model):
    """One push token of a user; ``device_id`` is derived from platform and token, so registering twice is one row."""

    class Meta:
        logical_name = "devices"
        table_name = table_name_for(logical_name)
        region = aws_region()

    username = UnicodeAttribute(hash_key=True)
    device_id = UnicodeAttribute(range_key=True)
    platform = UnicodeAttribute()
    token = UnicodeAttribute()
    endpoint_arn = UnicodeAttribute()
    created_at = UTCDateTimeAttribute(default=_now)


class SentModel(Model):
    """A claim on one send (``digest:<user>:<date>``, ``email:<notification>:<count>``): a conditional put
    decides who sends, so a schedule fired twice or a redelivered message sends once. Kept a week."""

    class Meta:
        logical_name = "channel-sends"
        table_name = table_name_for(logical_name)
        region = aws_region()

    key = UnicodeAttribute(hash_key=True)
    expires_at = TTLAttribute()
