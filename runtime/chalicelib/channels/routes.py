"""Devices (push tokens) and the one-click unsubscribe link."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from chalicelib.channels.unsubscribe import UNSUBSCRIBE_KEY, username_of
from chalicelib.core.declarations import uses
from chalicelib.core.routes import Call, QueryParam, Reply, Router
from chalicelib.core.schema import RequestBody, ResponseBody
from chalicelib.resources import DEVICES, NOTIFICATION_SETTINGS, PUSH

router = Router(__name__, tag="notifications")


class DeviceRegistration(RequestBody):
    platform: Literal["apns", "fcm"]
    token: str = Field(min_length=1, max_length=4096)


class Device(ResponseBody):
    id: str
    platform: str
    created_at: datetime


class Unsubscribed(ResponseBody):
    username: str
    email: bool


@router.route("/devices", "POST", body=DeviceRegistration, response=Device, status=201, errors=(422,))
@uses(DEVICES.read_write(), PUSH.register())
def register_device(call: Call[DeviceRegistration]) -> Device:
    """Register a push token (again: the same device)."""
    from chalicelib.channels.devices import register

    device = register(call.principal.username, call.body.platform, call.body.token)
    return Device(id=device.device_id, platform=device.platform, created_at=device.created_at)


@router.route("/devices/{device_id}", "DELETE", status=204, errors=(404,))
@uses(DEVICES.read_write(), PUSH.register())
def remove_device(call: Call[None], device_id: str) -> Reply:
    """Stop pushing to one of your devices."""
    from chalicelib.channels.devices import remove

    remove(call.principal.username, device_id)
    return Reply(None, status=204)


# The signed token of the mail's link (``channels.unsubscribe``): who is unsubscribed, with no login.
UNSUBSCRIBE_TOKEN = (QueryParam("token", "the signed token of the mail's unsubscribe link", required=True),)


def _unsubscribe(call: Call[None]) -> Unsubscribed:
    from chalicelib.notifications.preferences import set_channel

    username = username_of(call.query("token"))
    set_channel(username, "email", False)  # every type, and the digest with them
    return Unsubscribed(username=username, email=False)


@router.route("/notifications/unsubscribe", "GET", public=True, response=Unsubscribed, errors=(400,),
              query=UNSUBSCRIBE_TOKEN)
@uses(UNSUBSCRIBE_KEY.read(), NOTIFICATION_SETTINGS.read_write())
def unsubscribe_link(call: Call[None]) -> Unsubscribed:
    """The link in every mail: email off for its user, without logging in."""
    return _unsubscribe(call)


# Mail clients POST ``List-Unsubscribe=One-Click`` as a form (RFC 8058); the body itself says nothing more.
@router.route("/notifications/unsubscribe", "POST", public=True, response=Unsubscribed, errors=(400,),
              query=UNSUBSCRIBE_TOKEN,
              content_types=("application/x-www-form-urlencoded", "application/json", "text/plain"))
@uses(UNSUBSCRIBE_KEY.read(), NOTIFICATION_SETTINGS.read_write())
def unsubscribe_one_click(call: Call[None]) -> Unsubscribed:
    """RFC 8058 one-click unsubscribe (``List-Unsubscribe-Post``): what mail clients POST."""
    return _unsubscribe(call)
