"""Email: each declared mailer's SES templates; mail goes out from the account stack's SES identity.

The identity (a domain or one address, verified once per account and region) lives in the account
stack (``stacks/account.py``); each stack creates its own templates, named
``<project>-<stack>-<mailer>-<template>`` (at most 64 characters, SES's limit), which the runtime
finds through ``<MAILER>_MAILER_TEMPLATES`` (that prefix) and sends from ``<MAILER>_MAILER_FROM``.
SES v1's ``aws.ses.Template`` is also what SES v2's ``SendEmail`` uses: the two APIs share one
template store per account and region.

Usage::

    email = Email("social-dev-email", EmailArgs(settings, manifest.mailers, identity_arn, from_address), opts)
    email.values["mail"].template_prefix, email.arns["mail"]
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from chalicelib.core.declarations import Mailer
from chalicelib.core.environment_build import MailerValues
from stacks.settings import StackSettings

MAX_TEMPLATE_NAME = 64


@dataclass(frozen=True)
class EmailArgs:
    settings: StackSettings
    mailers: tuple[Mailer, ...]
    identity_arn: pulumi.Input[str]
    from_address: pulumi.Input[str]


class Email(pulumi.ComponentResource):
    """SES templates per mailer, and what the runtime and the policies need to send with them."""

    templates: dict[str, list[aws.ses.Template]]
    values: dict[str, MailerValues[pulumi.Input[str]]]
    arns: dict[str, tuple[pulumi.Input[str], list[pulumi.Output[str]]]]  # mailer -> (identity, template ARNs)

    def __init__(self, name: str, args: EmailArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("social:email:Email", name, None, opts)
        namer = args.settings.namer
        self.templates, self.values, self.arns = {}, {}, {}
        for mailer in args.mailers:
            prefix = f"{namer.prefix}-{mailer.name}-"
            made = []
            for template in mailer.templates:
                physical = prefix + template.name
                if len(physical) > MAX_TEMPLATE_NAME:
                    raise ValueError(f"SES template name {physical!r} is over {MAX_TEMPLATE_NAME} characters")
                made.append(aws.ses.Template(
                    namer.name(f"{mailer.name}-{template.name}-template"), name=physical,
                    subject=template.subject, text=template.text, html=template.html,
                    opts=pulumi.ResourceOptions(parent=self)))
            self.templates[mailer.name] = made
            self.values[mailer.name] = MailerValues(from_address=args.from_address, template_prefix=prefix)
            self.arns[mailer.name] = (args.identity_arn, [t.arn for t in made])
        self.register_outputs({"templates": {m: [t.name for t in ts] for m, ts in self.templates.items()}})
