"""The Lambda code, uploaded once per deploy to the stack's code bucket and referenced by every function.

Lambda takes a zip in the request only up to 50 MB (the package is about 48 MB with Pillow and
pillow-heif) and every function would upload its own copy (15 functions: 720 MB a deploy). From
S3 the limit is 250 MB unzipped and the zip travels once: Lambda copies the object at
CreateFunction/UpdateFunctionCode, so the object's key carries the archive's SHA-256 and new
code is a new object (the old one is deleted when Pulumi replaces it).

Usage::

    code = LambdaCode("social-dev-lambda-code", LambdaCodeArgs(settings, package, storage.buckets[CODE.name]))
    aws.lambda_.Function(..., s3_bucket=code.bucket, s3_key=code.key, source_code_hash=code.sha256)
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from chalicelib.core.declarations import Bucket
from stacks.package import LambdaPackage
from stacks.settings import StackSettings

# The stack's own bucket for its code: created by Storage like the declared ones (private, encrypted,
# TLS only), never named in a function's environment or grants.
CODE_BUCKET = Bucket("lambda-code")


@dataclass(frozen=True)
class CodeLocation:
    """Where every function's code is: bucket, key and Lambda's CodeSha256 of it."""

    bucket: pulumi.Input[str]
    key: pulumi.Input[str]
    sha256: str


@dataclass(frozen=True)
class LambdaCodeArgs:
    settings: StackSettings
    package: LambdaPackage
    bucket: aws.s3.Bucket


class LambdaCode(pulumi.ComponentResource):
    """The package as one object in the code bucket."""

    location: CodeLocation

    def __init__(self, name: str, args: LambdaCodeArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("social:code:LambdaCode", name, None, opts)
        package = args.package
        archive = aws.s3.BucketObjectv2(
            args.settings.namer.name("lambda-code-zip"),
            bucket=args.bucket.id,
            key=package.object_key,
            source=package.archive,
            content_type="application/zip",
            tags=args.settings.namer.tags(component="code"),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.location = CodeLocation(bucket=archive.bucket, key=archive.key, sha256=package.code_sha256)
        self.register_outputs({"bucket": archive.bucket, "key": archive.key})
