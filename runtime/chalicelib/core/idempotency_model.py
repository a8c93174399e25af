"""The idempotency table: the first answer to each ``Idempotency-Key``, kept for a day."""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.models import Model

from chalicelib.core.declarations import aws_region, table_name_for


class IdempotencyModel(Model):
    class Meta:
        logical_name = "idempotency"
        table_name = table_name_for(logical_name)
        region = aws_region()

    key = UnicodeAttribute(hash_key=True)  # caller, route and the client's key
    request_hash = UnicodeAttribute()
    state = UnicodeAttribute()  # "in_progress" or "done"
    status = NumberAttribute(null=True)
    body = UnicodeAttribute(null=True)
    locked_until = NumberAttribute()  # epoch seconds: an "in_progress" older than this may be taken over
    expires_at = TTLAttribute()
