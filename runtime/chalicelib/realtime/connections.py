"""Who is connected: connections by id and by user, found for a page of users in one batch read.

Usage::

    register("AbC=", "alice")                   # at $connect
    connected(["alice", "bob", ...])           # {"alice": {"AbC="}}: BatchGetItem, 100 users a call
    forget("AbC=")                              # at $disconnect
    drop("alice", {"AbC="})                     # a push found them gone

    register("XyZ=", "alice", mastodon="https://social.example", streams=["user"])   # a Mastodon stream
    subscribe("XyZ=", "alice", "user:notification")                                  # later, by a frame
    presence(["alice"])["alice"].streams        # {"user": {"XyZ="}, "user:notification": {"XyZ="}}
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pynamodb.exceptions import UpdateError

from chalicelib.realtime.models import CONNECTION, PRESENCE, ConnectionModel

# API Gateway closes every WebSocket connection after two hours ("Connection duration for WebSocket API",
# API Gateway quotas); a row older than that names a connection that no longer exists.
CONNECTION_LIFETIME = timedelta(hours=2)
BATCH_KEYS = 100  # BatchGetItem's limit per call
MASTODON = "mastodon"  # the dialect of a Mastodon streaming connection
# The Mastodon streams a connection may subscribe to, and the presence attribute holding each one's connections.
STREAM_SETS = {"user": "mastodon_user", "user:notification": "mastodon_notification"}


def _stream_set(stream: str) -> Any:
    return getattr(ConnectionModel, STREAM_SETS[stream])


@dataclass(frozen=True)
class Presence:
    """A user's open connections: the platform's, and the Mastodon ones by stream (with their base URL)."""

    connections: frozenset[str] = frozenset()
    streams: dict[str, frozenset[str]] = field(default_factory=dict)
    base_url: str | None = None


@dataclass(frozen=True)
class Connection:
    """An open connection: its user, its dialect (None: the platform's; ``MASTODON``), the streams it may join."""

    username: str
    dialect: str | None = None
    allowed: frozenset[str] = frozenset()


def register(connection_id: str, username: str, now: datetime | None = None, *, mastodon: str | None = None,
             streams: Iterable[str] = (), allowed: Iterable[str] = ()) -> None:
    """Record a new connection of ``username`` (two writes: the connection, the user's presence).

    ``mastodon``: the base URL of a Mastodon streaming connection (its pushes are Mastodon events whose entities
    name that base), subscribed to ``streams`` (names of ``STREAM_SETS``) from the start, and allowed to
    subscribe later to ``allowed``."""
    now = now or datetime.now(UTC)
    expires = now + CONNECTION_LIFETIME
    ConnectionModel(f"{CONNECTION}{connection_id}", username=username, connected_at=now, expires_at=expires,
                    dialect=MASTODON if mastodon is not None else None, allowed=set(allowed) or None).save()
    joined: list[Any] = [ConnectionModel.connections.add({connection_id})] if mastodon is None else [
        ConnectionModel.mastodon_base.set(mastodon), *(_stream_set(s).add({connection_id}) for s in set(streams))]
    presence = ConnectionModel(f"{PRESENCE}{username}")
    try:  # the presence lives as long as its newest connection: its expiry only ever moves forward
        presence.update(actions=[*joined, ConnectionModel.expires_at.set(expires)],
                        condition=ConnectionModel.expires_at.does_not_exist() | (ConnectionModel.expires_at < expires))
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
        presence.update(actions=joined)


def subscribe(connection_id: str, username: str, stream: str, *, on: bool = True) -> None:
    """Add a Mastodon connection to a stream (``on=False``: take it off); one UpdateItem, idempotent."""
    attribute = _stream_set(stream)
    action = attribute.add({connection_id}) if on else attribute.delete({connection_id})
    ConnectionModel(f"{PRESENCE}{username}").update(actions=[action])


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
    """Take ``connection_ids`` out of ``username``'s presence, whatever their dialect (a DELETE on each set:
    idempotent, and a no-op on a set that does not exist)."""
    if not connection_ids:
        return
    try:
        ConnectionModel(f"{PRESENCE}{username}").update(
            actions=[ConnectionModel.connections.delete(connection_ids),
                     *(_stream_set(stream).delete(connection_ids) for stream in STREAM_SETS)],
            condition=ConnectionModel.key.exists())
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise


def presence(usernames: Iterable[str]) -> dict[str, Presence]:
    """The open connections of each connected user among ``usernames``, every dialect (absent: not connected).

    One BatchGetItem per 100 users (PynamoDB's ``batch_get`` chunks and retries unprocessed keys).
    """
    keys = [f"{PRESENCE}{name}" for name in dict.fromkeys(usernames)]
    found: dict[str, Presence] = {}
    for start in range(0, len(keys), BATCH_KEYS):
        for row in ConnectionModel.batch_get(keys[start:start + BATCH_KEYS]):
            streams = {stream: frozenset(ids) for stream, attribute in STREAM_SETS.items()
                       if (ids := getattr(row, attribute))}
            if row.connections or streams:
                found[row.key.removeprefix(PRESENCE)] = Presence(frozenset(row.connections or ()), streams,
                                                                 row.mastodon_base)
    return found


def connected(usernames: Iterable[str]) -> dict[str, set[str]]:
    """The platform's open connections of each user among ``usernames`` who has some (one read per 100)."""
    return {name: set(found.connections) for name, found in presence(usernames).items() if found.connections}


def connection(connection_id: str) -> Connection | None:
    """An open connection (one GetItem), or None."""
    try:
        row = ConnectionModel.get(f"{CONNECTION}{connection_id}")
    except ConnectionModel.DoesNotExist:
        return None
    return Connection(row.username, row.dialect, frozenset(row.allowed or ())) if row.username else None


def user_of(connection_id: str) -> str | None:
    """The user of an open connection, or None."""
    found = connection(connection_id)
    return found.username if found is not None else None


def stale(now: datetime, rows: Sequence[ConnectionModel]) -> list[ConnectionModel]:
    """The connection rows among ``rows`` that outlived API Gateway's two hours (TTL deletes lazily)."""
    return [r for r in rows if r.key.startswith(CONNECTION) and r.expires_at is not None and r.expires_at <= now]
