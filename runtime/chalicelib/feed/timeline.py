"""Writing and removing timeline entries, in batches."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from chalicelib.core.batches import delete_many, put_many
from chalicelib.core.settings import get_settings
from chalicelib.feed.models import TimelineModel


def add_entries(owners: Iterable[str], post_id: str, author: str) -> int:
    keep = timedelta(days=get_settings().timeline_days)
    entries = [TimelineModel(owner, post_id, author=author, expires_at=keep) for owner in owners]
    put_many(entries)
    return len(entries)


def add_posts(owner: str, posts: Iterable[tuple[str, str]]) -> int:
    """Entries of ``(post_id, author)`` pairs in one owner's timeline."""
    keep = timedelta(days=get_settings().timeline_days)
    entries = [TimelineModel(owner, post_id, author=author, expires_at=keep) for post_id, author in posts]
    put_many(entries)
    return len(entries)


def remove_entries(keys: Iterable[tuple[str, str]]) -> int:
    """Delete ``(owner, post_id)`` entries; deleting one that is not there is fine."""
    entries = [TimelineModel(owner, post_id) for owner, post_id in keys]
    delete_many(entries)
    return len(entries)
