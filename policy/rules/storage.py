"""S3: every bucket encrypted, TLS-only, private; versioned in prod where it holds the only copy.

A bucket's guards are resources of their own (``stacks/storage.py`` ``make_private``), so these rules look
at the whole stack: for each bucket, the configuration resources that name it (``bucket`` = its name).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pulumi_policy.policy import PolicyResource

from policy.rules.common import PROD, by_type, environment, get, items, stack_rule, statements

BUCKET = "aws:s3/bucket:Bucket"
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
ENCRYPTION = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
BUCKET_ACL = "aws:s3/bucketAcl:BucketAcl"
SSE_ALGORITHMS = ("AES256", "aws:kms", "aws:kms:dsse")
BLOCK_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
PUBLIC_ACLS = ("public-read", "public-read-write", "authenticated-read")
PUBLIC_GRANTEES = ("http://acs.amazonaws.com/groups/global/AllUsers",
                   "http://acs.amazonaws.com/groups/global/AuthenticatedUsers")


def _naming(resources: Sequence[PolicyResource], kind: str, bucket: PolicyResource) -> list[PolicyResource]:
    """The ``kind`` resources configuring ``bucket`` (they name it by its name)."""
    return [r for r in by_type(resources, kind) if r.props.get("bucket") == bucket.props.get("bucket")]


def _sse_algorithms(rules: Any) -> list[str]:
    return [str(get(rule, "applyServerSideEncryptionByDefault", "sseAlgorithm")) for rule in items(rules)]


def _encrypted(resources: Sequence[PolicyResource]) -> list[tuple[PolicyResource, str]]:
    found = []
    for bucket in by_type(resources, BUCKET):
        algorithms = [a for c in _naming(resources, ENCRYPTION, bucket) for a in _sse_algorithms(c.props.get("rules"))]
        # The bucket's own (deprecated) inline configuration counts too.
        algorithms += _sse_algorithms(get(bucket.props, "serverSideEncryptionConfiguration", "rule"))
        if not any(a in SSE_ALGORITHMS for a in algorithms):
            found.append((bucket, "no server-side encryption configuration (SSE-S3 or SSE-KMS) names this bucket"))
    return found


def _denies_plain_http(statement: Mapping[str, Any], bucket_arn: str) -> bool:
    principal = statement.get("Principal")
    secure = get(statement, "Condition", "Bool", "aws:SecureTransport")
    resources = items(statement.get("Resource"))
    return (statement.get("Effect") == "Deny"
            and (principal == "*" or get(principal, "AWS") == "*")
            and any(a in ("s3:*", "*") for a in items(statement.get("Action")))
            and str(secure).lower() == "false"
            and ("*" in resources or {bucket_arn, f"{bucket_arn}/*"} <= set(resources)))


def _tls_only(resources: Sequence[PolicyResource]) -> list[tuple[PolicyResource, str]]:
    found = []
    for bucket in by_type(resources, BUCKET):
        arn = str(bucket.props.get("arn"))
        policies = _naming(resources, BUCKET_POLICY, bucket)
        if not any(_denies_plain_http(s, arn) for p in policies for s in statements(p.props.get("policy"))):
            found.append((bucket, "no bucket policy denies requests without TLS (s3:* with aws:SecureTransport "
                                  "false, on the bucket and its objects)"))
    return found


def _private(resources: Sequence[PolicyResource]) -> list[tuple[PolicyResource, str]]:
    found = []
    for bucket in by_type(resources, BUCKET):
        blocks = _naming(resources, PUBLIC_ACCESS_BLOCK, bucket)
        if not any(all(b.props.get(flag) is True for flag in BLOCK_FLAGS) for b in blocks):
            found.append((bucket, f"no public access block with all of {', '.join(BLOCK_FLAGS)} true"))
        acls = [bucket.props.get("acl"), *(a.props.get("acl") for a in _naming(resources, BUCKET_ACL, bucket))]
        if any(acl in PUBLIC_ACLS for acl in acls):
            found.append((bucket, f"a public canned ACL ({', '.join(str(a) for a in acls if a in PUBLIC_ACLS)})"))
        grantees = [get(grant, "grantee", "uri") for acl in _naming(resources, BUCKET_ACL, bucket)
                    for grant in items(get(acl.props, "accessControlPolicy", "grants"))]
        if any(g in PUBLIC_GRANTEES for g in grantees):
            found.append((bucket, "an ACL grants access to all (or all authenticated) AWS users"))
    return found


def _versioned(resources: Sequence[PolicyResource]) -> list[tuple[PolicyResource, str]]:
    found = []
    for bucket in by_type(resources, BUCKET):
        if bucket.props.get("forceDestroy") is True:
            continue  # its content is disposable by declaration (the site's build is in git)
        configurations = _naming(resources, VERSIONING, bucket)
        if not any(get(v.props, "versioningConfiguration", "status") == "Enabled" for v in configurations):
            found.append((bucket, "holds data (forceDestroy is off) but versioning is not Enabled"))
    return found


S3_ENCRYPTED = stack_rule(
    "s3-bucket-encrypted", "Every S3 bucket has default server-side encryption (SSE-S3 or SSE-KMS).", _encrypted)
S3_TLS_ONLY = stack_rule(
    "s3-bucket-tls-only", "Every S3 bucket's policy denies requests made without TLS (aws:SecureTransport false).",
    _tls_only)
S3_PRIVATE = stack_rule(
    "s3-bucket-private", "Every S3 bucket blocks public access (all four flags) and has no public ACL.", _private)
S3_VERSIONED_IN_PROD = stack_rule(
    "s3-bucket-versioned-in-prod", "In prod, every bucket that holds data (forceDestroy off) is versioned.",
    _versioned, applies=lambda: environment() == PROD)

POLICIES = (S3_ENCRYPTED, S3_TLS_ONLY, S3_PRIVATE, S3_VERSIONED_IN_PROD)
