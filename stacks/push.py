"""Mobile push: SNS platform applications for APNs and FCM, created only where the stack's config has
their credentials (a stack without them has none, and registering a device there is a 422).

Config (``Pulumi.<stack>.yaml``; the credentials as secrets, never in plain text)::

    pulumi config set --secret apnsSigningKey "$(cat AuthKey_ABC123.p8)"   # APNs token auth (.p8)
    pulumi config set apnsKeyId ABC123 && pulumi config set apnsTeamId DEF456GHIJ
    pulumi config set apnsBundleId org.example.social && pulumi config set apnsSandbox true
    pulumi config set --secret fcmServiceAccount "$(cat service-account.json)"   # FCM HTTP v1

The runtime reads ``<PUSH>_PUSH_APPS``, a JSON object of platform to application ARN.

Usage::

    push = Push("social-dev-push", PushArgs(settings, manifest.push_services, PushCredentials.from_config(settings)))
    push.applications["push"]["apns"].arn
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from chalicelib.core.declarations import PushService
from stacks.settings import StackSettings


@dataclass(frozen=True)
class ApnsCredentials:
    """APNs token-based authentication: the .p8 signing key and its key id, the team and the app's bundle."""

    signing_key: pulumi.Input[str]
    key_id: str
    team_id: str
    bundle_id: str
    sandbox: bool = False


@dataclass(frozen=True)
class PushCredentials:
    apns: ApnsCredentials | None = None
    fcm_service_account: pulumi.Input[str] | None = None  # FCM HTTP v1: the service account's JSON key

    @classmethod
    def from_config(cls, settings: StackSettings, config: pulumi.Config | None = None) -> PushCredentials:
        config = config or pulumi.Config(settings.project)
        key = config.get_secret("apnsSigningKey")
        apns = None
        if key is not None and settings.apns_key_id and settings.apns_team_id and settings.apns_bundle_id:
            apns = ApnsCredentials(key, settings.apns_key_id, settings.apns_team_id, settings.apns_bundle_id,
                                   settings.apns_sandbox)
        return cls(apns=apns, fcm_service_account=config.get_secret("fcmServiceAccount"))


@dataclass(frozen=True)
class PushArgs:
    settings: StackSettings
    services: tuple[PushService, ...]
    credentials: PushCredentials


class Push(pulumi.ComponentResource):
    """A platform application per configured platform of each push service."""

    applications: dict[str, dict[str, aws.sns.PlatformApplication]]

    def __init__(self, name: str, args: PushArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("social:push:Push", name, None, opts)
        namer, child = args.settings.namer, pulumi.ResourceOptions(parent=self)
        credentials = args.credentials
        self.applications = {}
        for service in args.services:
            apps: dict[str, aws.sns.PlatformApplication] = {}
            apns = credentials.apns
            if "apns" in service.platforms and apns is not None:
                apps["apns"] = aws.sns.PlatformApplication(
                    namer.name(f"{service.name}-apns"), name=namer.name(f"{service.name}-apns", 256),
                    platform="APNS_SANDBOX" if apns.sandbox else "APNS",
                    platform_credential=apns.signing_key, platform_principal=apns.key_id,
                    apple_platform_team_id=apns.team_id, apple_platform_bundle_id=apns.bundle_id, opts=child)
            if "fcm" in service.platforms and credentials.fcm_service_account is not None:
                apps["fcm"] = aws.sns.PlatformApplication(
                    namer.name(f"{service.name}-fcm"), name=namer.name(f"{service.name}-fcm", 256),
                    platform="GCM", platform_credential=credentials.fcm_service_account, opts=child)
            self.applications[service.name] = apps
        self.register_outputs({"applications": {s: {p: a.arn for p, a in apps.items()}
                                                for s, apps in self.applications.items()}})

    def runtime_value(self, service: str) -> pulumi.Output[str]:
        """``<PUSH>_PUSH_APPS``: ``{"apns": arn, "fcm": arn}`` of what exists (``{}`` when nothing is configured)."""
        apps = self.applications.get(service, {})
        if not apps:
            return pulumi.Output.from_input("{}")
        return pulumi.Output.all(**{p: a.arn for p, a in apps.items()}).apply(
            lambda arns: json.dumps(dict(arns), sort_keys=True))

    def arns(self, service: str) -> dict[str, pulumi.Output[str]]:
        return {p: a.arn for p, a in self.applications.get(service, {}).items()}
