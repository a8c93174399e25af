"""Mastodon's streaming API on the platform's WebSocket handlers: the handshake admits the platform's JWT as before
and a Mastodon token (query, Sec-WebSocket-Protocol), refuses bad, revoked and under-scoped tokens and unknown
streams; a Mastodon connection gets Mastodon's ``update``/``notification``/``delete`` events, rendered once per
push, while the platform's connections keep the platform's frames."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app import app
from chalicelib.core.ids import new_id
from chalicelib.core.tokens import Principal
from chalicelib.mastodon import statuses, streaming
from chalicelib.notifications import intake, publisher
from chalicelib.posts import service as posts
from chalicelib.posts.models import PostModel
from chalicelib.realtime import connections, feed, handlers, push
from chalicelib.realtime.models import ConnectionModel
from chalicelib.users import graph
from tests.unit.mastodon_world import World, dynamodb, verify, world
from tests.unit.test_realtime import _Management

__all__ = ["dynamodb", "world"]  # fixtures, used by name
T0 = datetime(2026, 11, 30, 10, tzinfo=UTC)
_ids = itertools.count()


@pytest.fixture(scope="module")
def connections_table(dynamodb: None) -> Iterator[None]:
    ConnectionModel._connection = None
    ConnectionModel.create_table(read_capacity_units=1, write_capacity_units=1)
    yield
    ConnectionModel._connection = None


@pytest.fixture
def sockets(world: World, connections_table: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[_Management]:
    """Users ann and bob (bob follows ann), no connection yet, the platform's JWTs as ``access:<name>``, and a
    Management API that records what is posted."""
    for item in ConnectionModel.scan():
        item.delete()
    world.user("ann"), world.user("bob")
    graph.follow(Principal(user_id="sub-bob", username="bob", groups=frozenset(), token_use="access"), "ann")
    monkeypatch.setattr(handlers, "verify_token", verify)
    client = _Management(gone=set())
    monkeypatch.setattr(push, "management_client", lambda: client)
    monkeypatch.setattr(publisher, "publish", lambda *args: True)
    yield client


def _connect(query: dict[str, str] | None = None, headers: dict[str, str] | None = None) -> tuple[str, dict[str, Any]]:
    connection_id = f"C{next(_ids)}="
    event = {"headers": {"Host": "127.0.0.1:8001", "X-Forwarded-Host": "social.example",
                         "X-Forwarded-Proto": "https", **(headers or {})},
             "queryStringParameters": query or None, "isBase64Encoded": False,
             "requestContext": {"routeKey": "$connect", "eventType": "CONNECT", "connectionId": connection_id,
                                "apiId": "abcdefghij", "stage": "api", "domainName": "x"}}
    return connection_id, app.handler_map["on_ws_connect"](event, None)


def _message(connection_id: str, body: str) -> None:
    event = {"body": body, "isBase64Encoded": False,
             "requestContext": {"routeKey": "$default", "eventType": "MESSAGE", "connectionId": connection_id,
                                "apiId": "abcdefghij", "stage": "api", "domainName": "x"}}
    app.handler_map["on_ws_message"](event, None)


def _frames(client: _Management, connection_id: str) -> list[dict[str, Any]]:
    return [json.loads(data) for cid, data in client.posted if cid == connection_id]


def test_the_platforms_jwt_still_connects_and_gets_the_platforms_frames(world: World, sockets: _Management) -> None:
    connection_id, answer = _connect({"token": "access:bob"})
    assert answer["statusCode"] == 200
    assert connections.connected(["bob"]) == {"bob": {connection_id}}
    assert connections.connection(connection_id) == connections.Connection("bob", None)


def test_a_mastodon_token_connects_by_query_or_subprotocol(world: World, sockets: _Management) -> None:
    by_query, answer = _connect({"access_token": world.token("bob", "read"), "stream": "user"})
    assert answer["statusCode"] == 200 and "Sec-WebSocket-Protocol" not in (answer.get("headers") or {})
    token = world.token("bob", "read:notifications")
    by_protocol, answer = _connect({"stream": "user:notification"}, {"Sec-WebSocket-Protocol": token})
    assert answer["statusCode"] == 200 and answer["headers"]["Sec-WebSocket-Protocol"] == token
    [found] = connections.presence(["bob"]).values()
    assert found.streams == {"user": {by_query}, "user:notification": {by_protocol}}
    assert found.base_url == "https://social.example" and not found.connections
    assert connections.connected(["bob"]) == {}  # the platform's frames never reach them


@pytest.mark.parametrize(("query", "status", "error"), [
    ({"access_token": "made-up"}, 401, "Invalid access token"),
    ({"access_token": "<write>"}, 401, "Access token does not have the required scopes"),
    ({"access_token": "<read>", "stream": "public"}, 400, "Unknown stream type"),
    ({"access_token": "<revoked>"}, 401, "Invalid access token"),
    ({"access_token": "<read:notifications>", "stream": "user"}, 401, "Access token does not have the required scopes"),
])
def test_a_bad_revoked_or_underscoped_token_or_an_unknown_stream_is_refused(
        world: World, sockets: _Management, query: dict[str, str], status: int, error: str) -> None:
    token = query.get("access_token", "")
    if token in ("<read>", "<write>", "<read:notifications>"):
        token = world.token("bob", token.strip("<>"))
    elif token == "<revoked>":
        app_, secret = world.authority.register_app("Elk", ["urn:ietf:wg:oauth:2.0:oob"], "read", None)
        token = world.authority.password_grant(app_.client_id, secret, "bob", "Correct-horse-1", "read").access_token
        world.authority.revoke(app_.client_id, secret, token)
    connection_id, answer = _connect({**query, "access_token": token})
    assert (answer["statusCode"], json.loads(answer["body"])) == (status, {"error": error})
    assert connections.connection(connection_id) is None


def test_no_token_at_all_is_refused_as_before(sockets: _Management) -> None:
    _, answer = _connect()
    assert answer["statusCode"] == 401 and json.loads(answer["body"])["error"]["code"] == "missing_token"


def test_a_mastodon_connection_subscribes_by_frame_and_bad_frames_get_mastodons_error(
        world: World, sockets: _Management) -> None:
    connection_id, _ = _connect({"access_token": world.token("bob", "read")})
    assert connections.presence(["bob"]) == {}  # connected, on no stream yet
    _message(connection_id, json.dumps({"type": "subscribe", "stream": "user"}))
    assert connections.presence(["bob"])["bob"].streams == {"user": {connection_id}}
    _message(connection_id, json.dumps({"type": "subscribe", "stream": "hashtag", "tag": "x"}))
    _message(connection_id, "{nope")
    assert _frames(sockets, connection_id) == [{"error": "Unknown stream type", "status": 400},
                                               {"error": "Invalid message", "status": 400}]
    _message(connection_id, json.dumps({"type": "unsubscribe", "stream": "user"}))
    assert connections.presence(["bob"]) == {}
    notifications_only, _ = _connect({"access_token": world.token("bob", "read:notifications")})
    _message(notifications_only, json.dumps({"type": "subscribe", "stream": "user"}))
    _message(notifications_only, json.dumps({"type": "subscribe", "stream": "user:notification"}))
    assert _frames(sockets, notifications_only) == [{"error": "Access token does not have the required scopes",
                                                     "status": 401}]
    assert connections.presence(["bob"])["bob"].streams == {"user:notification": {notifications_only}}


def _post(author: str, text: str) -> PostModel:
    post = PostModel(new_id(T0), author=author, content=text, created_at=T0)
    post.save()
    return post


def test_a_new_post_reaches_each_dialect_in_its_own_words_rendered_once(
        world: World, sockets: _Management, monkeypatch: pytest.MonkeyPatch) -> None:
    platform, _ = _connect({"token": "access:bob"})
    first, _ = _connect({"access_token": world.token("bob", "read"), "stream": "user"})
    second, _ = _connect({"access_token": world.token("bob", "read"), "stream": "user"})
    notifications_only, _ = _connect({"access_token": world.token("bob", "read"), "stream": "user:notification"})
    own, _ = _connect({"access_token": world.token("ann", "read"), "stream": "user"})
    renders: list[str] = []
    real = statuses.render_status

    def counted(*args: Any, **kwargs: Any) -> Any:
        renders.append("x")
        return real(*args, **kwargs)

    monkeypatch.setattr(statuses, "render_status", counted)
    post = _post("ann", "hello #tea")

    feed.push_post(post.post_id, "ann", after=None)

    assert [f["type"] for f in _frames(sockets, platform)] == ["post"]
    assert _frames(sockets, notifications_only) == []
    for connection_id in (first, second, own):
        [frame] = _frames(sockets, connection_id)
        assert (frame["stream"], frame["event"]) == (["user"], "update")
        status = json.loads(frame["payload"])
        assert (status["id"], status["account"]["id"]) == (post.post_id, "ann")
        assert status["url"] == f"https://social.example/@ann/{post.post_id}"
    assert renders == ["x"]  # once for the push, whoever streams

    post.delete()
    feed.handle({"type": "post.deleted", "data": {"post_id": post.post_id, "author": "ann"}})
    assert _frames(sockets, first)[-1] == {"stream": ["user"], "event": "delete", "payload": post.post_id}
    assert _frames(sockets, own)[-1]["event"] == "delete"
    assert [f["type"] for f in _frames(sockets, platform)] == ["post"]  # the platform has no deletion frame


def test_a_favourite_is_a_mastodon_notification_on_both_user_streams(world: World, sockets: _Management,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    published: list[tuple[Any, ...]] = []

    def publish(*args: Any) -> bool:
        published.append(args)
        return True

    monkeypatch.setattr(publisher, "publish", publish)
    platform, _ = _connect({"token": "access:ann"})
    user, _ = _connect({"access_token": world.token("ann", "read"), "stream": "user"})
    only, _ = _connect({"access_token": world.token("ann", "read"), "stream": "user:notification"})
    post = _post("ann", "tea?")
    posts.like(Principal(user_id="sub-bob", username="bob", groups=frozenset(), token_use="access"), post.post_id)
    intake.handle({"id": "evt-like", "type": "like.created", "occurred_at": (T0 + timedelta(minutes=1)).isoformat(),
                   "actor": "bob", "data": {"post_id": post.post_id, "post_author": "ann", "liker": "bob"}})
    [(recipient, notification, *_)] = published

    handlers._push_notification({"recipient": recipient, "notification": notification.model_dump(mode="json")})

    assert [f["type"] for f in _frames(sockets, platform)] == ["notification"]
    for connection_id, stream in ((user, "user"), (only, "user:notification")):
        [frame] = _frames(sockets, connection_id)
        assert (frame["stream"], frame["event"]) == ([stream], "notification")
        entity = json.loads(frame["payload"])
        assert (entity["type"], entity["account"]["id"], entity["status"]["id"]) == ("favourite", "bob", post.post_id)
        assert entity["status"]["favourited"] is False and entity["status"]["favourites_count"] == 1


def test_kinds_mastodon_has_not_are_not_streamed(world: World, sockets: _Management) -> None:
    event = streaming.notification({"id": "bm90LWEtcmVhbC1pZA", "type": "coins"})
    assert event.frame("user", "https://social.example") is None


def test_the_streaming_health_check_and_where_the_instance_says_to_stream(world: World,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    health = world.request("GET", "/api/v1/streaming/health")
    assert (health.status_code, health.body, health.headers["Content-Type"].split(";")[0]) == (200, b"OK",
                                                                                                 "text/plain")
    site = {"Host": "social.example", "X-Forwarded-Proto": "https"}
    monkeypatch.delenv("STREAMING_API_URL", raising=False)
    # In AWS the site's own host: CloudFront sends /api/v1/streaming to the WebSocket API.
    assert world.call("GET", "/api/v1/instance", headers=site)[1]["urls"]["streaming_api"] == "wss://social.example"
    monkeypatch.setenv("STREAMING_API_URL", "ws://127.0.0.1:8001")  # the local platform's WebSocket port
    assert world.call("GET", "/api/v2/instance", headers=site)[1]["configuration"]["urls"]["streaming"] == (
        "ws://127.0.0.1:8001")


def test_the_authors_own_stream_costs_no_read_of_its_own_and_gets_no_platform_frame(
        world: World, sockets: _Management, monkeypatch: pytest.MonkeyPatch) -> None:
    authors_platform, _ = _connect({"token": "access:ann"})
    authors_stream, _ = _connect({"access_token": world.token("ann", "read"), "stream": "user"})
    lookups: list[list[str]] = []
    real = connections.presence

    def counted(names: Any) -> Any:
        lookups.append(list(names))
        return real(lookups[-1])

    monkeypatch.setattr(connections, "presence", counted)
    post = _post("ann", "mine")
    report = feed.push_post(post.post_id, "ann", after=None)
    assert lookups == [["bob", "ann"]] and report.lookups == 1
    assert _frames(sockets, authors_platform) == []  # the platform never sent authors their own posts
    assert [f["event"] for f in _frames(sockets, authors_stream)] == ["update"]
