"""Storage: declared S3 buckets, private and encrypted, versioned where the environment says so.

Lifecycle rules delete what is declared short-lived (``expire_days``), abort incomplete multipart
uploads and, where versioning keeps old versions, expire those too. A ``cdn`` bucket is served by a
CloudFront distribution (``stacks/cdn.py``) that alone may read it; its URL is in ``urls``.

Usage::

    storage = Storage("social-dev-storage", StorageArgs(settings, MANIFEST.buckets), opts)
    storage.buckets["media"].bucket, storage.buckets["media"].arn, storage.urls["media"]
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from chalicelib.core.declarations import Bucket
from stacks.cdn import Cdn, CdnArgs
from stacks.policies import bucket_policy
from stacks.settings import StackSettings

# How long a replaced or deleted object's old version is kept where versioning is on (prod): long enough
# to undo a mistake, short enough that media nobody can see stop costing storage.
NONCURRENT_DAYS = 30


def make_private(bucket: aws.s3.Bucket, name: Callable[[str], str],
                 opts: pulumi.ResourceOptions) -> aws.s3.BucketPublicAccessBlock:
    """Every bucket's guards: public access blocked, objects owned by the bucket's owner (no ACLs), SSE-S3.

    ``name(part)`` names each resource (``public-access``, ``ownership``, ``encryption``); the block is
    returned, since S3 refuses a bucket policy while the block is being written.
    """
    block = aws.s3.BucketPublicAccessBlock(
        name("public-access"),
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        opts=opts,
    )
    aws.s3.BucketOwnershipControls(
        name("ownership"),
        bucket=bucket.id,
        rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
        opts=opts,
    )
    aws.s3.BucketServerSideEncryptionConfiguration(
        name("encryption"),
        bucket=bucket.id,
        rules=[aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
            apply_server_side_encryption_by_default=(
                aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                    sse_algorithm="AES256")),
            bucket_key_enabled=True,
        )],
        opts=opts,
    )
    return block


@dataclass(frozen=True)
class StorageArgs:
    """The environment and the declared buckets."""

    settings: StackSettings
    buckets: tuple[Bucket, ...]
    web_acl_arn: pulumi.Input[str] | None = None  # guards the cdn buckets' distributions (WAF's edge ACL)


class Storage(pulumi.ComponentResource):
    """Per bucket: public access block, owner-enforced objects, SSE, TLS-only policy, versioning, lifecycle,
    CORS and, for ``cdn`` buckets, the distribution."""

    buckets: dict[str, aws.s3.Bucket]
    cdns: dict[str, Cdn]
    urls: dict[str, pulumi.Output[str]]  # public base URLs of ``cdn`` buckets

    def __init__(self, name: str, args: StorageArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("social:storage:Storage", name, None, opts)
        settings = args.settings
        namer = settings.namer
        child = pulumi.ResourceOptions(parent=self)
        self.buckets, self.cdns, self.urls = {}, {}, {}
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
            block = make_private(bucket, functools.partial("{}-{}".format, resource_name), child)
            distributions: list[pulumi.Output[str]] = []
            if declared.cdn:
                cdn = Cdn(f"{resource_name}-delivery",
                          CdnArgs(settings, declared.name, bucket, web_acl_arn=args.web_acl_arn), child)
                self.cdns[declared.name] = cdn
                self.urls[declared.name] = cdn.url
                distributions.append(cdn.distribution.arn)
            aws.s3.BucketPolicy(
                f"{resource_name}-tls-only",
                bucket=bucket.id,
                policy=pulumi.Output.all(bucket.arn, *distributions).apply(
                    lambda arns: json.dumps(bucket_policy(arns[0], arns[1:]), sort_keys=True)),
                # S3 refuses a policy while the public access block is being written.
                opts=pulumi.ResourceOptions(parent=self, depends_on=[block]),
            )
            versioning: aws.s3.BucketVersioning | None = None
            if settings.bucket_versioning:
                versioning = aws.s3.BucketVersioning(
                    f"{resource_name}-versioning",
                    bucket=bucket.id,
                    versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
                    opts=child,
                )
            self._lifecycle(resource_name, bucket, declared, versioning)
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
        self.register_outputs({"bucketNames": {logical: b.bucket for logical, b in self.buckets.items()},
                               "urls": self.urls})

    def _lifecycle(self, resource_name: str, bucket: aws.s3.Bucket, declared: Bucket,
                   versioning: aws.s3.BucketVersioning | None) -> None:
        """One rule for the whole bucket: expire current objects if declared, abort stale multipart uploads,
        expire noncurrent versions where versioning keeps them."""
        # An expired current object becomes a noncurrent version in a versioned bucket; without the
        # noncurrent rule, "expired" uploads would be kept (and paid for) forever.
        rule = aws.s3.BucketLifecycleConfigurationRuleArgs(
            id="expire-and-clean-up",
            status="Enabled",
            filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
            expiration=(aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=declared.expire_days)
                        if declared.expire_days is not None else None),
            abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                days_after_initiation=declared.abort_multipart_days),
            noncurrent_version_expiration=(aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                noncurrent_days=min(NONCURRENT_DAYS, declared.expire_days or NONCURRENT_DAYS))
                if versioning is not None else None),
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{resource_name}-lifecycle",
            bucket=bucket.id,
            rules=[rule],
            # The provider's advice: a versioned bucket's rules are written after its versioning.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning] if versioning is not None else None),
        )
