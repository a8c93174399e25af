"""Mastodon's list parameters: ``max_id``, ``since_id``, ``min_id`` and ``limit``, as every paged list takes them.

Mastodon clamps ``limit`` to its list's maximum rather than refusing it; a ``limit`` that is not a whole number
is a 422 (the router's validation). Ids are opaque strings here (post ids, usernames, notification positions).

Over a list ordered by id, newest first (posts, notifications): ``max_id`` gives what is older than it,
``since_id`` the newest items newer than it, ``min_id`` the items just newer than it (paging back); a ``Window``
says how to read that, ``window_links`` answers the Link header of the page read. ``clamp`` is the ``limit`` rule
for lists paged otherwise (search results by ``offset``).

Usage::

    @router.route("/api/v1/accounts/{id}/statuses", "GET", params=PageParams)
    def statuses(call: MastodonCall[PageParams], id: str) -> Reply:
        limit, window = call.params.clamped(default=20, maximum=40), call.params.window()
        rows, last = posts_by(id, limit, window.before, after=window.after, oldest_first=window.oldest_first)
        rows = window.newest_first(rows)
        return Reply(body=..., headers=window_links(call, [r.post_id for r in rows], more=last is not None,
                                                     window=window))
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import Field

from chalicelib.mastodon.params import Params
from chalicelib.mastodon.routing import link_header

if TYPE_CHECKING:
    from chalicelib.mastodon.routing import MastodonCall

T = TypeVar("T")
MAX_ID_LENGTH = 100  # longer than any id of ours (a comment's status id is 53): a longer one can only be a mistake


ACCOUNT_LIST_LIMIT, ACCOUNT_LIST_MAX = 40, 80  # Mastodon's default and maximum for lists of accounts


def clamp(limit: int | None, *, default: int, maximum: int) -> int:
    """A list's ``limit`` within 1..``maximum`` (``default`` when absent or 0), as Mastodon clamps it."""
    return min(max(limit or default, 1), maximum)


class PageParams(Params):
    max_id: str | None = Field(None, max_length=MAX_ID_LENGTH)
    since_id: str | None = Field(None, max_length=MAX_ID_LENGTH)
    min_id: str | None = Field(None, max_length=MAX_ID_LENGTH)
    limit: int | None = None

    def clamped(self, *, default: int, maximum: int) -> int:
        """``limit`` within 1..``maximum`` (``default`` when absent or 0), as Mastodon clamps it."""
        return clamp(self.limit, default=default, maximum=maximum)

    def window(self, known: Callable[[str], str | None] | None = None) -> Window:
        """The window the ids ask for; ``known`` maps an id to the list's own (None: an id that bounds nothing, as
        Mastodon ignores an id it does not know)."""
        def bound(raw: str | None) -> str | None:
            return raw if raw is None or known is None else known(raw)

        before, min_id, since_id = bound(self.max_id), bound(self.min_id), bound(self.since_id)
        return Window(before=before, after=min_id or since_id, oldest_first=bool(min_id))


@dataclass(frozen=True)
class Window:
    """What to read of a newest-first list: strictly between ``after`` and ``before``, from the oldest end when
    ``oldest_first`` (``min_id``: the page just newer than it)."""

    before: str | None
    after: str | None
    oldest_first: bool

    def newest_first(self, rows: Sequence[T]) -> list[T]:
        """The rows read, in the list's order."""
        return list(reversed(rows)) if self.oldest_first else list(rows)


def window_links(call: MastodonCall[Any], ids: Sequence[str], *, more: bool, window: Window) -> dict[str, str]:
    """The Link header of a page (``ids`` newest first): ``next`` when older items follow (``more`` read that
    way, or always after paging back), ``prev`` whenever the page holds something, as Mastodon does."""
    older = bool(ids) and (window.oldest_first or more)
    return link_header(call, next_max_id=ids[-1] if older else None, prev_min_id=ids[0] if ids else None)
