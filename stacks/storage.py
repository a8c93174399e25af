"""Storage: declared S3 buckets, private and encrypted, versioned where the environment says so.

Usage::

    storage = Storage("social-dev-storage", StorageArgs(settings, MANIFEST.buckets), opts)
    storage.buckets["media"].bucket, storage.buckets["media"].arn
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from chalicelib.core.declarations import Bucket
from stacks.settings import StackSettings


@dataclass(frozen=True)
class StorageArgs:
    """The environment and the declared buckets."""

    settings: StackSettings
    buckets: tuple[Bucket, ...]


class Storage(pulumi.ComponentResource):
    """Per bucket: public access block, owner-enforced objects, SSE, TLS-only policy, versioning and CORS."""

    buckets: dict[str, aws.s3.Bucket]

    def __init__(self, name: str, args: StorageArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("social:storage:Storage", name, None, opts)
        settings = args.settings
        namer = settings.namer
        child = pulumi.ResourceOptions(parent=self)
        self.buckets = {}
        for declared in args.buckets:
            # Bucket names are global: Pulumi's auto-naming appends a random suffix to this
            # (stack-prefixed) resource name, so two accounts never fight over one name.
            resource_name = namer.name(declared.name, 55)
            bucket = aws.s3.Bucket(
                resource_name,
                force_destroy=settings.force_destroy_buckets,
                tags=namer.tags(component="storage", bucket=declared.name),
                opts=pulumi.ResourceOptions(parent=self, protect=settings.deletion_protection),
            )
            self.buckets[declared.name] = bucket
            block = aws.s3.BucketPublicAccessBlock(
                f"{resource_name}-public-access",
                bucket=bucket.id,
                block_public_acls=True,
                block_public_policy=True,
                ignore_public_acls=True,
                restrict_public_buckets=True,
                opts=child,
            )
            aws.s3.BucketOwnershipControls(
                f"{resource_name}-ownership",
                bucket=bucket.id,
                rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
                opts=child,
            )
            aws.s3.BucketServerSideEncryptionConfiguration(
                f"{resource_name}-encryption",
                bucket=bucket.id,
                rules=[aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                    apply_server_side_encryption_by_default=(
                        aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                            sse_algorithm="AES256")),
                    bucket_key_enabled=True,
                )],
                opts=child,
            )
            aws.s3.BucketPolicy(
                f"{resource_name}-tls-only",
                bucket=bucket.id,
                policy=bucket.arn.apply(lambda arn: json.dumps({
                    "Version": "2012-10-17",
                    "Statement": [{
                        "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                        "Resource": [arn, f"{arn}/*"],
                        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                    }],
                })),
                # S3 refuses a policy while the public access block is being written.
                opts=pulumi.ResourceOptions(parent=self, depends_on=[block]),
            )
            if settings.bucket_versioning:
                aws.s3.BucketVersioning(
                    f"{resource_name}-versioning",
                    bucket=bucket.id,
                    versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
                    opts=child,
                )
            if declared.cors_origins:
                aws.s3.BucketCorsConfiguration(
                    f"{resource_name}-cors",
                    bucket=bucket.id,
                    cors_rules=[aws.s3.BucketCorsConfigurationCorsRuleArgs(
                        allowed_methods=["GET", "HEAD", "POST", "PUT"],
                        allowed_origins=list(declared.cors_origins),
                        allowed_headers=["*"],
                        expose_headers=["ETag"],
                        max_age_seconds=3000,
                    )],
                    opts=child,
                )
        self.register_outputs({"bucketNames": {logical: b.bucket for logical, b in self.buckets.items()}})
