"""The media pipeline's handlers: uploads to process, transcoder jobs that ended, an hourly sweep.

Thin: the work is in ``chalicelib.media.pipeline``, imported when a handler runs (Pillow and PyAV
stay out of every other function's cold start).
"""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, CloudWatchEvent, Rate, SQSEvent

from chalicelib.core.declarations import uses
from chalicelib.core.logs import get_logger
from chalicelib.core.messages import each_message
from chalicelib.resources import MEDIA, MEDIA_FILES, MEDIA_UPLOADS, UPLOADS, USERS, VIDEO

log = get_logger(__name__)
media_pipeline = Blueprint(__name__)

# MediaConvert's job state changes, as EventBridge delivers them.
TRANSCODE_EVENTS = {"source": ["aws.mediaconvert"], "detail-type": ["MediaConvert Job State Change"]}


@media_pipeline.on_sqs_message(queue=MEDIA_UPLOADS.name, batch_size=1)
@uses(MEDIA.read_write(), UPLOADS.read_write(), MEDIA_FILES.write(), MEDIA_UPLOADS.consume(), VIDEO.transcode(),
      USERS.read_write())  # a pending avatar (Mastodon's upload) becomes its owner's avatar once processed
def process_uploads(event: SQSEvent) -> dict[str, Any]:
    """Raw uploads into variants (images) or transcoder jobs (videos); failures marked, uploads removed.

    One message per invocation: an image takes up to a second or two, and a batch would hold the
    others' visibility for it.
    """
    from chalicelib.media.pipeline import handle_upload

    return each_message(event, handle_upload)


@media_pipeline.on_cw_event(TRANSCODE_EVENTS)
@uses(MEDIA.read_write(), UPLOADS.write())
def transcode_finished(event: CloudWatchEvent) -> None:
    """A video's transcoder job ended: ready with its MP4 and poster, or failed."""
    from chalicelib.media.pipeline import handle_transcoded

    handle_transcoded(event.to_dict())


@media_pipeline.schedule(Rate(1, unit=Rate.HOURS))
@uses(MEDIA.read_write(), MEDIA_FILES.write(), UPLOADS.write())
def sweep_media(event: CloudWatchEvent) -> dict[str, Any]:
    """Media attached to no post or profile a day after their creation go, files and all."""
    from chalicelib.media.pipeline import sweep_unattached

    removed = sweep_unattached()
    log.info("unattached media removed", extra={"media": removed})
    return {"removed": removed}
