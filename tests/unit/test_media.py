"""The media domain without AWS: the presigned POST's policy, refusals, visibility, S3 notifications, views."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest

from chalicelib.core.errors import Unprocessable
from chalicelib.media import service
from chalicelib.media.models import MediaModel
from chalicelib.media.pipeline import upload_records, variant_key
from chalicelib.media.views import Media
from chalicelib.resources import MEDIA_FILES, UPLOADS
from local.eventbridge import matches

ROOT = Path(__file__).resolve().parents[2]
MEDIA_ID = "01JD6X3K6M5Y8V1Q2W3E4R5T6Y"


def _policy(fields: dict[str, str]) -> dict[str, Any]:
    return dict(json.loads(base64.b64decode(fields["policy"])))


def test_the_presigned_post_allows_one_key_one_type_and_at_most_the_declared_size(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(UPLOADS.env_var, "uploads-bucket")
    client = boto3.client("s3", region_name="us-east-1", endpoint_url="http://127.0.0.1:1")
    key = service.upload_key("ada", MEDIA_ID)
    upload = service.presign_upload(key, "image/png", 1234, client=client)
    assert upload.method == "POST" and upload.url.endswith("/uploads-bucket")
    assert (upload.fields["key"], upload.fields["Content-Type"]) == (f"uploads/ada/{MEDIA_ID}", "image/png")
    policy = _policy(upload.fields)
    conditions = policy["conditions"]
    assert {"Content-Type": "image/png"} in conditions
    assert ["content-length-range", 1, 1234] in conditions
    assert {"key": f"uploads/ada/{MEDIA_ID}"} in conditions and {"bucket": "uploads-bucket"} in conditions
    expires = datetime.strptime(policy["expiration"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert 0 < (expires - datetime.now(UTC)).total_seconds() <= service.UPLOAD_SECONDS


def test_the_size_limit_is_the_kinds_and_never_more_than_declared() -> None:
    assert service.size_limit("image", 5_000) == 5_000
    assert service.size_limit("image", 50 * 1024 * 1024) == 10 * 1024 * 1024
    assert service.size_limit("video", 300 * 1024 * 1024) == 200 * 1024 * 1024


@pytest.mark.parametrize(("content_type", "size", "code", "field"), [
    ("application/zip", 10, "unsupported_media_type", "content_type"),
    ("image/svg+xml", 10, "unsupported_media_type", "content_type"),
    ("image/png", 0, "validation_failed", "size"),
    ("image/png", 10 * 1024 * 1024 + 1, "media_too_large", "size"),
    ("video/mp4", 200 * 1024 * 1024 + 1, "media_too_large", "size"),
])
def test_a_type_not_allowed_or_a_size_out_of_bounds_is_refused_before_anything_is_stored(
        content_type: str, size: int, code: str, field: str) -> None:
    with pytest.raises(Unprocessable) as refused:
        service.create_media("ada", content_type, size, client=object())  # no AWS call may happen
    assert refused.value.code == code
    assert refused.value.details[0]["field"] == field


def _media(**values: Any) -> MediaModel:
    now = datetime.now(UTC)
    defaults: dict[str, Any] = {"owner": "ada", "kind": "image", "content_type": "image/png", "declared_size": 10,
                                "upload_key": f"uploads/ada/{MEDIA_ID}", "created_at": now, "updated_at": now}
    return MediaModel(MEDIA_ID, **{**defaults, **values})


def test_media_are_seen_by_their_owner_until_attached_then_by_anyone() -> None:
    assert service.can_see(_media(), "ada")
    assert not service.can_see(_media(), "bob")
    assert service.can_see(_media(attached_to="post:01JD6X3K6M5Y8V1Q2W3E4R5T6Z"), "bob")
    assert service.can_see(_media(attached_to="avatar:ada"), "bob")


def test_only_uploads_keys_name_a_media() -> None:
    assert service.media_id_of(f"uploads/ada/{MEDIA_ID}") == MEDIA_ID
    for key in (f"media/{MEDIA_ID}/small.webp", f"uploads/ada/{MEDIA_ID}/x", "uploads/ada/not-an-id",
                f"uploads/{MEDIA_ID}"):
        assert service.media_id_of(key) is None, key


def test_s3_notifications_skip_the_test_event_and_decode_keys() -> None:
    assert upload_records({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "b"}) == []
    message = {"Records": [
        {"eventName": "ObjectCreated:Post", "s3": {"bucket": {"name": "b"},
                                                   "object": {"key": "uploads/ada+b/x%2By", "size": 7}}},
        {"eventName": "ObjectRemoved:Delete", "s3": {"bucket": {"name": "b"}, "object": {"key": "k"}}},
    ]}
    assert upload_records(message) == [("b", "uploads/ada b/x+y", 7)]


def test_the_wire_form_puts_variants_on_the_cdn(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MEDIA_FILES.url_env_var, "https://cdn.example.org/")
    key = variant_key(MEDIA_ID, "small", "image/webp")
    media = Media.of(_media(status="ready", width=800, height=600, blurhash="LEHV6n", focus_x=0.5, focus_y=-1,
                            variants={"small": {"key": key, "width": 400, "height": 300,
                                                "content_type": "image/webp"}}))
    assert media.variants["small"].url == f"https://cdn.example.org/media/{MEDIA_ID}/small.webp"
    assert (media.width, media.height, media.focus.x, media.focus.y) == (800, 600, 0.5, -1.0)
    assert media.failure is None and media.type == "image"


def test_eventbridge_patterns_match_as_eventbridge_does() -> None:
    pattern = {"source": ["aws.mediaconvert"], "detail-type": ["MediaConvert Job State Change"],
               "detail": {"status": ["COMPLETE", "ERROR"]}}
    event = {"source": "aws.mediaconvert", "detail-type": "MediaConvert Job State Change",
             "detail": {"status": "COMPLETE", "jobId": "1"}}
    assert matches(pattern, event)
    assert not matches(pattern, {**event, "detail": {"status": "PROGRESSING"}})
    assert not matches(pattern, {**event, "source": "aws.s3"})
    assert not matches(pattern, {"source": "aws.mediaconvert"})
