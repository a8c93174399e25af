"""Mastodon's avatar upload (``PATCH /api/v1/accounts/update_credentials`` with an ``avatar`` file) through the
media pipeline on moto: stored as a pending avatar, made the avatar once processed; the newest upload wins."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from chalicelib.core.clients import aws_client
from chalicelib.mastodon.params import MAX_UPLOAD_FILE
from chalicelib.media import pipeline
from chalicelib.media.models import MediaModel
from chalicelib.media.service import avatar_key
from chalicelib.resources import MEDIA_FILES, UPLOADS
from chalicelib.users.models import UserModel
from tests import media_samples
from tests.unit.mastodon_world import World, dynamodb, world

__all__ = ["dynamodb", "world"]  # fixtures, used by name

CDN = "https://cdn.example"
BOUNDARY = "AvAtArBoUnDaRy"


@pytest.fixture
def buckets(world: World, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """The uploads and media buckets on the module's moto."""
    monkeypatch.setenv(UPLOADS.env_var, "uploads-avatar")
    monkeypatch.setenv(MEDIA_FILES.env_var, "media-avatar")
    monkeypatch.setenv(MEDIA_FILES.url_env_var, CDN)
    aws_client.cache_clear()  # a client made under another endpoint would miss moto
    s3 = boto3.client("s3", region_name="us-east-1")
    for name in ("uploads-avatar", "media-avatar"):
        s3.create_bucket(Bucket=name)
    yield world
    aws_client.cache_clear()


def _multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes]]) -> tuple[bytes, dict[str, str]]:
    parts = [f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in fields.items()]
    for name, (content_type, data) in files.items():
        parts.append(f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"; filename="{name}.bin"\r\n'
                     f"Content-Type: {content_type}\r\n\r\n".encode() + data + b"\r\n")
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode(), {
        "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}


def _update(world: World, files: dict[str, tuple[str, bytes]], **fields: str) -> tuple[int, Any]:
    body, headers = _multipart(fields, files)
    return world.call("PATCH", "/api/v1/accounts/update_credentials", as_user="ada", body=body, headers=headers)


def _uploaded(world: World, data: bytes, content_type: str = "image/png") -> MediaModel:
    """Upload an avatar; the media it made (the newest of ada's)."""
    status, body = _update(world, {"avatar": (content_type, data)})
    assert status == 200, body
    return next(MediaModel.by_owner.query("ada", scan_index_forward=False, limit=1))


def _process(media: MediaModel) -> MediaModel:
    """What the uploads bucket's notification makes the pipeline do."""
    pipeline.process_upload("uploads-avatar", media.upload_key, None)
    return MediaModel.get(media.media_id, consistent_read=True)


def _avatar(world: World) -> str:
    return str(world.call("GET", "/api/v1/accounts/verify_credentials", as_user="ada")[1]["avatar"])


def test_an_avatar_file_becomes_the_avatar_once_the_pipeline_has_processed_it(buckets: World) -> None:
    world = buckets
    world.user("ada")
    missing = _avatar(world)
    status, body = _update(world, {"avatar": ("image/png", media_samples.png_with_alpha(600, 600)),
                                   "header": ("image/png", b"ignored")}, display_name="Ada L")
    assert status == 200 and body["display_name"] == "Ada L" and body["avatar"] == missing  # not processed yet
    [media] = MediaModel.scan()  # the header made nothing
    assert media.status == "pending" and media.attached_to == "avatar-pending:ada"
    assert world.call("GET", f"/api/v1/media/{media.media_id}", as_user="bob")[0] == 404  # not anyone's yet
    ready = _process(media)
    assert ready.status == "ready" and ready.attached_to == "avatar:ada" and ready.expires_at is None
    assert UserModel.get("ada").avatar == avatar_key(ready) == f"media/{media.media_id}/small.webp"
    assert _avatar(world) == f"{CDN}/{avatar_key(ready)}"
    pipeline.process_upload("uploads-avatar", media.upload_key, None)  # S3 delivers at least once: no change
    assert UserModel.get("ada").avatar == avatar_key(ready)


def test_the_newest_upload_wins_whichever_is_processed_first_and_a_failed_one_changes_nothing(
        buckets: World) -> None:
    world = buckets
    world.user("ada")
    first = _uploaded(world, media_samples.png_with_alpha(300, 300))
    second = _uploaded(world, media_samples.jpeg_upright(500, 400), "image/jpeg")
    _process(first)
    assert UserModel.get("ada").avatar == f"media/{first.media_id}/small.webp"
    second = _process(second)
    assert UserModel.get("ada").avatar == avatar_key(second)
    released = MediaModel.get(first.media_id)
    assert released.attached_to is None and released.unattached == "yes"  # the sweep's now

    third = _uploaded(world, media_samples.webp(200, 200), "image/webp")
    fourth = _uploaded(world, media_samples.webp(300, 200), "image/webp")
    fourth = _process(fourth)
    third = _process(third)  # older than the avatar now shown: left for the sweep
    assert UserModel.get("ada").avatar == avatar_key(fourth)
    assert third.status == "ready" and third.attached_to == "avatar-pending:ada"

    broken = _uploaded(world, b"\x89PNG\r\n\x1a\n" + b"not really a png" * 10)
    assert _process(broken).status == "failed"
    assert UserModel.get("ada").avatar == avatar_key(fourth) and _avatar(world) == f"{CDN}/{avatar_key(fourth)}"

    later = datetime.now(UTC) + timedelta(days=2)
    pipeline.sweep_unattached(later)
    left = {media.media_id for media in MediaModel.scan()}
    assert fourth.media_id in left and not left & {first.media_id, second.media_id, third.media_id}


def test_a_file_that_cannot_be_an_avatar_is_a_422_and_changes_nothing(buckets: World) -> None:
    world = buckets
    world.user("ada", display_name="Ada")
    for files, fields, error in (
            ({"avatar": ("text/plain", b"hello")}, {}, "Validation failed: Avatar content type is invalid"),
            ({"avatar": ("video/mp4", media_samples.mp4(0.5, 64, 48))}, {},
             "Validation failed: Avatar content type is invalid"),
            ({"avatar": ("image/png", b"")}, {}, "Validation failed: Avatar can't be blank"),
            ({"avatar": ("image/png", b"\x89PNG\r\n\x1a\n" + bytes(MAX_UPLOAD_FILE - 7))}, {},
             "Validation failed: Avatar file size must be less than 4.4 MB"),
            ({"avatar": ("image/png", media_samples.png_with_alpha(100, 100))}, {"display_name": "  "}, None)):
        status, body = _update(world, files, **{"display_name": "Changed", **fields})
        assert status == 422, body
        assert error is None or body == {"error": error}
    assert list(MediaModel.scan()) == [] and UserModel.get("ada").display_name == "Ada"
