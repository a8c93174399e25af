"""Who is connected: connections by id and by user, found for a page of users in one batch read.

Usage::

    register("AbC=", "alice")                   # at $connect
    connected(["alice", "bob", ...])           # {"alice": {"AbC="}}: BatchGetItem, 100 users a call
    forget("AbC=")                              # at $disconnect
    drop("alice", {"AbC="})                     # a push found them gone
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

from pynamodb.exceptions import UpdateError

from chalicelib.realtime.models import CONNECTION, PRESENCE, ConnectionModel

# API Gateway closes every WebSocket connection after two hours ("Connection duration for WebSocket API",
# API Gateway quotas); a row older than that names a connection that no longer exists.
CONNECTION_LIFETIME = timedelta(hours=2)
BATCH_KEYS = 100  # BatchGetItem's limit per call


def register(connection_id: str, username: str, now: datetime | None = None) -> None:
    """Record a new connection of ``username`` (two writes: the connection, the user's presence)."""
    now = now or datetime.now(UTC)
    expires = now + CONNECTION_LIFETIME
    ConnectionModel(f"{CONNECTION}{connection_id}", username=username, connected_at=now,
                    expires_at=expires).save()
    presence = ConnectionModel(f"{PRESENCE}{username}")
    try:  # the presence lives as long as its newest connection: its expiry only ever moves forward
        presence.update(actions=[ConnectionModel.connections.add({connection_id}),
                                 ConnectionModel.expires_at.set(expires)],
                        condition=ConnectionModel.expires_at.does_not_exist() | (ConnectionModel.expires_at < expires))
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
        presence.update(actions=[ConnectionModel.connections.add({connection_id})])


def forget(connection_id: str) -> str | None:
    """Remove a closed connection; returns its user, or None if it was already gone."""
    try:
        row = ConnectionModel.get(f"{CONNECTION}{connection_id}", consistent_read=True)
    except ConnectionModel.DoesNotExist:
        return None
    if row.username:
        drop(row.username, {connection_id})
    row.delete()  # unconditional: deleting what is already gone succeeds
    return row.username


def drop(username: str, connection_ids: set[str]) -> None:
    """Take ``connection_ids`` out of ``username``'s presence (a DELETE on the set: idempotent)."""
    if not connection_ids:
        return
    try:
        ConnectionModel(f"{PRESENCE}{username}").update(
            actions=[ConnectionModel.connections.delete(connection_ids)],
            condition=ConnectionModel.key.exists())
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise


def connected(usernames: Iterable[str]) -> dict[str, set[str]]:
    """The open connections of each connected user among ``usernames`` (absent: not connected).

    One BatchGetItem per 100 users (PynamoDB's ``batch_get`` chunks and retries unprocessed keys).
    """
    keys = [f"{PRESENCE}{name}" for name in dict.fromkeys(usernames)]
    found: dict[str, set[str]] = {}
    for start in range(0, len(keys), BATCH_KEYS):
        for row in ConnectionModel.batch_get(keys[start:start + BATCH_KEYS]):
            if row.connections:
                found[row.key.removeprefix(PRESENCE)] = set(row.connections)
    return found


def user_of(connection_id: str) -> str | None:
    """The user of an open connection, or None."""
    try:
        return ConnectionModel.get(f"{CONNECTION}{connection_id}").username
    except ConnectionModel.DoesNotExist:
        return None


def stale(now: datetime, rows: Sequence[ConnectionModel]) -> list[ConnectionModel]:
    """The connection rows among ``rows`` that outlived API Gateway's two hours (TTL deletes lazily)."""
    return [r for r in rows if r.key.startswith(CONNECTION) and r.expires_at is not None and r.expires_at <= now]
