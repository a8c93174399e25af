"""Physical names and tags: every name and tag carries the project and the stack.

Usage::

    namer = Namer(project="social", stack="preview-feature-x", environment="preview")
    namer.name("users")                   # 'social-preview-feature-x-users'
    namer.name("fan_out", max_length=64)  # shortened with a stable hash when too long
    namer.tags()                          # {'project': 'social', 'stack': 'preview-feature-x', ...}
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

_UNSAFE = re.compile(r"[^a-z0-9-]+")


@dataclass(frozen=True)
class Namer:
    """Derives every physical name and tag set of one stack."""

    project: str
    stack: str
    environment: str
    region: str = "us-east-1"

    @property
    def prefix(self) -> str:
        return f"{self.project}-{self.stack}"

    def name(self, logical: str, max_length: int = 64) -> str:
        """``<project>-<stack>-<logical>``, lower-case and dash-separated, at most ``max_length`` long.

        AWS limits differ per service (Lambda and IAM roles 64, S3 63, SQS 80); a name
        over the limit keeps its start and gets a hash of the whole name, so two long
        names never collide and a name never changes between runs.
        """
        slug = _UNSAFE.sub("-", f"{self.prefix}-{logical}".lower()).strip("-")
        if len(slug) <= max_length:
            return slug
        digest = hashlib.sha256(slug.encode()).hexdigest()[:8]
        return f"{slug[: max_length - 9].rstrip('-')}-{digest}"

    def global_name(self, logical: str, max_length: int = 64) -> str:
        """A name for a global namespace (IAM roles): the region too, so that the same stack deployed to
        two regions of one account (dev in us-east-1 and in eu-west-1) does not fight over one role.

        >>> Namer("social", "dev", "dev", "eu-west-1").global_name("api-role")
        'social-dev-api-role-eu-west-1'
        """
        return self.name(f"{logical}-{self.region}", max_length)

    def tags(self, **extra: str) -> dict[str, str]:
        """The tags every taggable resource gets, plus ``extra`` (e.g. ``component="data"``)."""
        return {
            "project": self.project,
            "stack": self.stack,
            "environment": self.environment,
            "managed-by": "pulumi",
            **extra,
        }
