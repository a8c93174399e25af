"""The media pipeline on the in-process platform with the real app: retries, the dead-letter queue, the sweep.

Queues here redeliver after 1 s, so a poison message's three receives take seconds, not the
declared 5 minutes.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.media.models import UNATTACHED, MediaModel
from chalicelib.media.pipeline import remove_media
from local.platform import LocalPlatform

PREFIX = "mediatest-"


@pytest.fixture(scope="module")
def platform() -> Iterator[LocalPlatform]:
    app = importlib.import_module("app").app
    manifest = importlib.import_module("chalicelib.resources").MANIFEST
    # moto's backends are process-wide: keep the package platform's (no reset), own prefix.
    with LocalPlatform(port=0, app=app, manifest=manifest, prefix=PREFIX, visibility_timeout=1, seed=None,
                       admin=False, idle_interval=0.2, reset_on_stop=False) as running:
        yield running


def _media(media_id: str, created: datetime, attached_to: str | None = None) -> MediaModel:
    return MediaModel(media_id, owner="ada", kind="image", content_type="image/webp", declared_size=10,
                      status="ready", upload_key=f"uploads/ada/{media_id}", created_at=created, updated_at=created,
                      attached_to=attached_to, unattached=None if attached_to else UNATTACHED,
                      variants={"small": {"key": f"media/{media_id}/small.webp", "width": 1, "height": 1}})


def test_a_poison_message_is_retried_then_parked_in_the_dead_letter_queue(platform: LocalPlatform) -> None:
    queue = platform.provisioned.queues["media-uploads"] if platform.provisioned else None
    assert queue is not None
    sqs = platform.clients.sqs
    body = json.dumps({"Records": [{"eventName": "ObjectCreated:Post", "s3": {"bucket": {}}}]})  # no key: a bug
    sent = sqs.send_message(QueueUrl=queue.url, MessageBody=body)["MessageId"]
    parked: list[str] = []

    def in_dead_letters() -> bool:
        got = sqs.receive_message(QueueUrl=queue.dlq_url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        parked.extend(m["MessageId"] for m in got.get("Messages", []))
        return sent in parked

    platform.pump.wait_for(in_dead_letters, timeout=30, interval=0.2)
    assert platform.pump.attempts(sent) == queue.declaration.max_receives  # retried, never looping


def test_the_sweep_removes_media_unattached_after_a_day_files_and_all(platform: LocalPlatform) -> None:
    s3, files = platform.clients.s3, f"{PREFIX}media"
    old = datetime.now(UTC) - timedelta(days=2)
    stale, attached, fresh = (_media("01JD6X3K6M5Y8V1Q2W3E4R5T60", old),
                              _media("01JD6X3K6M5Y8V1Q2W3E4R5T61", old, attached_to="post:01JD6X3K6M5Y8V1Q2W3E4R5T6Z"),
                              _media("01JD6X3K6M5Y8V1Q2W3E4R5T62", datetime.now(UTC)))
    for media in (stale, attached, fresh):
        media.save()
        s3.put_object(Bucket=files, Key=f"media/{media.media_id}/small.webp", Body=b"x")
    assert platform.pump.fire("sweep_media") == {"removed": 1}  # judged with sweep_media's own grants
    left = {o["Key"] for o in s3.list_objects_v2(Bucket=files, Prefix="media/").get("Contents", [])}
    assert left == {f"media/{m.media_id}/small.webp" for m in (attached, fresh)}
    assert MediaModel.count(stale.media_id) == 0
    assert MediaModel.count(attached.media_id) == 1


def test_the_sweep_never_removes_a_media_attached_after_the_index_listed_it(platform: LocalPlatform) -> None:
    # The index is eventually consistent: the row's own condition decides, before any file goes.
    s3, files = platform.clients.s3, f"{PREFIX}media"
    listed = _media("01JD6X3K6M5Y8V1Q2W3E4R5T64", datetime.now(UTC) - timedelta(days=2))
    listed.save()
    s3.put_object(Bucket=files, Key=f"media/{listed.media_id}/small.webp", Body=b"x")
    MediaModel(listed.media_id).update(actions=[MediaModel.attached_to.set("post:01JD6X3K6M5Y8V1Q2W3E4R5T6Z")])
    assert platform.grants is not None
    with platform.grants.calling("sweep_media"):  # with the sweep's own grants
        assert remove_media(listed, only_unattached=True) is False
    assert MediaModel.count(listed.media_id) == 1
    assert s3.list_objects_v2(Bucket=files, Prefix=f"media/{listed.media_id}/")["KeyCount"] == 1


def test_a_repeated_notification_leaves_a_transcoding_videos_source_alone(platform: LocalPlatform) -> None:
    now = datetime.now(UTC)
    video = MediaModel("01JD6X3K6M5Y8V1Q2W3E4R5T63", owner="ada", kind="video", content_type="video/mp4",
                       declared_size=10, status="pending", job_id="1700000000000-abc123",
                       upload_key="uploads/ada/01JD6X3K6M5Y8V1Q2W3E4R5T63", created_at=now, updated_at=now)
    video.save()
    uploads = f"{PREFIX}uploads"
    platform.clients.s3.put_object(Bucket=uploads, Key=video.upload_key, Body=b"....ftypisom")  # notified again
    platform.pump.drain(20)
    assert platform.clients.s3.head_object(Bucket=uploads, Key=video.upload_key)["ContentLength"] == 12
    assert MediaModel.get(video.media_id).status == "pending"
