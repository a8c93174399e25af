"""The daily digest: one mail per user who wants it and has unread notifications from that day.

How a million users fit: the 20:00 schedule only sends one message per scan *segment*
(``DIGEST_SEGMENTS``, default 16) to the ``digest-pages`` queue; each message's consumer scans its
segment of the users table (DynamoDB parallel scan) a page at a time, and when its function's time
runs short (``MARGIN_SECONDS`` left) it sends the rest of its segment back to the same queue as a
new message (``start_key`` = where the scan stopped) and returns. Segments run in parallel (one
Lambda each) and each continues in as many invocations as it needs: at ~10 ms per user, 16
segments of 62,500 users take about 11 minutes, within one 5-minute function per leg.

Once per user and day: each mail is claimed first with a conditional write on
``digest:<user>:<day>`` (``chalicelib.channels.sends``), so the schedule firing twice, a
redelivered page or an overlap of two legs sends nothing twice. The day is the schedule's own
(its event's ``time``), carried in every message, so a leg that runs after midnight still
mails that day.

Coins earned that day reach the notifications table as ``coins`` notifications (the notify
helper's consumer of ``coins.awarded``), so "unread notifications or coins earned" is one
query per user, without connecting this function to the ledger's database (and its VPC).

Usage::

    messages = start(datetime(2026, 11, 30, 20, tzinfo=UTC), segments=16)   # one per segment
    rest = run(messages[0], time_left=lambda: 300.0)                       # None when the segment is done
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from chalicelib import flags
from chalicelib.channels import content
from chalicelib.channels.mail import send_templated
from chalicelib.channels.sends import once
from chalicelib.channels.templates import DIGEST
from chalicelib.channels.unsubscribe import unsubscribe_url
from chalicelib.core.logs import get_logger
from chalicelib.notifications.preferences import digest_enabled
from chalicelib.notifications.service import unread_since
from chalicelib.users.models import UserModel

log = get_logger(__name__)

PAGE_SIZE = 100
ITEMS = 10  # notifications listed in one digest
MARGIN_SECONDS = 30.0  # stop scanning with this much of the function's time left


def start(moment: datetime, segments: int) -> list[dict[str, Any]]:
    """The first message of every segment, for the schedule that fired at ``moment``."""
    day = moment.astimezone(UTC).date().isoformat()
    return [{"day": day, "segment": s, "segments": segments, "start_key": None} for s in range(segments)]


def run(job: dict[str, Any], time_left: Callable[[], float]) -> dict[str, Any] | None:
    """Mail a segment's users until it ends (None) or time runs short (the message that continues it)."""
    day = str(job["day"])
    since = datetime.fromisoformat(day).replace(tzinfo=UTC)
    results = UserModel.scan(segment=int(job["segment"]), total_segments=int(job["segments"]),
                             page_size=PAGE_SIZE, last_evaluated_key=job.get("start_key"),
                             attributes_to_get=["username", "email", "display_name"])
    sent = 0
    for user in results:
        sent += mail_one(user, day, since)
        if time_left() < MARGIN_SECONDS:
            resume = results.last_evaluated_key
            log.info("digest leg out of time", extra={"sent": sent, "segment": job["segment"]})
            return {**job, "start_key": resume} if resume else None
    (log.info if sent else log.debug)("digest segment done", extra={"sent": sent, "segment": job["segment"],
                                                                    "day": day})
    return None


def mail_one(user: UserModel, day: str, since: datetime) -> bool:
    """One user's digest, if the flag is on for them, they want it, have something unread today and were not
    mailed today."""
    if not flags.enabled(flags.DIGEST_EMAIL, user.username) or not digest_enabled(user.username):
        return False
    unread = unread_since(user.username, since, ITEMS)
    if not unread:
        return False
    with once(f"digest:{user.username}:{day}") as first:
        if not first:
            return False
        text, html = content.digest_items(unread)
        send_templated(user.email, DIGEST.name, {
            "display_name": user.display_name or user.username, "count": len(unread),
            "items_text": text, "items_html": html}, unsubscribe_url(user.username))
    return True
