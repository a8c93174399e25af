"""The social graph: follow, unfollow, and both directions of it.

The follow row and both users' counters change in one transaction, so the
counters are exact; following twice or unfollowing a stranger changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from chalicelib.core import metric_names as m
from chalicelib.core.batches import get_many, get_many_pairs
from chalicelib.core.errors import NotFound, Unprocessable
from chalicelib.core.metrics import count
from chalicelib.core.pagination import split_page
from chalicelib.core.tokens import Principal
from chalicelib.core.transactions import Cancelled, Delete, Put, Update, transact
from chalicelib.feed.models import STARS, TimelineModel
from chalicelib.users.models import FollowModel, UserModel
from chalicelib.users.profiles import get_or_create_profile, get_profile


def follow(principal: Principal, username: str) -> UserModel:
    """``principal`` follows ``username``; returns the followed profile as it is now."""
    if username == principal.username:
        raise Unprocessable("cannot_follow_yourself", "you cannot follow yourself")
    followee = get_profile(username)
    edge = FollowModel(principal.username, username)
    # A celebrity's posts are not fanned out: the follower's feed must know to merge them.
    stars = [Update(TimelineModel(principal.username, STARS), [TimelineModel.stars.add({username})])
             ] if followee.celebrity else []

    def change() -> None:
        transact([
            Put(edge, condition=FollowModel.followee.does_not_exist()),
            Update(UserModel(principal.username), [UserModel.following_count.add(1)],
                   condition=UserModel.username.exists()),
            Update(UserModel(username), [UserModel.followers_count.add(1)],
                   condition=UserModel.username.exists()),
            *stars,
        ])

    try:
        change()
        count(m.FOLLOWS)
    except Cancelled as cancelled:
        if cancelled.failed(2):
            raise NotFound("user_not_found", f"no user named {username!r}") from cancelled
        if cancelled.failed(1):
            get_or_create_profile(principal.username, principal.user_id)
            if _ignore_existing(change):
                count(m.FOLLOWS)
        elif not cancelled.failed(0):
            raise
    return get_profile(username)


def _ignore_existing(change: Callable[[], None]) -> bool:
    """Whether ``change`` changed something (False: it was done already)."""
    try:
        change()
    except Cancelled as cancelled:
        if not cancelled.failed(0):
            raise
        return False
    return True


def unfollow(principal: Principal, username: str) -> UserModel:
    """``principal`` stops following ``username``; returns the profile as it is now."""
    if username == principal.username:
        raise Unprocessable("cannot_follow_yourself", "you cannot follow yourself")
    followee = get_profile(username)
    stars = [Update(TimelineModel(principal.username, STARS), [TimelineModel.stars.delete({username})])
             ] if followee.celebrity else []
    try:
        transact([
            Delete(FollowModel(principal.username, username), condition=FollowModel.followee.exists()),
            Update(UserModel(principal.username), [UserModel.following_count.add(-1)],
                   condition=UserModel.username.exists()),
            Update(UserModel(username), [UserModel.followers_count.add(-1)],
                   condition=UserModel.username.exists()),
            *stars,
        ])
    except Cancelled as cancelled:
        if not cancelled.failed(0):
            raise
    return get_profile(username)


def follows(follower: str, followee: str) -> bool:
    try:
        FollowModel.get(follower, followee, consistent_read=True)
        return True
    except FollowModel.DoesNotExist:
        return False


@dataclass(frozen=True)
class Relation:
    """How one user stands to the viewer."""

    following: bool = False  # the viewer follows them
    follows_you: bool = False  # they follow the viewer


def relations(viewer: str, usernames: Sequence[str]) -> dict[str, Relation]:
    """How each of ``usernames`` stands to ``viewer``: one BatchGetItem of the follow rows in both directions
    (two when more than 50 names). The viewer themself, and strangers both ways, are absent."""
    others = [name for name in dict.fromkeys(usernames) if name != viewer]
    keys = [(viewer, name) for name in others] + [(name, viewer) for name in others]
    edges = {(edge.follower, edge.followee) for edge in get_many_pairs(FollowModel, keys)}
    return {name: Relation(following=(viewer, name) in edges, follows_you=(name, viewer) in edges)
            for name in others if (viewer, name) in edges or (name, viewer) in edges}


Lister = Callable[[str, int, "str | None"], "tuple[list[UserModel], str | None]"]


def following_of(username: str, limit: int, after: str | None, *,
                 before: str | None = None) -> tuple[list[UserModel], str | None]:
    """Whom ``username`` follows, by username; with ``before`` (and no ``after``): the ``limit`` names just
    before it, still in ascending order, and the first of them if more precede (paging back)."""
    get_profile(username)
    if before and not after:
        edges, last = split_page(list(FollowModel.query(username, FollowModel.followee < before,
                                                        scan_index_forward=False, limit=limit + 1)), limit)
        return _profiles([e.followee for e in reversed(edges)]), last.followee if last else None
    condition = FollowModel.followee > after if after else None
    edges, last = split_page(list(FollowModel.query(username, condition, limit=limit + 1)), limit)
    return _profiles([e.followee for e in edges]), last.followee if last else None


def followers_of(username: str, limit: int, after: str | None, *,
                 before: str | None = None) -> tuple[list[UserModel], str | None]:
    """Who follows ``username``, by username; ``before`` pages back as in ``following_of``."""
    get_profile(username)
    if before and not after:
        edges, last = split_page(list(FollowModel.followers.query(username, FollowModel.follower < before,
                                                                  scan_index_forward=False, limit=limit + 1)), limit)
        return _profiles([e.follower for e in reversed(edges)]), last.follower if last else None
    condition = FollowModel.follower > after if after else None
    edges, last = split_page(list(FollowModel.followers.query(username, condition, limit=limit + 1)), limit)
    return _profiles([e.follower for e in edges]), last.follower if last else None


def follower_names(username: str, limit: int, after: str | None) -> tuple[list[str], str | None]:
    """One page of who follows ``username`` (names only, from the index), and the last name if more follow."""
    condition = FollowModel.follower > after if after else None
    edges = list(FollowModel.followers.query(username, condition, limit=limit + 1,
                                             attributes_to_get=["followee", "follower"]))
    page, last = split_page(edges, limit)
    return [edge.follower for edge in page], last.follower if last else None


def _profiles(usernames: list[str]) -> list[UserModel]:
    found = get_many(UserModel, usernames)
    return [found[name] for name in usernames if name in found]
