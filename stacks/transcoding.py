"""Transcoding: per declared transcoder, the role MediaConvert runs its jobs as and an on-demand queue.

The role may be assumed by MediaConvert only, and may read the transcoder's source bucket's objects and
write its destination bucket's, nothing else. Functions with the ``transcode()`` grant submit jobs to the
queue and pass the role (``stacks/policies.py``); job state changes reach them as EventBridge events.

Usage::

    transcoding = Transcoding("social-dev-transcoding", TranscodingArgs(settings, MANIFEST.transcoders, buckets), opts)
    transcoding.roles["video"].arn, transcoding.queues["video"].arn
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from chalicelib.core.declarations import Transcoder
from stacks.policies import transcoder_role_policy
from stacks.settings import StackSettings

_ASSUME_MEDIACONVERT = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "mediaconvert.amazonaws.com"},
                   "Action": "sts:AssumeRole"}],
})


@dataclass(frozen=True)
class TranscodingArgs:
    """The environment, the declared transcoders and the stack's buckets by logical name."""

    settings: StackSettings
    transcoders: tuple[Transcoder, ...]
    buckets: Mapping[str, aws.s3.Bucket]


class Transcoding(pulumi.ComponentResource):
    """A MediaConvert role (with its S3 policy) and an on-demand MediaConvert queue per transcoder."""

    roles: dict[str, aws.iam.Role]
    queues: dict[str, aws.mediaconvert.Queue]

    def __init__(self, name: str, args: TranscodingArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("social:transcoding:Transcoding", name, None, opts)
        namer = args.settings.namer
        child = pulumi.ResourceOptions(parent=self)
        self.roles, self.queues = {}, {}
        for declared in args.transcoders:
            tags = namer.tags(component="transcoding", transcoder=declared.name)
            role = aws.iam.Role(
                namer.name(f"{declared.name}-transcoder-role"),
                name=namer.global_name(f"{declared.name}-transcoder", 64),
                description=f"MediaConvert runs the {declared.name} transcoder's jobs as this role",
                assume_role_policy=_ASSUME_MEDIACONVERT,
                tags=tags,
                opts=child,
            )
            source = args.buckets[declared.source.name].arn if declared.source is not None else None
            destination = args.buckets[declared.destination.name].arn if declared.destination is not None else None
            aws.iam.RolePolicy(
                namer.name(f"{declared.name}-transcoder-policy"),
                name=namer.name(f"{declared.name}-transcoder-buckets", 128),
                role=role.id,
                policy=pulumi.Output.all(source, destination).apply(
                    lambda arns: json.dumps(transcoder_role_policy(arns[0], arns[1]), sort_keys=True)),
                opts=child,
            )
            self.roles[declared.name] = role
            self.queues[declared.name] = aws.mediaconvert.Queue(
                namer.name(f"{declared.name}-transcoder-queue"),
                name=namer.name(declared.name, 128),
                description=f"the {declared.name} transcoder's jobs",
                # On demand: billed per output minute, nothing while idle (reserved queues are billed monthly).
                pricing_plan="ON_DEMAND",
                # The provider's default is PAUSED: jobs would wait forever.
                status="ACTIVE",
                tags=tags,
                opts=child,
            )
        self.register_outputs({
            "roleArns": {n: r.arn for n, r in self.roles.items()},
            "queueArns": {n: q.arn for n, q in self.queues.items()},
        })
