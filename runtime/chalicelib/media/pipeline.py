"""The media processor: from a raw upload to variants on the CDN, or a failure code.

``handle_upload(message)`` takes one S3 event notification (the body of a media-uploads queue
message). For each object it finds the media row its key names, checks the size against the
media's limit (the presigned POST's ``content-length-range`` is not enforced by every S3, moto
included, so the processor never relies on it), then:

* images: ``processing.process_image`` (the bytes decide the type, not the declaration) and the
  variants go to the media bucket under ``media/<id>/<variant>.<ext>``, immutable and cached a year;
* videos: a ranged read of the first bytes (their signature), then a transcoder job
  (``transcoders.transcoder()``) writing under ``media/<id>/``; ``handle_transcoded`` finishes
  them from the job's completion event.

A ``MediaRejected`` marks the media ``failed`` with its code. The raw upload is deleted once the
media is decided (for videos, when the job ends: the transcoder reads it meanwhile). A key with no
pending media row behind it is deleted and logged. Anything unexpected propagates, so the queue
retries the message and, after its max receives, parks it in the dead-letter queue.

Usage::

    handle_upload({"Records": [{"eventName": "ObjectCreated:Post", "s3": {...}}]})
    handle_transcoded(mediaconvert_event)
    sweep_unattached()
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote_plus

from pynamodb.exceptions import DeleteError
from pynamodb.expressions.condition import Condition

from chalicelib.core import metric_names as m
from chalicelib.core.clients import aws_client
from chalicelib.core.declarations import physical_name
from chalicelib.core.logs import get_logger
from chalicelib.core.metrics import count
from chalicelib.media import service
from chalicelib.media.models import UNATTACHED, MediaModel
from chalicelib.media.signatures import HEAD_BYTES
from chalicelib.resources import MEDIA_FILES, UPLOADS

log = get_logger(__name__)

CACHE_CONTROL = "public, max-age=31536000, immutable"  # a variant's key never gets other bytes
EXTENSIONS = {"image/webp": "webp", "image/jpeg": "jpg", "image/png": "png", "image/gif": "gif",
              "video/mp4": "mp4", "image/heic": "heic", "image/avif": "avif"}


def s3() -> Any:
    return aws_client("s3")


def _now() -> datetime:
    return datetime.now(UTC)


def variant_key(media_id: str, name: str, content_type: str) -> str:
    return f"media/{media_id}/{name}.{EXTENSIONS.get(content_type, 'bin')}"


def upload_records(message: dict[str, Any]) -> list[tuple[str, str, int | None]]:
    """(bucket, key, size) of each object an S3 notification names; S3's ``s3:TestEvent`` names none."""
    if message.get("Event") == "s3:TestEvent":
        return []
    found = []
    for record in message.get("Records") or []:
        if not str(record.get("eventName", "")).startswith("ObjectCreated"):
            continue
        s3_part = record["s3"]
        size = s3_part["object"].get("size")
        # Keys arrive URL-encoded (form encoding: a space is '+').
        found.append((s3_part["bucket"]["name"], unquote_plus(s3_part["object"]["key"]),
                      int(size) if size is not None else None))
    return found


def handle_upload(message: dict[str, Any]) -> None:
    for bucket, key, size in upload_records(message):
        process_upload(bucket, key, size)


def process_upload(bucket: str, key: str, size: int | None) -> None:
    from chalicelib.media.processing import MediaRejected

    media_id = service.media_id_of(key)
    media = service.find_media(media_id) if media_id else None
    if media is None or media.upload_key != key:
        log.warning("upload dropped: no media names it", extra={"key": key})
        s3().delete_object(Bucket=bucket, Key=key)
        return
    if media.status != "pending" or media.job_id:  # a repeated notification (S3 delivers at least once)
        log.info("upload handled already", extra={"media_id": media.media_id, "status": media.status})
        if media.status == "ready":  # a retry after marking it ready: the avatar step may not have run
            apply_pending_avatar(media)
        if media.status != "pending":  # decided: its upload goes; a video still transcoding keeps its source
            s3().delete_object(Bucket=bucket, Key=key)
        return
    try:
        if size is None:
            size = int(s3().head_object(Bucket=bucket, Key=key)["ContentLength"])
        _check_size(media, size)
        if media.kind == "image":
            _process_image(media, bucket, key)
        else:
            _submit_video(media, bucket, key)
            return  # the transcoder reads the upload: it goes when the job ends
    except MediaRejected as rejected:
        log.info("media rejected", extra={"media_id": media.media_id, "code": rejected.code})
        mark_failed(media.media_id, rejected.code)
    s3().delete_object(Bucket=bucket, Key=key)


def _check_size(media: MediaModel, size: int) -> None:
    from chalicelib.media.processing import MediaRejected

    if size <= 0:
        raise MediaRejected("empty")
    if size > service.size_limit(media.kind, int(media.declared_size)):
        raise MediaRejected("too_large")


def _process_image(media: MediaModel, bucket: str, key: str) -> None:
    from chalicelib.media.processing import process_image

    data = s3().get_object(Bucket=bucket, Key=key)["Body"].read()
    processed = process_image(data, media.content_type)
    destination = physical_name(MEDIA_FILES)
    variants: dict[str, dict[str, Any]] = {}
    for name, variant in processed.variants.items():
        stored = variant_key(media.media_id, name, variant.content_type)
        s3().put_object(Bucket=destination, Key=stored, Body=variant.data, ContentType=variant.content_type,
                        CacheControl=CACHE_CONTROL)
        variants[name] = {"key": stored, "width": variant.width, "height": variant.height,
                          "content_type": variant.content_type}
    mark_ready(media.media_id, variants, processed.width, processed.height, blurhash=processed.blurhash)


