"""When a post is deleted, its likes, comments and media go too (its counters went with it)."""

from __future__ import annotations

from typing import Any

from chalicelib.core.batches import delete_many
from chalicelib.media.pipeline import remove_post_media
from chalicelib.posts.models import InteractionModel

PAGE = 1000


def remove_interactions(post_id: str) -> int:
    removed = 0
    while True:
        page = list(InteractionModel.query(post_id, limit=PAGE, attributes_to_get=["post_id", "sk"]))
        delete_many(page)
        removed += len(page)
        if len(page) < PAGE:
            return removed


def handle(message: dict[str, Any]) -> None:
    if message.get("type") == "post.deleted":
        data = message["data"]
        remove_interactions(data["post_id"])
        remove_post_media(data["post_id"], data["author"])
