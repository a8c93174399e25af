"""Media: the upload slot, who may see a media, its alt text and focus, and attaching it to posts and avatars.

Plain domain code over the media table. A media is created ``pending`` with a presigned POST for
one exact key (``uploads/<owner>/<media_id>``); the processor (``media.pipeline``) makes it
``ready`` or ``failed``. Only its owner sees it until it is attached (to a post or as an avatar);
then anyone does. Media still pending may be attached (as Mastodon allows): readers see it as
pending until it is ready. Failed media never can.

Usage::

    media, upload = create_media("ada", "image/jpeg", 123_456)
    upload.url, upload.fields                       # POST them with the file as ``file``
    visible_media(media.media_id, viewer="ada")      # NotFound for anyone else until attached
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pynamodb.exceptions import UpdateError
from pynamodb.expressions.condition import Condition

from chalicelib import flags
from chalicelib.core.batches import get_many
from chalicelib.core.declarations import physical_name
from chalicelib.core.errors import Forbidden, NotFound, Unprocessable
from chalicelib.core.ids import is_id, new_id
from chalicelib.core.transactions import Update
from chalicelib.media import signatures
from chalicelib.media.models import UNATTACHED, MediaModel
from chalicelib.resources import UPLOADS

MAX_ATTACHED = 4  # media per post
UPLOAD_SECONDS = 600  # the presigned POST's lifetime
UNATTACHED_TTL = timedelta(days=1)  # never uploaded or never attached: gone after this
UPLOAD_PREFIX = "uploads/"
PENDING_AVATAR = "avatar-pending:"  # attached_to of an uploaded avatar until processed: ``avatar-pending:<owner>``


def _now() -> datetime:
    return datetime.now(UTC)


def kind_of(content_type: str) -> str | None:
    """``image`` or ``video`` for an allowed content type, else None."""
    allowed: Any = signatures.ALLOWED_TYPES
    if isinstance(allowed, Mapping):
        found = allowed.get(content_type)
        return str(found) if found is not None else None
    return content_type.split("/", 1)[0] if content_type in allowed else None


def size_limit(kind: str, declared: int) -> int:
    """The most bytes an upload may have: the kind's limit, and never more than was declared."""
    return min(int(signatures.MAX_BYTES[kind]), declared)


def upload_key(owner: str, media_id: str) -> str:
    return f"{UPLOAD_PREFIX}{owner}/{media_id}"


def media_id_of(key: str) -> str | None:
    """The media id an uploads key names (``uploads/<owner>/<id>``), or None for any other key."""
    parts = key.split("/")
    return parts[2] if len(parts) == 3 and parts[0] + "/" == UPLOAD_PREFIX and is_id(parts[2]) else None


@dataclass(frozen=True)
class Upload:
    """A presigned POST: send ``fields`` then the file (as ``file``) as multipart/form-data to ``url``."""

    url: str
    fields: dict[str, str]
    method: str = "POST"


def presign_upload(key: str, content_type: str, max_bytes: int, *, client: Any = None) -> Upload:
    """A presigned POST for exactly ``key`` and ``content_type``, 1..``max_bytes`` bytes, for 10 minutes.

    Signing needs no request to S3; the signing credentials (the API function's role) need
    ``s3:PutObject`` on the key, so the route declares ``UPLOADS.write()``.
    """
    if client is None:
        import boto3  # only the upload route signs: keep boto3's S3 model out of the API's cold import

        client = boto3.client("s3")
    signed = client.generate_presigned_post(
        Bucket=physical_name(UPLOADS), Key=key, Fields={"Content-Type": content_type},
        Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, max_bytes]],
        ExpiresIn=UPLOAD_SECONDS)
    return Upload(url=str(signed["url"]), fields={str(k): str(v) for k, v in signed["fields"].items()})


def _refuse(code: str, field: str, problem: str) -> Unprocessable:
    return Unprocessable(code, f"{field} {problem}", details=[{"field": field, "problem": problem}])


