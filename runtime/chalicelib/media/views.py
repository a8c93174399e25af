"""How media look on the wire.

Usage::

    Media.of(media_row)      # variant URLs on the CDN (``MEDIA_BUCKET_URL``)
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from pydantic import Field

from chalicelib.core.schema import RequestBody, ResponseBody
from chalicelib.core.usertext import MultiLineText
from chalicelib.resources import MEDIA_FILES

if TYPE_CHECKING:
    from chalicelib.media.models import MediaModel

MAX_DESCRIPTION = 1500


def media_url(key: str) -> str:
    """The public URL of a media-bucket key, on the CDN."""
    base = os.environ.get(MEDIA_FILES.url_env_var, "").rstrip("/")
    return f"{base}/{key}"


class Focus(RequestBody):
    """The focal point, Mastodon's convention: x from -1 (left) to 1 (right), y from -1 (bottom) to 1 (top)."""

    x: float = Field(ge=-1, le=1)
    y: float = Field(ge=-1, le=1)


class NewMedia(RequestBody):
    content_type: str = Field(min_length=1, max_length=100)
    size: int = Field(ge=0)
    description: MultiLineText | None = Field(default=None, max_length=MAX_DESCRIPTION)
    focus: Focus | None = None


class MediaChange(RequestBody):
    description: MultiLineText | None = Field(default=None, max_length=MAX_DESCRIPTION)
    focus: Focus | None = None


class UploadForm(ResponseBody):
    url: str
    method: str
    fields: dict[str, str]


class CreatedMedia(ResponseBody):
    id: str
    status: str
    upload: UploadForm


class Variant(ResponseBody):
    url: str
    width: int | None
    height: int | None


class FocusPoint(ResponseBody):
    x: float
    y: float


class Media(ResponseBody):
    id: str
    type: str
    status: str
    failure: str | None
    variants: dict[str, Variant]
    width: int | None
    height: int | None
    duration_ms: int | None
    blurhash: str | None
    description: str | None
    focus: FocusPoint

    @classmethod
    def of(cls, media: MediaModel) -> Media:
        stored: dict[str, Any] = media.variants or {}
        variants = {name: Variant(url=media_url(v["key"]), width=v.get("width"), height=v.get("height"))
                    for name, v in stored.items()}
        return cls(id=media.media_id, type=media.kind, status=media.status, failure=media.failure,
                   variants=variants, width=_int(media.width), height=_int(media.height),
                   duration_ms=_int(media.duration_ms), blurhash=media.blurhash, description=media.description,
                   focus=FocusPoint(x=float(media.focus_x), y=float(media.focus_y)))


def _int(value: float | None) -> int | None:
    return None if value is None else int(value)
