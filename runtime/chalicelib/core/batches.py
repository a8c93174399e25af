"""Batch reads and writes with what DynamoDB leaves unprocessed retried.

PynamoDB's ``batch_get`` and ``batch_write`` already chunk (100 keys, 25
writes) and retry unprocessed items; these helpers add the shapes the domain
wants: a dict by key for reads, and a plain list for writes and deletes.

Usage::

    posts = get_many(PostModel, ids)          # {post_id: PostModel}, missing ids absent
    put_many([TimelineModel(...), ...])
    delete_many([TimelineModel(owner, post_id), ...])
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from pynamodb.models import Model

M = TypeVar("M", bound=Model)


def get_many(model: type[M], keys: Iterable[Any]) -> dict[Any, M]:
    """Items by hash key (for tables with only a hash key); absent keys are absent."""
    wanted = list(dict.fromkeys(keys))
    if not wanted:
        return {}
    hash_key = model._hash_keyname or ""
    return {getattr(item, hash_key): item for item in model.batch_get(wanted)}


def get_many_pairs(model: type[M], keys: Iterable[tuple[Any, Any]]) -> list[M]:
    """Items by (hash, range) key; absent keys are absent."""
    wanted = list(dict.fromkeys(keys))
    return list(model.batch_get(wanted)) if wanted else []


def put_many(items: Sequence[Model]) -> None:
    if not items:
        return
    with type(items[0]).batch_write() as batch:
        for item in items:
            batch.save(item)


def delete_many(items: Sequence[Model]) -> None:
    if not items:
        return
    with type(items[0]).batch_write() as batch:
        for item in items:
            batch.delete(item)
