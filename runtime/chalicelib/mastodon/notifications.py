"""The platform's notifications as Mastodon's Notification (v1) and grouped notifications (v2, Mastodon 4.3).

The platform groups already (``chalicelib.notifications``): one entry per post's likes, per day's follows, per
comment, per mention. Mastodon's view of an entry:

====================  ==============  =========================================================================
platform type         Mastodon type   status
====================  ==============  =========================================================================
like                  favourite       the liked post
follow                follow          none
comment               mention         the comment (a reply Status, ``<post id>-<comment id>``)
mention               mention         the comment that mentions, or else the post
coins, order, message (left out)      Mastodon has no such types and clients drop or choke on unknown ones
====================  ==============  =========================================================================

Ids: an entry's ``position`` (a ULID of its latest activity, the key of its ``newest`` index), so ids sort by
time as Mastodon's do and ``max_id``/``min_id`` are key ranges. News in a group gives it a new position: in v1
it comes back as a new notification (its latest actor, its latest time) at the top, as Mastodon shows a new
favourite. v2 shows the group whole: ``notifications_count`` and the latest actors as ``sample_account_ids``;
``group_key`` is the platform's group (``like-<post>``, ``follow-<day>``), ``ungrouped-<id>`` for mentions.

Reads per page: the page's query, then one batch each for the accounts, the posts (and their media, authors
and likes: ``render_statuses``) and the comments, whatever the page's size.

Usage::

    kinds = platform_kinds(types=["favourite"], exclude_types=None)       # frozenset({"like"})
    page = render(rows, viewer="ada", base_url=call.base_url)              # Rendered(accounts, statuses)
    [notification(row, page) for row in rows]; [group(row, page) for row in rows]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from chalicelib.core.lazy import lazy_module
from chalicelib.mastodon.entities import Account, Entity, account, iso
from chalicelib.mastodon.statuses import Status, comment_status_id

if TYPE_CHECKING:
    from chalicelib.core import batches
    from chalicelib.mastodon import statuses
    from chalicelib.notifications.models import NotificationModel
    from chalicelib.posts import models as post_models
    from chalicelib.users import models as user_models
else:
    batches = lazy_module("chalicelib.core.batches")
    statuses = lazy_module("chalicelib.mastodon.statuses")
    post_models = lazy_module("chalicelib.posts.models")
    user_models = lazy_module("chalicelib.users.models")

TYPE_OF = {"like": "favourite", "follow": "follow", "comment": "mention", "mention": "mention"}
SHOWN = frozenset(TYPE_OF)  # the platform types shown at all
GROUPED = frozenset({"like", "follow"})  # what Mastodon groups too; comments and mentions stand alone


def platform_kinds(types: Iterable[str] | None, exclude_types: Iterable[str] | None) -> frozenset[str]:
    """The platform types a ``types[]`` / ``exclude_types[]`` filter keeps (Mastodon types; unknown ones, and
    those this platform has not, match nothing)."""
    wanted = set(types or ())
    kept = {kind for kind, shown in TYPE_OF.items() if not wanted or shown in wanted}
    return frozenset(kind for kind in kept if TYPE_OF[kind] not in set(exclude_types or ()))


class Notification(Entity):
    OMIT_IF_NONE = frozenset({"status"})  # a follow has none: left out, not null

    id: str
    type: str
    group_key: str
    created_at: str
    account: Account
    status: Status | None = None


class NotificationGroup(Entity):
    OMIT_IF_NONE = frozenset({"status_id"})  # a follow group has none: left out

    group_key: str
    notifications_count: int
    type: str
    most_recent_notification_id: str
    page_min_id: str
    page_max_id: str
    latest_page_notification_at: str
    sample_account_ids: list[str]
    status_id: str | None = None


class GroupedNotifications(Entity):
    accounts: list[Account]
    statuses: list[Status]
    notification_groups: list[NotificationGroup]


@dataclass(frozen=True)
class Rendered:
    """The accounts and statuses a page of entries names, rendered once each."""

    accounts: dict[str, Account]
    statuses: dict[str, Status]


def _status_key(row: NotificationModel) -> str | None:
    if row.post_id is None or row.kind == "follow":
        return None
    return comment_status_id(row.post_id, row.comment_id) if row.comment_id else row.post_id


def render(rows: Sequence[NotificationModel], *, viewer: str, base_url: str) -> Rendered:
    """Every account and status of ``rows``: one batch read each of users, posts and comments."""
    names = list(dict.fromkeys(actor for row in rows for actor in (row.actors or [])))
    users = batches.get_many(user_models.UserModel, names) if names else {}
    post_ids = list(dict.fromkeys(row.post_id for row in rows if _status_key(row) == row.post_id and row.post_id))
    found_posts = batches.get_many(post_models.PostModel, post_ids) if post_ids else {}
    posts = [found_posts[i] for i in post_ids if i in found_posts]
    comment_keys = list(dict.fromkeys((str(row.post_id), f"{post_models.COMMENT}{row.comment_id}")
                                      for row in rows if row.comment_id and _status_key(row)))
    comments = batches.get_many_pairs(post_models.InteractionModel, comment_keys) if comment_keys else []
    rendered = {s.id: s for s in statuses.render_statuses(posts, viewer=viewer, base_url=base_url)}
    rendered |= {s.id: s for s in statuses.render_comments(comments, base_url=base_url)}
    return Rendered({name: account(user, base_url) for name, user in users.items()}, rendered)


def shown(row: NotificationModel, page: Rendered) -> bool:
    """Whether an entry can be shown: its latest actor still exists, and its status when it has one (a post
    deleted before its notification expired is not shown, as Mastodon drops notifications of deleted
    statuses)."""
    actors = row.actors or []
    key = _status_key(row)
    return bool(actors) and actors[0] in page.accounts and (key is None or key in page.statuses)


UNGROUPED = "ungrouped-"
MAX_GROUP_KEY = 100


def group_key(row: NotificationModel) -> str:
    """``like-<post>``, ``follow-<day>`` (the platform's group, ``#`` being no character for a URL path), or
    ``ungrouped-<id>`` for what stands alone."""
    group = row.sk.removeprefix("n#")
    return group.replace("#", "-", 1) if row.kind in GROUPED else f"{UNGROUPED}{row.position}"


def parse_group_key(key: str) -> tuple[str | None, str | None]:
    """``(platform group, None)`` or ``(None, position)`` for an ungrouped key; ``(None, None)``: not a key."""
    if len(key) > MAX_GROUP_KEY:  # DynamoDB refuses keys over 1024 bytes; ours are far shorter
        return None, None
    if key.startswith(UNGROUPED):
        return None, key.removeprefix(UNGROUPED) or None
    kind, dash, rest = key.partition("-")
    return (f"{kind}#{rest}", None) if dash and rest and kind in GROUPED else (None, None)


def notification(row: NotificationModel, page: Rendered) -> Notification:
    """A shown entry (``shown``) as a v1 Notification: its latest actor and time."""
    key = _status_key(row)
    assert row.position is not None and row.updated_at is not None and row.actors
    return Notification(id=row.position, type=TYPE_OF[str(row.kind)], group_key=group_key(row),
                        created_at=iso(row.updated_at), account=page.accounts[row.actors[0]],
                        status=page.statuses[key] if key else None)


def group(row: NotificationModel, page: Rendered) -> NotificationGroup:
    """A shown entry as a v2 NotificationGroup."""
    assert row.position is not None and row.updated_at is not None
    return NotificationGroup(
        group_key=group_key(row), notifications_count=int(row.total or 1), type=TYPE_OF[str(row.kind)],
        most_recent_notification_id=row.position, page_min_id=row.position, page_max_id=row.position,
        latest_page_notification_at=iso(row.updated_at),
        sample_account_ids=[name for name in row.actors or [] if name in page.accounts], status_id=_status_key(row))


def grouped(rows: Sequence[NotificationModel], page: Rendered) -> GroupedNotifications:
    """A v2 page: the groups, and each account and status they name once."""
    kept = [row for row in rows if shown(row, page)]
    names = dict.fromkeys(name for row in kept for name in row.actors or [] if name in page.accounts)
    keys = dict.fromkeys(key for row in kept if (key := _status_key(row)))
    return GroupedNotifications(accounts=[page.accounts[name] for name in names],
                                statuses=[page.statuses[key] for key in keys],
                                notification_groups=[group(row, page) for row in kept])
