"""The email channel: one mail per notification message from the ``notify-email`` queue.

The message is the notifications topic's (ISSUE9.md): ``{"recipient", "notification", "event_id"}``.
Its ``channels`` attribute already says email is on for the recipient and this type (the
subscription's filter). A notification grouped in place is published again with a new count; each
``id`` + ``count`` is mailed once, however often SQS delivers it.

Usage::

    handle_email({"recipient": "ada", "notification": {...}, "event_id": "like.created:..."})
"""

from __future__ import annotations

from typing import Any

from chalicelib.channels import content
from chalicelib.channels.mail import send_templated
from chalicelib.channels.sends import once
from chalicelib.channels.templates import NOTIFICATION
from chalicelib.channels.unsubscribe import unsubscribe_url
from chalicelib.core import metric_names as m
from chalicelib.core.logs import get_logger
from chalicelib.core.metrics import count
from chalicelib.users.models import UserModel

log = get_logger(__name__)


def handle_email(message: dict[str, Any]) -> None:
    recipient = str(message["recipient"])
    notification = message["notification"]
    if not isinstance(notification, dict):
        raise ValueError("the notification is not an object")
    try:
        user = UserModel.get(recipient)
    except UserModel.DoesNotExist:
        log.info("no profile for the recipient: nothing to mail", extra={"recipient": recipient})
        return
    key = f"email:{notification.get('id') or message.get('event_id')}:{notification.get('count', 1)}"
    with once(key) as first:
        if first:
            send_templated(user.email, NOTIFICATION.name, {
                "display_name": user.display_name or user.username,
                "summary": content.summary(notification),
                "detail": content.detail(notification),
            }, unsubscribe_url(recipient))
            count(m.NOTIFICATIONS_SENT, channel="email")
