"""The weekly clean-up's part for real time: connections that outlived API Gateway's two hours.

DynamoDB's TTL deletes expired rows eventually (typically within days), and a presence row whose
user never disconnected cleanly keeps connection ids that no longer exist: the Sunday clean-up
removes both now. A push already skips and removes what API Gateway reports gone; this keeps the
table from growing with the rest.

Usage::

    removed = sweep(datetime.now(UTC))     # the schedule handler declares @uses(*SWEEP_USES)
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from chalicelib.core.lazy import lazy_module
from chalicelib.resources import CONNECTIONS

if TYPE_CHECKING:
    import pynamodb.exceptions as pynamodb_errors

    from chalicelib.realtime import connections, models
else:
    pynamodb_errors = lazy_module("pynamodb.exceptions")
    connections = lazy_module("chalicelib.realtime.connections")
    models = lazy_module("chalicelib.realtime.models")

SWEEP_USES = (CONNECTIONS.read_write(),)


def sweep(now: datetime) -> int:
    """Remove connection rows past their two hours (and their ids from presence), and expired presence rows."""
    removed = 0
    for row in models.ConnectionModel.scan(models.ConnectionModel.expires_at <= now):
        if row.key.startswith(models.CONNECTION) and row.username:
            connections.drop(row.username, {row.key.removeprefix(models.CONNECTION)})
        try:  # unless a connect renewed it meanwhile
            row.delete(condition=models.ConnectionModel.expires_at <= now)
            removed += 1
        except pynamodb_errors.DeleteError:
            pass
    return removed