def _submit_video(media: MediaModel, bucket: str, key: str) -> None:
    from chalicelib.media.processing import check_signature
    from chalicelib.media.transcoders import transcoder

    head = s3().get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{HEAD_BYTES - 1}")["Body"].read()
    check_signature(head, media.content_type)  # the bytes decide: MediaRejected unless they are that video
    job_id = transcoder().submit(media_id=media.media_id, source_bucket=bucket, source_key=key,
                                 destination_bucket=physical_name(MEDIA_FILES),
                                 destination_prefix=f"media/{media.media_id}/")
    media.update(actions=[MediaModel.job_id.set(job_id), MediaModel.updated_at.set(_now())],
                 condition=MediaModel.status == "pending")


def mark_ready(media_id: str, variants: dict[str, Any], width: int | None, height: int | None, *,
               blurhash: str | None = None, duration_ms: int | None = None) -> None:
    # Ready media have files: from now on the sweep (files and row) removes them, not the row's TTL.
    actions: list[Any] = [MediaModel.status.set("ready"), MediaModel.variants.set(variants),
                          MediaModel.expires_at.remove(), MediaModel.updated_at.set(_now())]
    for number, value in ((MediaModel.width, width), (MediaModel.height, height),
                          (MediaModel.duration_ms, duration_ms)):
        if value is not None:
            actions.append(number.set(value))
    if blurhash is not None:
        actions.append(MediaModel.blurhash.set(blurhash))
    media = MediaModel(media_id)
    media.update(actions=actions, condition=MediaModel.media_id.exists())  # reads back the whole row
    count(m.MEDIA_PROCESSED)
    apply_pending_avatar(media)


def apply_pending_avatar(media: MediaModel) -> None:
    """A ready media uploaded as its owner's avatar (Mastodon's ``update_credentials``) becomes the avatar,
    through the profile's own avatar change, unless a newer upload is the avatar already.

    One not applied keeps its pending mark and its place in the sweep's index: the sweep removes it.
    """
    owner = service.pending_avatar_owner(media)
    if owner is None or media.status != "ready":
        return
    from chalicelib.users import profiles  # the users domain only when an avatar comes through

    applied = profiles.adopt_avatar(owner, media.media_id)
    log.info("pending avatar processed", extra={"media_id": media.media_id, "applied": applied})


def mark_failed(media_id: str, code: str) -> None:
    MediaModel(media_id).update(actions=[MediaModel.status.set("failed"), MediaModel.failure.set(code),
                                         MediaModel.updated_at.set(_now())],
                                condition=MediaModel.media_id.exists())
    count(m.MEDIA_FAILED)


def handle_transcoded(event: dict[str, Any]) -> None:
    """A transcoder job ended: the video becomes ready (the MP4 and its poster) or failed."""
    from chalicelib.media.transcoders import outcome_of

    outcome = outcome_of(event)
    if outcome is None:
        return
    media = service.find_media(outcome.media_id)
    if media is None:
        log.warning("transcode of an unknown media", extra={"media_id": outcome.media_id})
        return
    if outcome.status == "ready" and outcome.video_key:
        variants: dict[str, Any] = {"original": {"key": outcome.video_key, "width": outcome.width,
                                                 "height": outcome.height, "content_type": "video/mp4"}}
        if outcome.poster_key:
            variants["poster"] = {"key": outcome.poster_key, "width": outcome.width, "height": outcome.height,
                                  "content_type": "image/jpeg"}
        mark_ready(media.media_id, variants, outcome.width, outcome.height, duration_ms=outcome.duration_ms)
    else:
        mark_failed(media.media_id, outcome.failure or "transcode_failed")
    s3().delete_object(Bucket=physical_name(UPLOADS), Key=media.upload_key)


def _unattached() -> Condition:
    """Attached to nothing, or a pending avatar never applied (a day old by then: its upload lost or failed)."""
    condition: Condition = (MediaModel.attached_to.does_not_exist()
                            | MediaModel.attached_to.startswith(service.PENDING_AVATAR))
    return condition


def remove_media(media: MediaModel, *, only_unattached: bool = False) -> bool:
    """A media's row, then its files; False (nothing removed) when ``only_unattached`` and it is attached.

    The row goes first, under its condition: the sweep reads an eventually consistent index, and a
    media attached a moment ago must keep its files. (A crash between the two leaves files without
    a row, never a row pointing at no files.)
    """
    try:
        media.delete(condition=_unattached() if only_unattached else None)
    except DeleteError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    keys = [v["key"] for v in (media.variants or {}).values() if v.get("key")]
    if keys:
        s3().delete_objects(Bucket=physical_name(MEDIA_FILES),
                            Delete={"Objects": [{"Key": k} for k in keys], "Quiet": True})
    s3().delete_object(Bucket=physical_name(UPLOADS), Key=media.upload_key)
    return True


def remove_post_media(post_id: str, author: str) -> int:
    """The media of a deleted post (its author's media attached to it)."""
    removed = 0
    for media in MediaModel.by_owner.query(author, filter_condition=MediaModel.attached_to == f"post:{post_id}"):
        remove_media(media)
        removed += 1
    return removed


def sweep_unattached(now: datetime | None = None) -> int:
    """Remove media created over a day ago and still attached to nothing, or to a profile only as a pending
    avatar never applied (rows and files).

    A query of the sparse ``unattached`` index, oldest first, up to the cutoff: it reads what it
    removes (plus anything attached since the index was written, which the filter leaves alone).
    """
    cutoff = (now or _now()) - service.UNATTACHED_TTL
    removed = 0
    for media in MediaModel.by_unattached.query(UNATTACHED, MediaModel.created_at < cutoff,
                                                filter_condition=_unattached()):
        removed += remove_media(media, only_unattached=True)
    return removed

