"""Mastodon's JSON entities (docs.joinmastodon.org/entities), built from the platform's records.

Each entity is a pydantic model with Mastodon's field names; a builder function makes it from the domain's
record and the public origin (``MastodonCall.base_url``) for absolute URLs. Later parts add Status,
MediaAttachment, Notification, Relationship... here, the same way.

Ids: an account's id is its username (stable: usernames never change on this platform, and it is the users
table's key, so ``/api/v1/accounts/{id}`` costs one GetItem).

Usage::

    account(profile, call.base_url)                 # Account
    credential_account(profile, call.base_url)      # Account with ``source`` (verify_credentials)
    html_text("line one\\nline <two>")               # "<p>line one<br>line &lt;two&gt;</p>"
"""

from __future__ import annotations

import html
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict, SerializationInfo, SerializerFunctionWrapHandler, model_serializer

from chalicelib.core.lazy import lazy_module

if TYPE_CHECKING:
    from chalicelib.users import views as user_views
    from chalicelib.users.models import UserModel
else:
    user_views = lazy_module("chalicelib.users.views")

MISSING_AVATAR = "/avatars/original/missing.png"  # Mastodon's own placeholder paths: never null
MISSING_HEADER = "/headers/original/missing.png"


def iso(moment: datetime) -> str:
    """Mastodon's timestamps: UTC with milliseconds and a Z."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def day(moment: datetime) -> str:
    """An account's ``created_at``: Mastodon shows the day only, at midnight UTC."""
    return iso(datetime(moment.year, moment.month, moment.day, tzinfo=UTC))


def html_text(text: str) -> str:
    """Plain text as Mastodon's HTML: escaped, paragraphs on blank lines, ``<br>`` on single newlines."""
    if not text.strip():
        return ""
    paragraphs = [p for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]
    return "".join(f"<p>{html.escape(p.strip()).replace(chr(10), '<br>')}</p>" for p in paragraphs)


class Entity(BaseModel):
    """Base of every entity: answered as it is dumped (``model_dump(mode="json")``).

    ``OMIT_IF_NONE``: attributes Mastodon leaves out rather than sending null (``Account.source`` exists on the
    CredentialAccount only; a null where clients expect an object breaks the strictly typed ones).
    """

    model_config = ConfigDict(defer_build=True)  # built on first use: a cold start builds none of them
    OMIT_IF_NONE: ClassVar[frozenset[str]] = frozenset()

    @model_serializer(mode="wrap")
    def _omit_absent(self, handler: SerializerFunctionWrapHandler, info: SerializationInfo) -> Any:
        dumped = handler(self)
        # Only in JSON, what clients read: a Python dump stays complete, so ``Model(**other.model_dump())`` works.
        if self.OMIT_IF_NONE and info.mode_is_json() and isinstance(dumped, dict):
            for name in self.OMIT_IF_NONE:
                if dumped.get(name, "") is None:
                    del dumped[name]
        return dumped


class Source(Entity):
    note: str
    fields: list[Any]
    privacy: str
    sensitive: bool
    language: str | None
    follow_requests_count: int
    hide_collections: bool | None  # Mastodon 4.3's CredentialAccount answers these three too
    discoverable: bool | None
    indexable: bool


class Account(Entity):
    OMIT_IF_NONE = frozenset({"source"})

    id: str
    username: str
    acct: str
    display_name: str
    locked: bool
    bot: bool
    discoverable: bool
    indexable: bool
    group: bool
    created_at: str
    note: str
    url: str
    uri: str
    avatar: str
    avatar_static: str
    header: str
    header_static: str
    followers_count: int
    following_count: int
    statuses_count: int
    last_status_at: str | None
    hide_collections: bool
    noindex: bool
    emojis: list[Any]
    roles: list[Any]
    fields: list[Any]
    source: Source | None = None


def account(user: UserModel, base_url: str) -> Account:
    """The Account entity of a profile (``acct`` is the bare username: every account is local)."""
    avatar = user_views.avatar_url(user) or base_url + MISSING_AVATAR
    return Account(
        id=user.username, username=user.username, acct=user.username, display_name=user.display_name,
        locked=False, bot=False, discoverable=True, indexable=False, group=False, created_at=day(user.created_at),
        note=html_text(user.bio or ""), url=f"{base_url}/@{user.username}", uri=f"{base_url}/users/{user.username}",
        avatar=avatar, avatar_static=avatar, header=base_url + MISSING_HEADER,
        header_static=base_url + MISSING_HEADER, followers_count=int(user.followers_count),
        following_count=int(user.following_count), statuses_count=int(user.posts_count), last_status_at=None,
        hide_collections=False, noindex=False, emojis=[], roles=[], fields=[])


def credential_account(user: UserModel, base_url: str) -> Account:
    """The Account with ``source`` (the raw note and posting defaults), as verify_credentials answers."""
    entity = account(user, base_url)
    entity.source = Source(note=user.bio or "", fields=[], privacy="public", sensitive=False, language=None,
                           follow_requests_count=0, hide_collections=entity.hide_collections,
                           discoverable=entity.discoverable, indexable=entity.indexable)
    return entity
