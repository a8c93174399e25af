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

from pynamodb.exceptions import DeleteError

from chalicelib.realtime.connections import drop
from chalicelib.realtime.models import CONNECTION, ConnectionModel
from chalicelib.resources import CONNECTIONS

SWEEP_USES = (CONNECTIONS.read_write(),)


def sweep(now: datetime) -> int:
    """Remove connection rows past their two hours (and their ids from presence), and expired presence rows."""
    removed = 0
    for row in ConnectionModel.scan(ConnectionModel.expires_at <= now):
        if row.key.startswith(CONNECTION) and row.username:
            drop(row.username, {row.key.removeprefix(CONNECTION)})
        try:  # unless a connect renewed it meanwhile
            row.delete(condition=ConnectionModel.expires_at <= now)
            removed += 1
        except DeleteError:
            pass
    return removed
