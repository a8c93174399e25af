"""The weekly clean-up's part for notifications (the Sunday 02:00 UTC schedule calls ``sweep``).

DynamoDB's TTL deletes rows past retention in AWS, within days and without a write to pay for; the
sweep is what removes them where TTL is late or absent (moto never expires anything), and what TTL
cannot know: notifications about posts deleted since, with their contributions, and contributions
whose entry is gone. It scans the table in pages and stops at ``budget_seconds`` (the next week
carries on: nothing it leaves is ever shown wrong, only kept longer).

Usage::

    removed = sweep(datetime.now(UTC))        # from a handler that declares @uses(*SWEEP_USES)
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from chalicelib.core.lazy import lazy_module
from chalicelib.resources import NOTIFICATIONS, POSTS

if TYPE_CHECKING:
    from chalicelib.core import batches
    from chalicelib.notifications import models
    from chalicelib.notifications.models import NotificationModel
    from chalicelib.posts import models as post_models
else:
    batches = lazy_module("chalicelib.core.batches")
    models = lazy_module("chalicelib.notifications.models")
    post_models = lazy_module("chalicelib.posts.models")

SWEEP_USES = (NOTIFICATIONS.read_write(), POSTS.read())
PAGE = 500
ABOUT_POSTS = frozenset({"like", "comment", "mention"})


def _group_of(row: NotificationModel) -> str:
    if row.sk.startswith(models.ENTRY):
        return row.sk.removeprefix(models.ENTRY)
    return row.sk.removeprefix(models.CONTRIBUTION).rsplit("#", 1)[0]


def _sweep_page(rows: Sequence[NotificationModel], now: datetime) -> int:
    doomed = {(r.recipient, r.sk): r for r in rows if r.expires_at is not None and r.expires_at <= now}
    live = [r for r in rows if (r.recipient, r.sk) not in doomed]
    about_posts = {r.post_id for r in live if r.sk.startswith(models.ENTRY) and r.kind in ABOUT_POSTS and r.post_id}
    posts = batches.get_many(post_models.PostModel, about_posts)
    gone = {(r.recipient, _group_of(r)) for r in live
            if r.sk.startswith(models.ENTRY) and r.kind in ABOUT_POSTS and r.post_id and r.post_id not in posts}
    contributions = [r for r in live if r.sk.startswith(models.CONTRIBUTION)]
    wanted = list({(r.recipient, f"{models.ENTRY}{_group_of(r)}") for r in contributions})
    entries = {(e.recipient, e.sk) for e in models.NotificationModel.batch_get(wanted)} if wanted else set()
    for row in live:
        group = _group_of(row)
        orphan = row.sk.startswith(models.CONTRIBUTION) and (row.recipient, f"{models.ENTRY}{group}") not in entries
        if (row.recipient, group) in gone or orphan:
            doomed[(row.recipient, row.sk)] = row
    for recipient, group in gone:  # the contributions of a gone post's entry, wherever the scan put them
        prefix = f"{models.CONTRIBUTION}{group}#"
        for row in models.NotificationModel.query(recipient, models.NotificationModel.sk.startswith(prefix)):
            doomed[(row.recipient, row.sk)] = row
    batches.delete_many(list(doomed.values()))
    return len(doomed)


def sweep(now: datetime, *, budget_seconds: float = 600.0) -> int:
    """Delete notification rows past retention and orphans; returns how many rows went."""
    started = time.monotonic()
    removed = 0
    page: list[NotificationModel] = []
    for row in models.NotificationModel.scan(page_size=PAGE):
        page.append(row)
        if len(page) >= PAGE:
            removed += _sweep_page(page, now)
            page = []
            if time.monotonic() - started > budget_seconds:
                return removed
    return removed + _sweep_page(page, now)
