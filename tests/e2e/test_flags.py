"""Feature flags on ``python -m local``: editing the flags document on disk changes GET /v1/flags and what the
platform does, within seconds and with no restart. The platform reads its own copy of the document."""

from __future__ import annotations

import functools
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from chalicelib.flags.document import DOCUMENT_PATH
from chalicelib.flags.validation import validate
from tests.e2e.conftest import RunningPlatform, register_and_login, start_platform
from tests.e2e.test_celebrities import _timeline
from tests.e2e.test_realtime import request, socket
from tests.e2e.test_social import Api, eventually

WITHIN = 10.0  # seconds for a change on disk to show (the file store checks the file on every read)


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("flags") / "flags.json"
    shutil.copy(DOCUMENT_PATH, path)
    return path


@pytest.fixture(scope="module")
def flagged(document: Path) -> Iterator[RunningPlatform]:
    with start_platform(FLAGS_FILE=str(document), BACKFILL_POSTS="1") as running:
        yield running


def set_flag(document: Path, name: str, **entry: Any) -> None:
    """Replace one flag's value in the document (checked first: only valid documents are written)."""
    content = json.loads(document.read_text())
    content["values"][name] = entry
    validate(content)
    staged = document.with_suffix(".tmp")
    staged.write_text(json.dumps(content, indent=2))
    os.replace(staged, document)  # what an editor's save does: the reader never sees half a file


def flags_of(api: Api) -> dict[str, Any]:
    answer: dict[str, Any] = api.ok("GET", "/flags")["flags"]
    return answer


def test_switching_video_uploads_off_refuses_videos_with_a_clear_code(flagged: RunningPlatform,
                                                                      document: Path) -> None:
    ada, bob = (Api(flagged, register_and_login(flagged, name)) for name in ("ada", "bob"))
    video = {"content_type": "video/mp4", "size": 1000}
    assert flags_of(ada)["video_uploads"] is True
    assert ada.ok("POST", "/media", 201, json=video)["status"] == "pending"

    set_flag(document, "video_uploads", enabled=False)
    eventually(lambda: flags_of(ada), lambda flags: flags["video_uploads"] is False, WITHIN)
    refused = ada.call("POST", "/media", json=video)
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "video_uploads_disabled"
    assert ada.ok("POST", "/media", 201, json={"content_type": "image/png", "size": 1000})  # images still go

    # On again, for one user only: the others see it off and are refused.
    set_flag(document, "video_uploads", enabled=True, users=[ada.user.username])
    eventually(lambda: flags_of(ada), lambda flags: flags["video_uploads"] is True, WITHIN)
    assert flags_of(bob)["video_uploads"] is False
    assert ada.ok("POST", "/media", 201, json=video)["status"] == "pending"
    assert bob.call("POST", "/media", json=video).json()["error"]["code"] == "video_uploads_disabled"
    set_flag(document, "video_uploads", enabled=True)


def test_direct_messages_off_answer_an_error_frame_and_store_nothing(flagged: RunningPlatform,
                                                                     document: Path) -> None:
    dee, eli = (Api(flagged, register_and_login(flagged, name)) for name in ("dee", "eli"))
    eli.ok("PUT", f"/users/{dee.user.username}/follow")
    message = {"action": "sendMessage", "to": eli.user.username, "text": "hello"}
    set_flag(document, "direct_messages", enabled=False)
    eventually(lambda: flags_of(dee), lambda flags: flags["direct_messages"] is False, WITHIN)
    with socket(flagged, dee.user) as connection:
        answer = request(connection, message)
        assert answer["type"] == "error" and answer["error"]["code"] == "direct_messages_disabled", answer
        assert request(connection, {"action": "ping"}) == {"type": "pong"}  # the connection stays open
        assert dee.ok("GET", "/conversations")["items"] == []
        set_flag(document, "direct_messages", enabled=True)
        eventually(lambda: flags_of(dee), lambda flags: flags["direct_messages"] is True, WITHIN)
        assert request(connection, message)["type"] != "error"
    assert len(eventually(lambda: dee.ok("GET", "/conversations")["items"], bool)) == 1


def test_a_lower_celebrity_threshold_applies_to_the_next_post(flagged: RunningPlatform, document: Path) -> None:
    star, *fans = (Api(flagged, register_and_login(flagged, n)) for n in ("star", "f1", "f2", "f3"))
    s = star.user.username
    for fan in fans:
        fan.ok("PUT", f"/users/{s}/follow")
    timeline = functools.partial(_timeline, flagged)
    # The default threshold (50,000): a post is fanned out into every follower's timeline.
    before = star.ok("POST", "/posts", 201, json={"content": "an ordinary author"})
    for fan in fans:
        eventually(functools.partial(timeline, fan.user.username), lambda ids: before["id"] in ids)
    assert _celebrity(flagged, s) is None

    set_flag(document, "celebrity_threshold", enabled=True, value=2)
    eventually(lambda: flags_of(star), lambda flags: "video_uploads" in flags, WITHIN)  # the platform answers
    # The next post finds 3 followers > 2: the star becomes a celebrity, and is no longer fanned out.
    star.ok("POST", "/posts", 201, json={"content": "now over the threshold"})
    eventually(functools.partial(_celebrity, flagged, s), lambda mark: mark == "yes", WITHIN)
    later = star.ok("POST", "/posts", 201, json={"content": "merged on read"})
    # Its fan-out has run once the post is in the author's own timeline (written first, celebrity or not).
    eventually(functools.partial(timeline, s), lambda ids: later["id"] in ids)
    for fan in fans:
        assert later["id"] in eventually(fan.feed_ids, lambda ids: later["id"] in ids)  # merged at read time
        assert later["id"] not in timeline(fan.user.username)
    set_flag(document, "celebrity_threshold", enabled=False, value=50000)


def _celebrity(platform: RunningPlatform, username: str) -> str | None:
    """The users table's celebrity mark of ``username`` (None, pending or yes), read from the local DynamoDB."""
    dynamodb = boto3.client("dynamodb", endpoint_url=platform.aws_endpoint, region_name="us-east-1",
                            aws_access_key_id="testing", aws_secret_access_key="testing")
    table = next(name for name in dynamodb.list_tables()["TableNames"] if name.endswith("-users"))
    item = dynamodb.get_item(TableName=table, Key={"username": {"S": username}}).get("Item", {})
    mark = item.get("celebrity", {}).get("S")
    return str(mark) if mark is not None else None
