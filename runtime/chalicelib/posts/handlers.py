"""The post-cleanup queue's handler."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice.app import Blueprint, SQSEvent

from chalicelib.core.declarations import uses
from chalicelib.core.lazy import lazy_module
from chalicelib.core.messages import each_message
from chalicelib.resources import INTERACTIONS, MEDIA, MEDIA_FILES, POST_CLEANUP, UPLOADS

if TYPE_CHECKING:
    from chalicelib.posts import cleanup as post_cleanup
else:
    post_cleanup = lazy_module("chalicelib.posts.cleanup")

cleanup = Blueprint(__name__)


@cleanup.on_sqs_message(queue=POST_CLEANUP.name, batch_size=10)
@uses(INTERACTIONS.read_write(), POST_CLEANUP.consume(), MEDIA.read_write(), MEDIA_FILES.write(), UPLOADS.write())
def clean_up_posts(event: SQSEvent) -> dict[str, Any]:
    """Delete the likes, comments and media of deleted posts."""
    return each_message(event, post_cleanup.handle)
