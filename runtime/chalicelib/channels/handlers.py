"""The channels' event handlers: email and push consumers, the daily digest and the Sunday clean-up.

Thin: the work is in the modules they import when they run.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from typing import Any

from chalice.app import Blueprint, CloudWatchEvent, Cron, SQSEvent

from chalicelib.channels.cleanup import SWEEP_USES
from chalicelib.channels.unsubscribe import UNSUBSCRIBE_KEY
from chalicelib.core.declarations import uses
from chalicelib.core.environment import DIGEST_SEGMENTS
from chalicelib.core.logs import get_logger
from chalicelib.core.messages import each_message
from chalicelib.resources import (
    CHANNEL_SENDS,
    DEVICES,
    DIGEST_PAGES,
    MAIL,
    NOTIFICATION_SETTINGS,
    NOTIFICATIONS,
    NOTIFY_EMAIL,
    NOTIFY_PUSH,
    PUSH,
    USERS,
)

channels = Blueprint(__name__)
log = get_logger(__name__)
DEFAULT_SEGMENTS = 16


@channels.on_sqs_message(queue=NOTIFY_EMAIL.name, batch_size=10)
@uses(NOTIFY_EMAIL.consume(), USERS.read(), CHANNEL_SENDS.read_write(), MAIL.send(), UNSUBSCRIBE_KEY.read())
def send_notification_emails(event: SQSEvent) -> dict[str, Any]:
    """A mail per notification whose recipient has email on for its type (the subscription's filter)."""
    from chalicelib.channels.email import handle_email

    return each_message(event, handle_email)


@channels.on_sqs_message(queue=NOTIFY_PUSH.name, batch_size=10)
@uses(NOTIFY_PUSH.consume(), DEVICES.read_write(), PUSH.push())
def send_pushes(event: SQSEvent) -> dict[str, Any]:
    """A push to every device of each notification's recipient; disabled endpoints removed."""
    from chalicelib.channels.push import handle_push

    return each_message(event, handle_push)


@channels.schedule(Cron(0, 20, "*", "*", "?", "*"))
@uses(DIGEST_PAGES.send())
def daily_digest(event: CloudWatchEvent) -> dict[str, Any]:
    """20:00 UTC: one message per scan segment to ``digest-pages``; their consumer sends the mails."""
    from chalicelib.channels.digest import start
    from chalicelib.core.clients import aws_client
    from chalicelib.core.declarations import physical_name

    moment = datetime.fromisoformat(event.to_dict()["time"].replace("Z", "+00:00"))
    segments = int(os.environ.get(DIGEST_SEGMENTS) or DEFAULT_SEGMENTS)
    jobs = start(moment, segments)
    queue, sqs = physical_name(DIGEST_PAGES), aws_client("sqs")
    for first in range(0, len(jobs), 10):
        sqs.send_message_batch(QueueUrl=queue, Entries=[
            {"Id": str(job["segment"]), "MessageBody": json.dumps(job)} for job in jobs[first:first + 10]])
    return {"day": jobs[0]["day"] if jobs else None, "segments": len(jobs)}


@channels.on_sqs_message(queue=DIGEST_PAGES.name, batch_size=1)
@uses(DIGEST_PAGES.consume(), DIGEST_PAGES.send(), USERS.read(), CHANNEL_SENDS.read_write(), MAIL.send(),
      UNSUBSCRIBE_KEY.read(), NOTIFICATION_SETTINGS.read(), NOTIFICATIONS.read())
def send_digests(event: SQSEvent) -> dict[str, Any]:
    """One leg of a digest segment; what time did not allow goes back to the queue as a new message."""
    from chalicelib.channels.digest import run
    from chalicelib.core.clients import aws_client
    from chalicelib.core.declarations import physical_name

    remaining = getattr(event.context, "get_remaining_time_in_millis", None)  # Lambda's context object

    def time_left() -> float:
        return float(remaining()) / 1000 if remaining is not None else 900.0

    def handle(job: dict[str, Any]) -> None:
        rest = run(job, time_left)
        if rest is not None:
            aws_client("sqs").send_message(QueueUrl=physical_name(DIGEST_PAGES), MessageBody=json.dumps(rest))

    return each_message(event, handle)


@channels.schedule(Cron(0, 2, "?", "*", "SUN", "*"))
@uses(*SWEEP_USES)  # realtime's and notifications' SWEEP_USES, and the devices' (DEVICES, PUSH)
def weekly_cleanup(event: CloudWatchEvent) -> dict[str, int]:
    """Sunday 02:00 UTC: stale connections, old read notifications, orphans, devices AWS disabled."""
    from chalicelib.channels.cleanup import run_sweeps

    return run_sweeps(datetime.now(UTC))
