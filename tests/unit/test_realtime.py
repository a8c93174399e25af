"""Real time without AWS: the frame rules, conversation ids, message text, and how a push batches and cleans up."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from chalicelib.core.errors import BadRequest, Unprocessable
from chalicelib.realtime import connections, protocol, push
from chalicelib.realtime.conversations import MAX_TEXT, check_text, conversation_id, participants


@pytest.mark.parametrize(("body", "code"), [
    (None, "malformed_frame"), ("", "malformed_frame"), ("{oops", "malformed_frame"), ("[]", "malformed_frame"),
    ('"ping"', "malformed_frame"), ("[" * 100_000, "frame_too_large"), ('{"action": "jump"}', "unknown_action"),
    ('{"action": 7}', "unknown_action"), ("{}", "unknown_action"),
])
def test_a_frame_that_is_not_an_object_with_a_known_action_is_a_bad_request(body: str | None, code: str) -> None:
    with pytest.raises(BadRequest) as refused:
        protocol.parse(body)
    assert refused.value.code == code
    assert protocol.error_frame(refused.value) == {"type": "error",
                                                   "error": {"code": code, "message": refused.value.message}}


def test_ping_is_answered_with_pong_and_needs_nothing_else() -> None:
    assert protocol.dispatch("alice", protocol.parse('{"action": "ping"}')) == {"type": "pong"}


def test_a_conversation_has_one_id_whoever_writes_first() -> None:
    assert conversation_id("bob", "alice") == conversation_id("alice", "bob") == "alice-bob"
    assert participants("alice-bob") == ("alice", "bob")
    for made_up in ("bob-alice", "alice", "alice-", "-bob", "alice-bob-carl", "Alice-bob", "alice-alice"):
        assert participants(made_up) is None, made_up


@pytest.mark.parametrize(("text", "code"), [
    ("", "invalid_text"), (None, "invalid_text"), (3, "invalid_text"), ("x" * (MAX_TEXT + 1), "text_too_long"),
    ("\u200b ", "invalid_text"), ("a\x00b", "invalid_text"), ("a\u202eb", "invalid_text"),
])
def test_message_text_follows_the_user_text_rules(text: Any, code: str) -> None:
    with pytest.raises(Unprocessable) as refused:
        check_text(text)
    assert refused.value.code == code


def test_message_text_may_have_lines_and_emoji_up_to_the_limit() -> None:
    assert check_text("hi\n\U0001f44b") == "hi\n\U0001f44b"
    assert check_text("x" * MAX_TEXT) == "x" * MAX_TEXT


class _Gone(Exception):
    pass


class _Management:
    """A Management API client: records posts; the ids in ``gone`` answer GoneException."""

    class exceptions:  # noqa: N801 (botocore's shape: client.exceptions.GoneException)
        GoneException = _Gone

    def __init__(self, gone: set[str]) -> None:
        self.gone = gone
        self.posted: list[tuple[str, bytes]] = []
        self._lock = threading.Lock()

    def post_to_connection(self, ConnectionId: str, Data: bytes) -> None:  # noqa: N803 (boto3's names)
        if ConnectionId in self.gone:
            raise _Gone(ConnectionId)
        with self._lock:
            self.posted.append((ConnectionId, Data))


def test_a_push_looks_users_up_by_pages_and_drops_the_gone(monkeypatch: pytest.MonkeyPatch) -> None:
    users = [f"user_{n}" for n in range(250)]
    present = {"user_3": {"a", "b"}, "user_200": {"c"}}
    lookups: list[list[str]] = []
    dropped: list[tuple[str, set[str]]] = []

    def connected(names: Any) -> dict[str, set[str]]:
        names = list(names)
        lookups.append(names)
        return {n: present[n] for n in names if n in present}

    client = _Management(gone={"b"})
    monkeypatch.setattr(connections, "connected", connected)
    monkeypatch.setattr(connections, "drop", lambda user, ids: dropped.append((user, set(ids))))
    monkeypatch.setattr(push, "management_client", lambda: client)

    report = push.push_to_users([*users, "user_3"], {"type": "post", "data": {"id": "P1"}})

    assert lookups == [users]  # one look-up of the distinct names (connections.connected batches by 100)
    assert sorted(cid for cid, _ in client.posted) == ["a", "c"]
    assert {data for _, data in client.posted} == {b'{"type":"post","data":{"id":"P1"}}'}
    assert dropped == [("user_3", {"b"})]
    assert (report.users, report.connected, report.delivered, report.gone) == (250, 2, 2, 1)
    assert (report.lookups, report.posts, report.cleanups) == (3, 3, 1)  # 3 pages of 100, 3 connections
    assert report.calls == 7


def test_nobody_connected_means_no_post(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(connections, "connected", lambda names: {})

    def no_client() -> Any:
        raise AssertionError("no post without a connection")

    monkeypatch.setattr(push, "management_client", no_client)
    report = push.push_to_users(["a", "b"], {"type": "notification", "data": {}})
    assert (report.delivered, report.posts, report.lookups) == (0, 0, 1)

