"""Mastodon's list parameters: ``max_id``, ``since_id``, ``min_id`` and ``limit``, as every paged list takes them.

Mastodon clamps ``limit`` to its list's maximum rather than refusing it; a ``limit`` that is not a whole number
is a 422 (the router's validation). Ids are opaque strings here (post ids, usernames, notification positions).

Usage::

    @router.route("/api/v1/accounts/{id}/followers", "GET", params=PageParams)
    def followers(call: MastodonCall[PageParams], id: str) -> Reply:
        limit = call.params.clamped(default=40, maximum=80)
"""

from __future__ import annotations

from pydantic import BaseModel, Field

MAX_ID_LENGTH = 400  # longer than any id of ours: a longer one can only be a mistake


class PageParams(BaseModel):
    max_id: str | None = Field(None, max_length=MAX_ID_LENGTH)
    since_id: str | None = Field(None, max_length=MAX_ID_LENGTH)
    min_id: str | None = Field(None, max_length=MAX_ID_LENGTH)
    limit: int | None = None

    def clamped(self, *, default: int, maximum: int) -> int:
        """``limit`` within 1..``maximum`` (``default`` when absent), as Mastodon clamps it."""
        return default if self.limit is None else min(max(self.limit, 1), maximum)
