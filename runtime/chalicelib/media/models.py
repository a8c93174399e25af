"""The media table: one row per upload, from the presigned POST to its processed variants.

A row is ``pending`` from ``POST /v1/media`` until the processor (images) or the transcoder's
completion event (videos) marks it ``ready`` with its variants, or ``failed`` with a ``failure``
code. ``attached_to`` names the post (``post:<id>``) or profile (``avatar:<username>``) that uses
it, or the profile waiting for it to be processed (``avatar-pending:<username>``: Mastodon's avatar
upload). Unattached media (pending avatars never applied too) are removed by a schedule after a day
(found through the sparse ``unattached`` index), and rows never uploaded or failed expire by TTL.
"""

from __future__ import annotations

from pynamodb.attributes import (
    JSONAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.core.declarations import aws_region, table_name_for


class ByOwnerIndex(GlobalSecondaryIndex["MediaModel"]):  # type: ignore[no-untyped-call]
    """A user's media, newest first (ids are ULIDs)."""

    class Meta:
        index_name = "by-owner"
        projection = AllProjection()

    owner = UnicodeAttribute(hash_key=True)
    media_id = UnicodeAttribute(range_key=True)


class UnattachedIndex(GlobalSecondaryIndex["MediaModel"]):  # type: ignore[no-untyped-call]
    """Media attached to nothing, oldest first, for the hourly sweep.

    Sparse: only rows holding ``unattached`` are in it (set at creation and when an avatar is
    released, removed when attached), so the sweep reads what it may remove, not the whole table.
    Its one partition takes a write per upload and attachment, far below a partition's 1,000 a second.
    """

    class Meta:
        index_name = "unattached"
        projection = AllProjection()

    unattached = UnicodeAttribute(hash_key=True)
    created_at = UTCDateTimeAttribute(range_key=True)


UNATTACHED = "yes"  # the value of ``unattached`` while a media is attached to nothing


class MediaModel(Model):
    class Meta:
        logical_name = "media"
        table_name = table_name_for(logical_name)
        region = aws_region()

    media_id = UnicodeAttribute(hash_key=True)
    owner = UnicodeAttribute()
    kind = UnicodeAttribute()  # image | video
    content_type = UnicodeAttribute()  # as declared at upload; the processor trusts the bytes, not this
    declared_size = NumberAttribute()
    status = UnicodeAttribute(default="pending")  # pending | ready | failed
    failure = UnicodeAttribute(null=True)  # a code: corrupt, unsupported, signature_mismatch, too_many_pixels...
    upload_key = UnicodeAttribute()  # the object key in the uploads bucket
    variants = JSONAttribute(null=True)  # {"original": {"key", "width", "height", "content_type"}, "small": ...}
    width = NumberAttribute(null=True)
    height = NumberAttribute(null=True)
    duration_ms = NumberAttribute(null=True)
    blurhash = UnicodeAttribute(null=True)
    description = UnicodeAttribute(null=True)  # alt text, up to 1,500 characters
    focus_x = NumberAttribute(default=0)
    focus_y = NumberAttribute(default=0)
    attached_to = UnicodeAttribute(null=True)  # post:<id> | avatar:<username> | avatar-pending:<username>
    # UNATTACHED while attached_to is not set, or only pending: the sparse index's key
    unattached = UnicodeAttribute(null=True)
    job_id = UnicodeAttribute(null=True)  # the transcoder's job, for videos
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    # TTL (epoch seconds) until processed: a row never uploaded, or whose upload failed, has no files
    # to remove. A ready media has files, so the sweep, which removes them too, is what removes it.
    expires_at = NumberAttribute(null=True)

    by_owner = ByOwnerIndex()
    by_unattached = UnattachedIndex()
