"""Mastodon's Relationship entity: how accounts stand to the signed-in user.

Only following exists on this platform: blocks, mutes, follow requests, endorsements and notes are always off,
as on a Mastodon server where nobody used them. ``showing_reblogs`` is true (there are no boosts to hide) and
``notifying`` false (no per-account post notifications).

Usage::

    relationships("ada", ["bob", "cy"])     # [Relationship(id="bob", following=True, followed_by=False, ...), ...]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from chalicelib.core.lazy import lazy_module
from chalicelib.mastodon.entities import Entity

if TYPE_CHECKING:
    from chalicelib.users import graph
else:
    graph = lazy_module("chalicelib.users.graph")


class Relationship(Entity):
    id: str
    following: bool
    showing_reblogs: bool
    notifying: bool
    languages: list[str] | None
    followed_by: bool
    blocking: bool = False
    blocked_by: bool = False
    muting: bool = False
    muting_notifications: bool = False
    requested: bool = False
    requested_by: bool = False
    domain_blocking: bool = False
    endorsed: bool = False
    note: str = ""


def relationship(username: str, *, following: bool, followed_by: bool) -> Relationship:
    return Relationship(id=username, following=following, showing_reblogs=following, notifying=False,
                        languages=None, followed_by=followed_by)


def relationships(viewer: str, usernames: Sequence[str]) -> list[Relationship]:
    """Each of ``usernames`` (in order, once each) as ``viewer`` stands to them: one batch read of the follow
    rows both ways. The viewer themself, and strangers, have every flag off."""
    known = graph.relations(viewer, usernames)
    result = []
    for name in dict.fromkeys(usernames):
        relation = known.get(name, graph.Relation())
        result.append(relationship(name, following=relation.following, followed_by=relation.follows_you))
    return result