def _new_media(owner: str, content_type: str, size: int, description: str | None,
               focus: tuple[float, float]) -> MediaModel:
    """A pending media row, checked (type allowed, size within the kind's limit), not saved yet."""
    kind = kind_of(content_type)
    if kind is None:
        raise _refuse("unsupported_media_type", "content_type",
                      f"must be one of {', '.join(sorted(signatures.ALLOWED_TYPES))}")
    if kind == "video" and not flags.enabled(flags.VIDEO_UPLOADS, owner):
        raise Unprocessable("video_uploads_disabled", "video uploads are switched off for now; images still work",
                            details=[{"field": "content_type", "problem": "video uploads are switched off"}])
    limit = int(signatures.MAX_BYTES[kind])
    if not 1 <= size <= limit:
        raise _refuse("media_too_large" if size > limit else "validation_failed", "size",
                      f"must be within 1..{limit} bytes for {kind}")
    now = _now()
    media_id = new_id(now)
    return MediaModel(media_id, owner=owner, kind=kind, content_type=content_type, declared_size=size,
                      status="pending", upload_key=upload_key(owner, media_id), description=description,
                      focus_x=focus[0], focus_y=focus[1], created_at=now, updated_at=now, unattached=UNATTACHED,
                      expires_at=int((now + UNATTACHED_TTL).timestamp()))


def create_media(owner: str, content_type: str, size: int, *, description: str | None = None,
                 focus: tuple[float, float] = (0.0, 0.0), client: Any = None) -> tuple[MediaModel, Upload]:
    """A pending media and its upload slot; a type not allowed or a size over the limit is a 422."""
    media = _new_media(owner, content_type, size, description, focus)
    upload = presign_upload(media.upload_key, content_type, size_limit(media.kind, size), client=client)
    media.save(condition=MediaModel.media_id.does_not_exist())
    return media, upload


def receive_upload(owner: str, content_type: str, data: bytes, *, description: str | None = None,
                   focus: tuple[float, float] = (0.0, 0.0), client: Any = None) -> MediaModel:
    """A media whose bytes came with the request (Mastodon's upload): the same row and checks as
    ``create_media``, and the bytes put at the key its presigned POST would have used, so the bucket's
    notification starts the same processing (``media.pipeline.handle_upload``).

    A declared type that is not allowed (``application/octet-stream`` from a client that did not guess) is
    replaced by what the bytes' signature says; the processor checks the bytes again either way.
    """
    return store_upload(prepare_upload(owner, content_type, data, description=description, focus=focus), data,
                        client=client)


def prepare_upload(owner: str, content_type: str, data: bytes, *, description: str | None = None,
                   focus: tuple[float, float] = (0.0, 0.0), avatar: bool = False) -> MediaModel:
    """``receive_upload``'s checks and row, nothing stored yet (a 422 here leaves no trace).

    ``avatar``: an image only, and marked as its owner's pending avatar (``PENDING_AVATAR``): once processed,
    the pipeline makes it the avatar (``users.profiles.adopt_avatar``). It keeps its expiry and stays in the
    sweep's index until then, so one never applied goes like any media attached to nothing.
    """
    if kind_of(content_type) is None:
        detected = signatures.sniff(data[:signatures.HEAD_BYTES])
        content_type = detected.content_type if detected is not None else content_type
    if avatar and kind_of(content_type) != "image":
        raise _refuse("unsupported_media_type", "content_type", "must be an image for an avatar")
    media = _new_media(owner, content_type, len(data), description, focus)
    if avatar:
        media.attached_to = PENDING_AVATAR + owner
    return media


def store_upload(media: MediaModel, data: bytes, *, client: Any = None) -> MediaModel:
    """Save a prepared media, then put its bytes where the pipeline's notification comes from."""
    media.save(condition=MediaModel.media_id.does_not_exist())
    if client is None:
        from chalicelib.core.clients import aws_client

        client = aws_client("s3")
    client.put_object(Bucket=physical_name(UPLOADS), Key=media.upload_key, Body=data,
                      ContentType=media.content_type)
    return media


def pending_avatar_owner(media: MediaModel) -> str | None:
    """Whose pending avatar the media is, if it is one (``prepare_upload(..., avatar=True)``)."""
    label = media.attached_to or ""
    return label.removeprefix(PENDING_AVATAR) if label.startswith(PENDING_AVATAR) else None


def find_media(media_id: str) -> MediaModel | None:
    if not is_id(media_id):
        return None
    try:
        return MediaModel.get(media_id, consistent_read=True)
    except MediaModel.DoesNotExist:
        return None


def can_see(media: MediaModel, viewer: str) -> bool:
    """Its owner always; anyone once it is attached to a post or a profile (not while a pending avatar)."""
    return media.owner == viewer or (media.attached_to is not None and pending_avatar_owner(media) is None)


def visible_media(media_id: str, viewer: str) -> MediaModel:
    media = find_media(media_id)
    if media is None or not can_see(media, viewer):
        raise NotFound("media_not_found", "no such media")
    return media


