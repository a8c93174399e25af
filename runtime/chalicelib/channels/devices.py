"""Devices: push tokens registered by users, each with its SNS platform endpoint.

A device's id is derived from its platform and token, so registering the same token again
answers the same device. The platform applications exist only where the stack configures
them (``<PUSH>_PUSH_APPS``, a JSON object of platform to ARN); registering for another
platform is a 422.

Usage::

    device = register("ada", "apns", "a1b2...")      # DeviceModel, with its endpoint
    remove("ada", device.device_id)                  # NotFound unless ada's
"""

from __future__ import annotations

import hashlib
import json
import os
import re

from chalicelib.channels.models import DeviceModel
from chalicelib.core.clients import aws_client
from chalicelib.core.errors import NotFound, Unprocessable
from chalicelib.resources import PUSH

# APNs device tokens are 32 bytes (64 hex digits) today, documented as variable length; FCM
# registration tokens are opaque, about 150-200 characters of URL-safe base64 with a colon.
TOKEN_PATTERNS = {"apns": re.compile(r"[0-9a-fA-F]{64,200}"), "fcm": re.compile(r"[A-Za-z0-9_:\-]{32,4096}")}
_EXISTS = re.compile(r"Endpoint (arn:\S+) already exists")


def applications() -> dict[str, str]:
    """The configured platform applications: ``{"apns": arn, "fcm": arn}`` (either may be absent)."""
    raw = os.environ.get(PUSH.env_var) or "{}"
    apps = json.loads(raw)
    return {str(k): str(v) for k, v in apps.items() if v} if isinstance(apps, dict) else {}


def device_id(platform: str, token: str) -> str:
    return hashlib.sha256(f"{platform}:{token}".encode()).hexdigest()[:32]


def check(platform: str, token: str) -> None:
    if platform not in TOKEN_PATTERNS:
        raise Unprocessable("invalid_platform", "platform must be apns or fcm")
    if not TOKEN_PATTERNS[platform].fullmatch(token):
        raise Unprocessable("invalid_token", f"that is not an {platform} device token")
    if platform not in applications():
        raise Unprocessable("platform_unavailable", f"push to {platform} is not configured here")


def register(username: str, platform: str, token: str) -> DeviceModel:
    check(platform, token)
    identifier = device_id(platform, token)
    try:
        existing = DeviceModel.get(username, identifier)
        return existing
    except DeviceModel.DoesNotExist:
        pass
    device = DeviceModel(username, identifier, platform=platform, token=token,
                         endpoint_arn=_endpoint(applications()[platform], token, username))
    device.save()
    return device


def _endpoint(application_arn: str, token: str, username: str) -> str:
    """The token's endpoint, created or taken over (SNS refuses a second endpoint for one token whose
    attributes differ, naming the existing one: the device moved to another account, or was disabled)."""
    client = aws_client("sns")
    try:
        created = client.create_platform_endpoint(PlatformApplicationArn=application_arn, Token=token,
                                                  CustomUserData=username)
        return str(created["EndpointArn"])
    except client.exceptions.InvalidParameterException as error:
        found = _EXISTS.search(str(error))
        if found is None:
            raise
        arn = found.group(1).rstrip(".,")
        client.set_endpoint_attributes(EndpointArn=arn, Attributes={
            "CustomUserData": username, "Enabled": "true", "Token": token})
        return arn


def remove(username: str, identifier: str) -> None:
    try:
        device = DeviceModel.get(username, identifier)
    except DeviceModel.DoesNotExist:
        raise NotFound("device_not_found", "no such device of yours") from None
    forget(device)


def forget(device: DeviceModel) -> None:
    """The device's endpoint and row, gone (DeleteEndpoint is idempotent)."""
    aws_client("sns").delete_endpoint(EndpointArn=device.endpoint_arn)
    device.delete()


def devices_of(username: str) -> list[DeviceModel]:
    return list(DeviceModel.query(username))
