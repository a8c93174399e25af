"""Audit: the account's CloudTrail trail, in the account stack.

One multi-region trail (every region's management events, with IAM's and the other global services'),
log file validation on (hourly signed digests: ``aws cloudtrail validate-logs`` proves no file was
changed or deleted), delivered to a private, TLS-only, versioned bucket that keeps a year.

Choices, and why:

- SSE-KMS with a customer managed key (rotated yearly), not SSE-S3: reading the logs then needs
  ``kms:Decrypt`` on this key as well as ``s3:GetObject``, so whoever may read the account's buckets does
  not read its audit trail by the same right; and it is what Security Hub's CloudTrail.2 control checks.
  It costs $1 a month and a few cents of requests. The bucket's own default stays SSE-S3 (``make_private``)
  for anything else written there.
- No Glacier transition: CloudTrail writes thousands of small objects a day (one per region every ~5
  minutes); a transition costs per object and Glacier bills a minimum per object, so moving them would
  cost more than it saves at this volume. Objects stay in S3 Standard and expire after ``retention_days``.
- No CloudWatch Logs delivery: it costs $0.50 per GB ingested, and nothing here alarms on API calls yet;
  CloudTrail's event history answers the last 90 days' questions for free, and the bucket (Athena) the
  rest. Add it when the security alarms (root sign-in, IAM changes) are wanted.

Only one account stack of an account holds the trail (it is multi-region): ``social:auditTrail false``
in the others. Like the rest of the account stack, it is retained on delete.

Usage::

    Audit("social-account-us-east-1-audit", AuditArgs(settings), opts)
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from stacks.policies import bucket_policy
from stacks.settings import StackSettings
from stacks.storage import make_private

RETENTION_DAYS = 365
NONCURRENT_DAYS = 30  # a deleted or overwritten log file can be restored this long
CLOUDTRAIL = "cloudtrail.amazonaws.com"


def trail_arn(region: str, account: str, name: str) -> str:
    return f"arn:aws:cloudtrail:{region}:{account}:trail/{name}"


def trail_bucket_policy(bucket_arn: str, account: str, trail: str) -> dict[str, Any]:
    """TLS only; CloudTrail may read the bucket's ACL and write under AWSLogs/<account>/, for this trail only
    (``aws:SourceArn``: no other trail, of any account, can be made to write here)."""
    policy = bucket_policy(bucket_arn)
    condition = {"StringEquals": {"aws:SourceArn": trail}}
    policy["Statement"] += [
        {"Sid": "CloudTrailAclCheck", "Effect": "Allow", "Principal": {"Service": CLOUDTRAIL},
         "Action": "s3:GetBucketAcl", "Resource": bucket_arn, "Condition": condition},
        {"Sid": "CloudTrailWrite", "Effect": "Allow", "Principal": {"Service": CLOUDTRAIL},
         "Action": "s3:PutObject", "Resource": f"{bucket_arn}/AWSLogs/{account}/*",
         "Condition": {"StringEquals": {"aws:SourceArn": trail, "s3:x-amz-acl": "bucket-owner-full-control"}}},
    ]
    return policy


def trail_key_policy(account: str, trail: str) -> dict[str, Any]:
    """The account administers the key (through IAM policies); CloudTrail may encrypt this trail's logs with it
    and describe it; nobody else may use it unless an IAM policy of the account grants it (e.g. kms:Decrypt to
    the auditors' role)."""
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "AccountAdministers", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
         "Action": "kms:*", "Resource": "*"},
        {"Sid": "CloudTrailEncrypts", "Effect": "Allow", "Principal": {"Service": CLOUDTRAIL},
         "Action": "kms:GenerateDataKey*", "Resource": "*",
         "Condition": {"StringEquals": {"aws:SourceArn": trail},
                       "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn":
                                      f"arn:aws:cloudtrail:*:{account}:trail/*"}}},
        {"Sid": "CloudTrailDescribes", "Effect": "Allow", "Principal": {"Service": CLOUDTRAIL},
         "Action": "kms:DescribeKey", "Resource": "*", "Condition": {"StringEquals": {"aws:SourceArn": trail}}},
    ]}


@dataclass(frozen=True)
class AuditArgs:
    """The account stack's settings and how long the logs are kept."""

    settings: StackSettings
    retention_days: int = RETENTION_DAYS


class Audit(pulumi.ComponentResource):
    """A multi-region, validated, KMS-encrypted CloudTrail trail into a private bucket that keeps a year."""

    bucket: aws.s3.Bucket
    key: aws.kms.Key
    trail: aws.cloudtrail.Trail
    outputs: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: AuditArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("social:audit:Audit", name, None, opts)
        settings = args.settings
        namer = settings.namer
        child = pulumi.ResourceOptions(parent=self)
        tags = namer.tags(component="audit")
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id
        trail_name = namer.name("audit", 128)
        arn = account.apply(lambda account_id: trail_arn(settings.region, account_id, trail_name))

        self.key = aws.kms.Key(
            namer.name("audit-key"),
            description=f"encrypts the CloudTrail trail {trail_name}'s log files",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=pulumi.Output.all(account, arn).apply(
                lambda values: json.dumps(trail_key_policy(values[0], values[1]), sort_keys=True)),
            tags=tags,
            opts=child,
        )
        aws.kms.Alias(namer.name("audit-key-alias"), name=f"alias/{trail_name}", target_key_id=self.key.arn,
                      opts=child)

        # A global name: auto-named from this stack-prefixed name, like the platform's buckets.
        resource_name = namer.name("audit-logs", 55)
        self.bucket = aws.s3.Bucket(resource_name, force_destroy=False, tags=tags, opts=child)
        block = make_private(self.bucket, functools.partial("{}-{}".format, resource_name), child)
        versioning = aws.s3.BucketVersioning(
            f"{resource_name}-versioning",
            bucket=self.bucket.id,
            versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
            opts=child,
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{resource_name}-lifecycle",
            bucket=self.bucket.id,
            rules=[aws.s3.BucketLifecycleConfigurationRuleArgs(
                id="retention",
                status="Enabled",
                filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=args.retention_days),
                noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                    noncurrent_days=NONCURRENT_DAYS),
                abort_incomplete_multipart_upload=(
                    aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                        days_after_initiation=1)),
            )],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning]),
        )
        policy = aws.s3.BucketPolicy(
            f"{resource_name}-policy",
            bucket=self.bucket.id,
            policy=pulumi.Output.all(self.bucket.arn, account, arn).apply(
                lambda values: json.dumps(trail_bucket_policy(values[0], values[1], values[2]), sort_keys=True)),
            # S3 refuses a policy while the public access block is being written.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[block]),
        )
        self.trail = aws.cloudtrail.Trail(
            namer.name("audit-trail"),
            name=trail_name,
            s3_bucket_name=self.bucket.id,
            is_multi_region_trail=True,
            include_global_service_events=True,
            enable_log_file_validation=True,
            enable_logging=True,
            kms_key_id=self.key.arn,
            tags=tags,
            # CloudTrail checks at creation that it may write to the bucket and use the key.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy, self.key]),
        )
        self.outputs = {"trailArn": self.trail.arn, "bucket": self.bucket.bucket}
        self.register_outputs(self.outputs)
