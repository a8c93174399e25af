"""``/api/v1/media`` and ``/api/v2/media``: uploads as Mastodon clients send them, through the ``/v1`` pipeline.

A Mastodon upload carries its bytes in the request (multipart ``file``), where ``/v1`` hands out a presigned POST.
``media.service.receive_upload`` makes the same media row and puts the bytes at the very key that POST would
have used, so the uploads bucket's notification -> queue -> processor run as for ``/v1``: the answer is the
pending attachment (``url`` null; ``/api/v2/media`` answers 202 then), and ``GET /api/v1/media/{id}`` is a 206
until the processor has made it ready (200), as Mastodon answers.

The body may be at most an image's limit (plus the multipart's own bytes): a request carries no more to a
function. Larger videos go through ``/v1``'s presigned upload.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from chalicelib.core import errors
from chalicelib.core.declarations import uses
from chalicelib.core.lazy import lazy_module
from chalicelib.core.routes import Reply
from chalicelib.mastodon.errors import MastodonError, unprocessable
from chalicelib.mastodon.params import MAX_UPLOAD_BODY, Params
from chalicelib.mastodon.routing import MastodonCall, MastodonRouter
from chalicelib.resources import MEDIA, UPLOADS

if TYPE_CHECKING:
    from chalicelib.mastodon import statuses
    from chalicelib.mastodon.statuses import MediaAttachment
    from chalicelib.media import service
    from chalicelib.media import views as media_views
    from chalicelib.media.models import MediaModel
else:
    statuses = lazy_module("chalicelib.mastodon.statuses")
    service = lazy_module("chalicelib.media.service")
    media_views = lazy_module("chalicelib.media.views")

router = MastodonRouter(__name__)



class MediaParams(Params):
    description: str | None = None
    focus: str | None = None
    thumbnail: Any = None


def _focus(raw: str | None) -> tuple[float, float] | None:
    """Mastodon's ``focus=x,y``, each within -1..1; 422 otherwise."""
    if raw is None or raw == "":
        return None
    try:
        x, y = (float(part) for part in raw.split(","))
    except ValueError:
        raise unprocessable("Focus must be two numbers, x,y") from None
    if not (-1 <= x <= 1 and -1 <= y <= 1):
        raise unprocessable("Focus must be within -1.0..1.0")
    return x, y


def _description(raw: str | None) -> str | None:
    """The alt text by the ``/v1`` rules (``media.views.MediaChange``), refused in Mastodon's words."""
    if raw is None:
        return None
    try:
        return media_views.MediaChange.model_validate({"description": raw}).description
    except ValidationError as error:
        raise unprocessable(f"Description {error.errors(include_url=False)[0]['msg'].lower()}") from error


def _receive(call: MastodonCall[MediaParams]) -> MediaModel:
    upload = call.files.get("file")
    if upload is None or not upload.data:
        raise unprocessable("File can't be blank")
    description, focus = _description(call.params.description), _focus(call.params.focus)
    try:
        return service.receive_upload(call.principal.username, upload.content_type, upload.data,
                                      description=description, focus=focus or (0.0, 0.0))
    except errors.Unprocessable as error:
        if error.code == "unsupported_media_type":
            raise unprocessable("File content type is invalid, File is invalid") from error
        raise


@router.route("/api/v2/media", "POST", scope="write:media", params=MediaParams, max_body_bytes=MAX_UPLOAD_BODY)
@uses(MEDIA.read_write(), UPLOADS.write())
def upload(call: MastodonCall[MediaParams]) -> Reply:
    """Upload a file: 202 with ``url`` null while it is processed (always, here: processing is asynchronous)."""
    attachment = statuses.media_attachment(_receive(call))
    return Reply(attachment, status=200 if attachment.url else 202)


@router.route("/api/v1/media", "POST", scope="write:media", params=MediaParams, max_body_bytes=MAX_UPLOAD_BODY)
@uses(MEDIA.read_write(), UPLOADS.write())
def upload_v1(call: MastodonCall[MediaParams]) -> MediaAttachment:
    """The legacy upload: 200 with the attachment, processed or not."""
    return statuses.media_attachment(_receive(call))


def _own(call: MastodonCall[Any], id: str) -> MediaModel:
    """The caller's own media; anyone else's (attached or not) is a 404, as Mastodon finds it among yours."""
    media = service.find_media(id)
    if media is None or media.owner != call.principal.username:
        raise MastodonError(404)
    return media


@router.route("/api/v1/media/{id}", "GET", scope="write:media")
@uses(MEDIA.read())
def read_media(call: MastodonCall[Any], id: str) -> Reply:
    """Your media: 206 while it is processed, 200 once ready; one that failed processing is a 422."""
    media = _own(call, id)
    if media.status == "failed":
        raise MastodonError(422, f"Error processing the uploaded media ({media.failure})")
    return Reply(statuses.media_attachment(media), status=200 if media.status == "ready" else 206)


@router.route("/api/v1/media/{id}", "PUT", scope="write:media", params=MediaParams)
@uses(MEDIA.read_write())
def change_media(call: MastodonCall[MediaParams], id: str) -> MediaAttachment:
    """Set the alt text (``description``) and the focal point (``focus=x,y``) of your media."""
    _own(call, id)
    given = call.params.model_fields_set
    changed = service.update_media(call.principal.username, id, description=_description(call.params.description),
                                   set_description="description" in given, focus=_focus(call.params.focus))
    return statuses.media_attachment(changed)
