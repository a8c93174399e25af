"""Every flag the runtime reads: its kind, its default, and whether clients may see it.

The document (``flags.json`` beside this module) says what each flag is right now; this catalog says
what the code needs from it. ``chalicelib.flags.validation`` checks that every flag here is defined in
the document with the attributes its kind needs, so a flag the code reads can never be missing. The
default applies when the store has no value (no document yet, AppConfig unreachable, the flag off).

Visibility to clients lives here, not in the document: AppConfig's data API returns only the values (no
definitions), and we do not rely on it returning a disabled flag's attributes, so a ``client`` attribute
could vanish exactly when a client most needs to see the flag (off).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["switch", "number"]


@dataclass(frozen=True)
class FlagSpec:
    """``switch``: on or off for a user. ``number``: its ``value`` attribute, for the users it targets."""

    name: str
    kind: Kind
    client: bool  # listed by GET /v1/flags
    default: bool = False  # a switch's answer when the document has no value for it
    setting: str | None = None  # a number's default: this field of chalicelib.core.settings.Settings


VIDEO_UPLOADS = FlagSpec("video_uploads", "switch", client=True, default=True)
DIRECT_MESSAGES = FlagSpec("direct_messages", "switch", client=True, default=True)
DIGEST_EMAIL = FlagSpec("digest_email", "switch", client=False, default=True)
SEARCH = FlagSpec("search", "switch", client=True, default=True)  # read by the search routes
# Numbers override a setting (an environment variable), which stays their default.
CELEBRITY_THRESHOLD = FlagSpec("celebrity_threshold", "number", client=False, setting="fanout_max_followers")
COINS_POST = FlagSpec("coins_post", "number", client=False, setting="coins_post")
COINS_LIKE_RECEIVED = FlagSpec("coins_like_received", "number", client=False, setting="coins_like_received")
COINS_COMMENT = FlagSpec("coins_comment", "number", client=False, setting="coins_comment")
COINS_DAILY_CAP = FlagSpec("coins_daily_cap", "number", client=True, setting="daily_cap")

CATALOG: dict[str, FlagSpec] = {spec.name: spec for spec in (
    VIDEO_UPLOADS, DIRECT_MESSAGES, DIGEST_EMAIL, SEARCH, CELEBRITY_THRESHOLD, COINS_POST, COINS_LIKE_RECEIVED,
    COINS_COMMENT, COINS_DAILY_CAP)}
