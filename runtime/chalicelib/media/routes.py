"""Media routes: an upload slot (a presigned POST), a media's state, its alt text and focus."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.core.declarations import uses
from chalicelib.core.lazy import lazy_module
from chalicelib.core.routes import Call, Router
from chalicelib.media.views import CreatedMedia, Media, MediaChange, NewMedia, UploadForm
from chalicelib.resources import MEDIA, UPLOADS

if TYPE_CHECKING:
    from chalicelib.media import service
else:
    service = lazy_module("chalicelib.media.service")

router = Router(__name__, tag="media")


@router.route("/media", "POST", body=NewMedia, response=CreatedMedia, status=201)
@uses(MEDIA.read_write(), UPLOADS.write())  # the presigned POST is signed with this function's role
def create_media(call: Call[NewMedia]) -> CreatedMedia:
    """Reserve a media and get a presigned POST for its file (images up to 10 MiB, videos up to 200 MiB)."""
    body = call.body
    focus = (body.focus.x, body.focus.y) if body.focus is not None else (0.0, 0.0)
    media, upload = service.create_media(call.principal.username, body.content_type, body.size,
                                         description=body.description, focus=focus)
    return CreatedMedia(id=media.media_id, status=media.status,
                        upload=UploadForm(url=upload.url, method=upload.method, fields=upload.fields))


@router.route("/media/{media_id}", "GET", response=Media, errors=(404,))
@uses(MEDIA.read())
def read_media(call: Call[None], media_id: str) -> Media:
    """A media: to its owner, and to anyone once it is attached to a post or a profile."""
    return Media.of(service.visible_media(media_id, call.principal.username))


@router.route("/media/{media_id}", "PATCH", body=MediaChange, response=Media, errors=(403, 404))
@uses(MEDIA.read_write())
def change_media(call: Call[MediaChange], media_id: str) -> Media:
    """Set the alt text (``description``, ``null`` removes it) and the focal point: the owner only."""
    body, given = call.body, call.body.model_fields_set
    focus = (body.focus.x, body.focus.y) if body.focus is not None else None
    return Media.of(service.update_media(call.principal.username, media_id, description=body.description,
                                         set_description="description" in given, focus=focus))
