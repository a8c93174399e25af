"""The push channel: each notification from the ``notify-push`` queue to every device of its recipient.

One SNS ``Publish`` per device (a platform endpoint takes one target per call), with a message per
platform (``MessageStructure=json``). An endpoint AWS disabled (APNs or FCM said the token is
gone) fails the publish with ``EndpointDisabled``: the device is removed then and there; the
weekly clean-up also removes devices whose ``Enabled`` attribute is false.

Usage::

    handle_push({"recipient": "ada", "notification": {...}})
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.channels import content, devices
from chalicelib.channels.models import DeviceModel
from chalicelib.core import metric_names as m
from chalicelib.core.clients import aws_client
from chalicelib.core.logs import get_logger
from chalicelib.core.metrics import count

log = get_logger(__name__)


def payload(notification: dict[str, Any]) -> str:
    """SNS's per-platform message: APNs' ``aps`` alert and FCM's (v1) notification, with the data."""
    text = content.summary(notification)
    data = {"notification_id": notification.get("id"), "type": notification.get("type")}
    apns = json.dumps({"aps": {"alert": text, "sound": "default"}, **data})
    fcm = json.dumps({"fcmV1Message": {"message": {"notification": {"title": "Social", "body": text},
                                                   "data": {k: str(v) for k, v in data.items()}}}})
    return json.dumps({"default": text, "APNS": apns, "APNS_SANDBOX": apns, "GCM": fcm})


def handle_push(message: dict[str, Any]) -> None:
    notification = message["notification"]
    if not isinstance(notification, dict):
        raise ValueError("the notification is not an object")
    body = payload(notification)
    for device in devices.devices_of(str(message["recipient"])):
        if send(device, body):
            count(m.NOTIFICATIONS_SENT, channel="push")


def send(device: DeviceModel, body: str) -> bool:
    """Publish to one device; False (and the device removed) when AWS disabled its endpoint."""
    client = aws_client("sns")
    try:
        client.publish(TargetArn=device.endpoint_arn, Message=body, MessageStructure="json")
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code")
        if code not in ("EndpointDisabled", "NotFound"):
            raise
        log.info("push endpoint gone: device removed", extra={"device": device.device_id, "code": code})
        devices.forget(device)
        return False
    return True


def sweep_disabled() -> int:
    """Remove every device whose endpoint AWS disabled (``Enabled`` false) or deleted; how many."""
    client = aws_client("sns")
    removed = 0
    for device in DeviceModel.scan(page_size=100):
        try:
            attributes = client.get_endpoint_attributes(EndpointArn=device.endpoint_arn)["Attributes"]
            enabled = str(attributes.get("Enabled", "true")).lower() == "true"
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "NotFound":
                raise
            enabled = False
        if not enabled:
            devices.forget(device)
            removed += 1
    return removed
