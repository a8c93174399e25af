"""CDN: a CloudFront distribution in front of a private bucket, reading it through origin access control.

The bucket stays private (public access blocked): CloudFront signs every request to it (SigV4, origin
access control), and the bucket's policy lets only this distribution read (``stacks/policies.py``
``bucket_policy``). Viewers get HTTPS only (HTTP is redirected), compressed where they accept it,
cached with the managed CachingOptimized policy (TTLs of a day by default, up to a year; no cookies,
headers or query strings in the key: media keys are immutable). Outside prod the distribution uses
price class 100 (North America and Europe edges only), the cheapest.

Usage::

    cdn = Cdn("social-dev-media-delivery", CdnArgs(settings, "media", bucket), opts)
    cdn.url            # https://d111111abcdef8.cloudfront.net
    cdn.distribution.arn
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from stacks.settings import StackSettings

CACHE_POLICY = "Managed-CachingOptimized"
CHEAPEST_PRICE_CLASS = "PriceClass_100"
ALL_EDGES_PRICE_CLASS = "PriceClass_All"


@dataclass(frozen=True)
class CdnArgs:
    """The environment, the bucket's logical name and the bucket to serve."""

    settings: StackSettings
    name: str
    bucket: aws.s3.Bucket
    web_acl_arn: pulumi.Input[str] | None = None  # the edge web ACL (CLOUDFRONT scope), where WAF is on


def origin_access_control(name: str, description: str,
                          opts: pulumi.ResourceOptions) -> aws.cloudfront.OriginAccessControl:
    """CloudFront signing every request to an S3 origin (SigV4), so the bucket policy can name the distribution.

    ``name`` is both the resource's and the physical name (at most 64 characters, CloudFront's limit)."""
    return aws.cloudfront.OriginAccessControl(
        name,
        name=name,
        description=description,
        origin_access_control_origin_type="s3",
        signing_behavior="always",
        signing_protocol="sigv4",
        opts=opts,
    )


class Cdn(pulumi.ComponentResource):
    """An origin access control and a distribution whose only origin is the bucket."""

    distribution: aws.cloudfront.Distribution
    origin_access_control: aws.cloudfront.OriginAccessControl
    url: pulumi.Output[str]

    def __init__(self, name: str, args: CdnArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("social:cdn:Cdn", name, None, opts)
        settings, namer = args.settings, args.settings.namer
        child = pulumi.ResourceOptions(parent=self)
        self.origin_access_control = origin_access_control(
            namer.name(f"{args.name}-oac"), f"CloudFront reads the {args.name} bucket of {settings.stack}", child)
        cache_policy = aws.cloudfront.get_cache_policy_output(
            name=CACHE_POLICY, opts=pulumi.InvokeOutputOptions(parent=self))
        origin_id = f"s3-{args.name}"
        self.distribution = aws.cloudfront.Distribution(
            namer.name(f"{args.name}-cdn"),
            comment=namer.name(f"{args.name} bucket", 128),
            enabled=True,
            is_ipv6_enabled=True,
            http_version="http2and3",
            web_acl_id=args.web_acl_arn,
            price_class=ALL_EDGES_PRICE_CLASS if settings.stack == "prod" else CHEAPEST_PRICE_CLASS,
            origins=[aws.cloudfront.DistributionOriginArgs(
                origin_id=origin_id,
                # The regional name: the global one may redirect (307) to it for days after creation.
                domain_name=args.bucket.bucket_regional_domain_name,
                origin_access_control_id=self.origin_access_control.id,
            )],
            default_cache_behavior=aws.cloudfront.DistributionDefaultCacheBehaviorArgs(
                target_origin_id=origin_id,
                # CloudFront reaches an S3 REST origin with the viewer's protocol: viewers on HTTPS only keep
                # the bucket's TLS-only policy satisfied.
                viewer_protocol_policy="redirect-to-https",
                allowed_methods=["GET", "HEAD", "OPTIONS"],
                cached_methods=["GET", "HEAD"],
                compress=True,
                cache_policy_id=cache_policy.apply(lambda policy: policy.id or ""),
            ),
            restrictions=aws.cloudfront.DistributionRestrictionsArgs(
                geo_restriction=aws.cloudfront.DistributionRestrictionsGeoRestrictionArgs(restriction_type="none")),
            viewer_certificate=aws.cloudfront.DistributionViewerCertificateArgs(cloudfront_default_certificate=True),
            tags=namer.tags(component="cdn", bucket=args.name),
            opts=child,
        )
        self.url = pulumi.Output.concat("https://", self.distribution.domain_name)
        self.register_outputs({"url": self.url, "distributionArn": self.distribution.arn})
