"""The channels' AWS on moto: the SES identity and templates of each mailer, SNS platform applications.

Each ``Mailer`` sends from ``LOCAL_MAIL_FROM`` (default ``no-reply@social.local``), whose address is
verified on moto (SES refuses unverified senders there as in AWS's sandbox), and gets its
templates as ``<prefix><mailer>-<template>`` through SES v1's ``CreateTemplate`` (moto has no v2
template API; in AWS the two APIs share one template store). Each ``PushService`` gets a platform
application per platform, with placeholder credentials (moto checks none), so registering a device
and pushing run locally as they do where the stack configures applications.

Usage::

    mailers, push = provision_channels(manifest, clients, prefix="social-local-")
    mailers["mail"].from_address, push["push"]["apns"]   # the sender, an application ARN
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from chalicelib.core.declarations import Mailer, Manifest
from local.aws import ACCOUNT_ID
from local.clients import Clients

MAIL_FROM_VARIABLE = "LOCAL_MAIL_FROM"
DEFAULT_MAIL_FROM = "no-reply@social.local"
# SNS's platform names for our platforms.
SNS_PLATFORMS = {"apns": "APNS_SANDBOX", "fcm": "GCM"}


@dataclass(frozen=True)
class ProvisionedMailer:
    declaration: Mailer
    from_address: str
    template_prefix: str
    identity_arn: str
    template_arns: tuple[str, ...]


def provision_channels(manifest: Manifest, clients: Clients, *, prefix: str
                       ) -> tuple[dict[str, ProvisionedMailer], dict[str, dict[str, str]]]:
    mailers = {m.name: _mailer(clients, m, prefix) for m in manifest.mailers}
    push = {p.name: {platform: _application(clients, f"{prefix}{p.name}-{platform}", platform)
                     for platform in p.platforms} for p in manifest.push_services}
    return mailers, push


def _mailer(clients: Clients, mailer: Mailer, prefix: str) -> ProvisionedMailer:
    ses = clients.client("ses")
    sender = os.environ.get(MAIL_FROM_VARIABLE) or DEFAULT_MAIL_FROM
    ses.verify_email_identity(EmailAddress=sender)
    template_prefix = f"{prefix}{mailer.name}-"  # as the stack names them: <stack prefix>-<mailer>-<template>
    for template in mailer.templates:
        body = {"TemplateName": f"{template_prefix}{template.name}", "SubjectPart": template.subject,
                "TextPart": template.text, "HtmlPart": template.html}
        try:
            ses.create_template(Template=body)
        except ses.exceptions.AlreadyExistsException:
            ses.update_template(Template=body)
    region, account = clients.region, ACCOUNT_ID
    return ProvisionedMailer(
        mailer, sender, template_prefix, f"arn:aws:ses:{region}:{account}:identity/{sender}",
        tuple(f"arn:aws:ses:{region}:{account}:template/{template_prefix}{t.name}" for t in mailer.templates))


def _application(clients: Clients, name: str, platform: str) -> str:
    created = clients.sns.create_platform_application(
        Name=name, Platform=SNS_PLATFORMS[platform],
        Attributes={"PlatformCredential": "local-placeholder", "PlatformPrincipal": "local-placeholder"})
    return str(created["PlatformApplicationArn"])