def update_media(owner: str, media_id: str, *, description: str | None, set_description: bool,
                 focus: tuple[float, float] | None) -> MediaModel:
    """Change alt text (``None`` with ``set_description`` removes it) and focus: the owner only."""
    media = visible_media(media_id, owner)
    if media.owner != owner:
        raise Forbidden("not_your_media", "only the owner may change this media")
    actions: list[Any] = [MediaModel.updated_at.set(_now())]
    if set_description:
        actions.append(MediaModel.description.set(description) if description else MediaModel.description.remove())
    if focus is not None:
        actions += [MediaModel.focus_x.set(focus[0]), MediaModel.focus_y.set(focus[1])]
    media.update(actions=actions, condition=MediaModel.owner == owner)
    return media


def _claimable(owner: str) -> Condition:
    condition: Condition = ((MediaModel.owner == owner) & (MediaModel.status != "failed")
                            & MediaModel.attached_to.does_not_exist())
    return condition


def claim_for_post(owner: str, media_ids: list[str]) -> list[MediaModel]:
    """The caller's media for a new post, checked: at most 4, each theirs, not failed, not attached yet.

    Returns them in the given order; a problem with any is the contract's 422 ``invalid_media``.
    The post's transaction then attaches them with ``attach_updates`` (the same conditions, so a
    media attached or failed meanwhile cancels the post).
    """
    if len(media_ids) > MAX_ATTACHED:
        raise _refuse("invalid_media", "media_ids", f"must name at most {MAX_ATTACHED} media")
    if len(set(media_ids)) != len(media_ids):
        raise _refuse("invalid_media", "media_ids", "must not repeat a media")
    found = get_many(MediaModel, [m for m in media_ids if is_id(m)])
    for media_id in media_ids:
        media = found.get(media_id)
        if media is None or media.owner != owner:
            raise _refuse("invalid_media", "media_ids", f"{media_id} is not one of your media")
        if media.status == "failed":
            raise _refuse("invalid_media", "media_ids", f"{media_id} failed processing ({media.failure})")
        if media.attached_to is not None:
            raise _refuse("invalid_media", "media_ids", f"{media_id} is attached already")
    return [found[m] for m in media_ids]


def attach_updates(owner: str, media: list[MediaModel], target: str) -> list[Update]:
    """Transaction items that attach ``media`` to ``target`` (``post:<id>``) and stop their expiry."""
    now = _now()
    return [Update(MediaModel(m.media_id), [MediaModel.attached_to.set(target), MediaModel.unattached.remove(),
                                             MediaModel.expires_at.remove(), MediaModel.updated_at.set(now)],
                   condition=_claimable(owner))
            for m in media]


def claim_avatar(owner: str, media_id: str) -> MediaModel:
    """The caller's own ready image, for their avatar; anything else is a 422 ``invalid_media``."""
    media = find_media(media_id)
    if media is None or media.owner != owner:
        raise _refuse("invalid_media", "avatar_media_id", "is not one of your media")
    if media.kind != "image" or media.status != "ready":
        raise _refuse("invalid_media", "avatar_media_id", "must be one of your images, processed (ready)")
    return media


def avatar_updates(owner: str, media: MediaModel) -> list[Update]:
    """Attach an avatar (a media may be the avatar again: no condition on ``attached_to``)."""
    return [Update(MediaModel(media.media_id), [MediaModel.attached_to.set(f"avatar:{owner}"),
                                                 MediaModel.unattached.remove(), MediaModel.expires_at.remove(),
                                                 MediaModel.updated_at.set(_now())],
                   condition=(MediaModel.owner == owner) & (MediaModel.status == "ready"))]


def release_avatar(owner: str, key: str | None) -> None:
    """An avatar replaced or removed is attached to nothing again: the hourly sweep removes it.

    Best effort after the profile changed: a media gone already, or attached elsewhere, is left alone.
    """
    parts = (key or "").split("/")
    if len(parts) != 3 or parts[0] != "media" or not is_id(parts[1]):
        return
    try:
        MediaModel(parts[1]).update(actions=[MediaModel.attached_to.remove(), MediaModel.unattached.set(UNATTACHED),
                                             MediaModel.updated_at.set(_now())],
                                    condition=MediaModel.attached_to == f"avatar:{owner}")
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise


def avatar_key(media: MediaModel) -> str:
    """The variant a profile shows: small (400 px) when there is one."""
    variants: dict[str, Any] = media.variants or {}
    chosen = variants.get("small") or variants.get("original") or {}
    return str(chosen.get("key", ""))
