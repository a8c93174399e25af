"""Secrets: one Secrets Manager secret per declared ``Secret``, created with a random value.

The value is generated once (``random.RandomPassword`` changes only when replaced) and
written as the first version. Rotation happens outside Pulumi (``put-secret-value`` moves
``AWSCURRENT`` to the new value and ``AWSPREVIOUS`` to the old one, and the runtime accepts
both), so the version's stages and value are ignored after creation: a later ``pulumi up
--refresh`` must not move ``AWSCURRENT`` back to the first value. The provider's
``aws_secretsmanager_secret_version`` reads ``version_stages`` on refresh and would otherwise
re-add ``AWSCURRENT`` to its version.

Deleting a secret waits out a recovery window during which its name cannot be reused; a
preview, which is destroyed and re-created under the same name, deletes at once.

Usage::

    secrets = Secrets("social-dev-secrets", SecretsArgs(settings, MANIFEST.secrets), opts)
    secrets.secrets["cursor-key"].arn
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from chalicelib.core.declarations import Secret
from stacks.settings import StackSettings

RECOVERY_DAYS = 7  # dev and prod: a deleted secret can be restored for a week


def recovery_window_days(settings: StackSettings) -> int:
    """How long a deleted secret of this stack can be restored: none in a preview, which is destroyed and
    re-created under the same names (a secret waiting out its window blocks its name)."""
    return 0 if settings.is_preview else RECOVERY_DAYS


@dataclass(frozen=True)
class SecretsArgs:
    """The environment and the declared secrets."""

    settings: StackSettings
    secrets: tuple[Secret, ...]


class Secrets(pulumi.ComponentResource):
    """Per declared secret: the secret (AWS-managed key) and its first, random version."""

    secrets: dict[str, aws.secretsmanager.Secret]

    def __init__(self, name: str, args: SecretsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("social:secrets:Secrets", name, None, opts)
        settings = args.settings
        namer = settings.namer
        child = pulumi.ResourceOptions(parent=self)
        self.secrets = {}
        for declared in args.secrets:
            value = random.RandomPassword(namer.name(f"{declared.name}-value"), length=declared.length,
                                          special=False, opts=child)
            secret = aws.secretsmanager.Secret(
                namer.name(f"{declared.name}-secret"),
                name=namer.name(declared.name, 512),
                description=f"{declared.name}: read by the functions granted {declared.name}.read(); "
                            "rotate with put-secret-value (the previous value stays valid)",
                recovery_window_in_days=recovery_window_days(settings),
                tags=namer.tags(component="secrets", secret=declared.name),
                opts=child,
            )
            aws.secretsmanager.SecretVersion(
                namer.name(f"{declared.name}-first-version"),
                secret_id=secret.id,
                secret_string=value.result,
                opts=pulumi.ResourceOptions(parent=self, ignore_changes=["secretString", "versionStages"]),
            )
            self.secrets[declared.name] = secret
        self.register_outputs({"secretArns": {n: s.arn for n, s in self.secrets.items()}})
