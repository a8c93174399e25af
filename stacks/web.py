"""The web client's hosting: a private site bucket behind one CloudFront distribution that also carries the API.

One origin for the browser: ``/`` and client-side routes are the app (``index.html``), ``/assets/*`` its
content-hashed files, ``/v1/*`` the REST API and ``/api`` the WebSocket API, so the app never needs CORS.
Mastodon clients open the streaming API at ``/api/v1/streaming`` on the same host: a CloudFront Function
rewrites that path to the WebSocket stage's (API Gateway accepts no other), ahead of ``/api/v1/*`` (REST).

What CloudFront needs here (AWS docs and the provider's source, pulumi_aws 7.51):

- The bucket stays private; CloudFront signs its requests (origin access control, SigV4) and the bucket's
  policy lets only this distribution read (``stacks/policies.py`` ``bucket_policy``), as for media (``cdn.py``).
- The API origins get ``Managed-CachingDisabled`` with ``Managed-AllViewerExceptHostHeader``: an origin
  request policy may not name ``Authorization`` (CloudFront answers 400), but with caching disabled the
  AllViewer policies forward it (AWS knowledge center, "cloudfront-authorization-header"); the viewer's
  ``Host`` must not reach an execute-api origin without a custom domain (API Gateway answers 403), hence
  "except Host". The same policy forwards the query string (the WebSocket's ``?token=``) and the
  handshake's headers: CloudFront passes WebSockets on any behaviour that forwards all viewer headers or at
  least ``Sec-WebSocket-Key`` and ``Sec-WebSocket-Version`` (CloudFront developer guide, "Use WebSockets with
  CloudFront distributions"); it speaks HTTP/1.1 to the origin, so the upgrade works with http2and3 viewers.
- The S3 behaviours forward nothing from the viewer (no origin request policy): no ``Authorization`` reaches S3.
- Client-side routes: a CloudFront Function on the app's default behaviour rewrites any path without a file
  extension to ``/index.html``. Distribution-wide custom error responses (403/404 -> index.html) would also
  turn the API's own 404s into the app's page.
- The site's cache policy has a minimum TTL of 0 so that ``index.html``'s ``Cache-Control: no-cache`` is
  honoured exactly (the managed CachingOptimized has a minimum of 1 s); hashed assets say
  ``max-age=31536000, immutable`` and are cached a year.
- A certificate for a custom domain must be in us-east-1 whatever the stack's region: pulumi-aws 7 takes a
  per-resource ``region`` (``acm.Certificate(region=...)``), so no second provider is needed.
- Viewers: HTTPS only (HTTP redirected); with a custom domain the security policy is TLSv1.2_2021. The default
  ``*.cloudfront.net`` certificate cannot be given a minimum version (CloudFront fixes it at TLSv1).

pulumi-aws has no invalidation resource and ``pulumi_command`` is not installed: after ``pulumi up``,
``make invalidate`` (``tools/invalidate.py``) invalidates the files uploaded under a fixed name (``index.html``
and the like), and the stack exports the same request as an ``aws cloudfront create-invalidation`` command;
hashed assets get new names and need none.

Usage::

    site = WebSite("social-dev-web", WebSiteArgs(settings, api, websocket), opts)
    site.url, site.distribution.arn, site.distribution.id, site.invalidation_command
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_aws as aws

from stacks import webfiles
from stacks.api import STAGE as API_STAGE
from stacks.api import RestApi
from stacks.cdn import origin_access_control
from stacks.identity import Identity
from stacks.policies import bucket_policy
from stacks.settings import StackSettings
from stacks.storage import make_private
from stacks.webfiles import (
    ASSETS_PATH,
    CONFIG_KEY,
    CONTENT_SECURITY_POLICY,
    HSTS_SECONDS,
    NO_CACHE,
    SiteFile,
    app_config,
    content_type,
    invalidation_paths,
    site_files,
)
from stacks.websocket import STAGE as WEBSOCKET_STAGE
from stacks.websocket import WebSocketApi

API_PATH = "/v1/*"
# The Mastodon face's paths (chalicelib.mastodon), also served by the REST API. Not "/api/*": the exact path
# "/api" is the WebSocket's behaviour, and only Mastodon's versioned prefixes belong to the REST API.
MASTODON_PATHS = ("/api/v1/*", "/api/v2/*", "/oauth/*", "/.well-known/*", "/nodeinfo/*")
ALL_METHODS = ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]
WEBSOCKET_PATH = f"/{WEBSOCKET_STAGE}"  # the stage's own path: API Gateway routes a WebSocket on it alone
STREAMING_PATH = "/api/v1/streaming"  # Mastodon's streaming API (chalicelib.mastodon.streaming): exact, no wildcard
CACHING_DISABLED = "Managed-CachingDisabled"
ALL_VIEWER_EXCEPT_HOST = "Managed-AllViewerExceptHostHeader"
TLS_POLICY = "TLSv1.2_2021"
CERTIFICATE_REGION = "us-east-1"
# Runs at the edge on every request of the default behaviour (cloudfront-js-2.0): a path whose last segment has
# no dot is a client-side route and gets the app's page; files (favicon.ico, robots.txt) pass through.
# The same rule as webfiles.is_client_route, which the local platform serves by.
SPA_FALLBACK = """function handler(event) {
  var request = event.request;
  var last = request.uri.split('/').pop();
  if (last.indexOf('.') === -1) {
    request.uri = '/index.html';
  }
  return request;
}
"""
# The Mastodon face writes absolute URLs (entities, Link headers that clients follow) from the host the client
# used (chalicelib.mastodon.routing.base_url); API Gateway sees its own host, so the viewer's travels as
# X-Forwarded-Host. (Not among the headers edge functions may not add: the CloudFront guide's "Restrictions
# on all edge functions"; the origin request policy forwards every viewer header but Host.)
FORWARDED_HOST = """function handler(event) {
  var request = event.request;
  if (request.headers.host) {
    request.headers['x-forwarded-host'] = {value: request.headers.host.value};
  }
  return request;
}
"""

# Mastodon's streaming path to the WebSocket stage's (viewer-request: the origin sees the rewritten URI; the
# query string, ?access_token= and ?stream=, is separate and untouched), with the site's host as X-Forwarded-Host
# for the entities' absolute URLs, as FORWARDED_HOST does for the REST paths.
STREAMING_TO_STAGE = """function handler(event) {
  var request = event.request;
  if (request.headers.host) {
    request.headers['x-forwarded-host'] = {value: request.headers.host.value};
  }
  request.uri = 'STAGE_PATH';
  return request;
}
""".replace("STAGE_PATH", WEBSOCKET_PATH)


@dataclass(frozen=True)
class WebSiteArgs:
    """The environment, the API and WebSocket to route, the build directory and an optional WAF web ACL
    (CLOUDFRONT scope, us-east-1)."""

    settings: StackSettings
    api: RestApi
    websocket: WebSocketApi | None = None
    dist: Path | None = None  # None: web/dist (webfiles.DIST, read when the stack renders)
    web_acl_arn: pulumi.Input[str] | None = None
    identity: Identity | None = None  # its hosted sign-in pages (Google, Facebook) go into config.json


class WebSite(pulumi.ComponentResource):
    """Site bucket, origin access control, policies, the SPA function, the distribution and the build's objects."""

    bucket: aws.s3.Bucket
    distribution: aws.cloudfront.Distribution
    certificate: aws.acm.Certificate | None
    files: list[SiteFile]
    url: pulumi.Output[str]
    invalidation_command: pulumi.Output[str]

    def __init__(self, name: str, args: WebSiteArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("social:web:WebSite", name, None, opts)
        settings, namer = args.settings, args.settings.namer
        child = pulumi.ResourceOptions(parent=self)
        self.bucket = self._bucket(settings, child)
        oac = origin_access_control(namer.name("site-oac"), f"CloudFront reads the web client of {settings.stack}",
                                    child)
        site_cache = aws.cloudfront.CachePolicy(
            namer.name("site-cache"),
            name=namer.name("site-cache", 128),
            comment="the origin's Cache-Control decides: index.html never, hashed assets a year",
            min_ttl=0,
            default_ttl=86_400,
            max_ttl=31_536_000,
            parameters_in_cache_key_and_forwarded_to_origin=(
                aws.cloudfront.CachePolicyParametersInCacheKeyAndForwardedToOriginArgs(
                    cookies_config=aws.cloudfront.CachePolicyParametersInCacheKeyAndForwardedToOriginCookiesConfigArgs(
                        cookie_behavior="none"),
                    headers_config=aws.cloudfront.CachePolicyParametersInCacheKeyAndForwardedToOriginHeadersConfigArgs(
                        header_behavior="none"),
                    query_strings_config=(
                        aws.cloudfront.CachePolicyParametersInCacheKeyAndForwardedToOriginQueryStringsConfigArgs(
                            query_string_behavior="none")),
                    enable_accept_encoding_brotli=True,
                    enable_accept_encoding_gzip=True,
                )),
            opts=child,
        )
        headers = self._headers_policy(settings, child)
        def edge_function(name: str, comment: str, code: str) -> aws.cloudfront.Function:
            """A viewer-request function (CloudFront Functions' JavaScript runtime 2.0), published."""
            return aws.cloudfront.Function(namer.name(name), name=namer.name(name, 64), runtime="cloudfront-js-2.0",
                                           comment=comment, code=code, publish=True, opts=child)

        fallback = edge_function("site-fallback", "client-side routes get index.html", SPA_FALLBACK)
        forwarded_host = edge_function("forwarded-host", "the Mastodon face's absolute URLs name the site's host",
                                       FORWARDED_HOST)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        no_cache = aws.cloudfront.get_cache_policy_output(name=CACHING_DISABLED, opts=invoke)
        all_viewer = aws.cloudfront.get_origin_request_policy_output(name=ALL_VIEWER_EXCEPT_HOST, opts=invoke)
        no_cache_id = no_cache.apply(lambda p: p.id or "")
        all_viewer_id = all_viewer.apply(lambda p: p.id or "")

        def api_origin(origin_id: str, api_id: pulumi.Input[str], path: str | None
                       ) -> aws.cloudfront.DistributionOriginArgs:
            return aws.cloudfront.DistributionOriginArgs(
                origin_id=origin_id,
                domain_name=pulumi.Output.concat(api_id, ".execute-api.", settings.region, ".amazonaws.com"),
                origin_path=path,
                custom_origin_config=aws.cloudfront.DistributionOriginCustomOriginConfigArgs(
                    http_port=80, https_port=443, origin_protocol_policy="https-only",
                    origin_ssl_protocols=["TLSv1.2"]),
            )

        def api_behaviour(path: str, origin_id: str, methods: list[str], viewer_request: pulumi.Input[str] | None = None
                          ) -> aws.cloudfront.DistributionOrderedCacheBehaviorArgs:
            return aws.cloudfront.DistributionOrderedCacheBehaviorArgs(
                function_associations=None if viewer_request is None else [
                    aws.cloudfront.DistributionOrderedCacheBehaviorFunctionAssociationArgs(
                        event_type="viewer-request", function_arn=viewer_request)],
                path_pattern=path,
                target_origin_id=origin_id,
                viewer_protocol_policy="https-only",  # a redirect would drop a POST's body
                allowed_methods=methods,
                cached_methods=["GET", "HEAD"],
                compress=True,
                cache_policy_id=no_cache_id,
                origin_request_policy_id=all_viewer_id,
                response_headers_policy_id=headers.id,
            )

        origins = [
            aws.cloudfront.DistributionOriginArgs(
                origin_id="site",
                domain_name=self.bucket.bucket_regional_domain_name,
                origin_access_control_id=oac.id,
            ),
            # /v1/things at the edge is /api/v1/things at the stage.
            api_origin("api", args.api.rest_api.id, f"/{API_STAGE}"),
        ]
        behaviours = [
            aws.cloudfront.DistributionOrderedCacheBehaviorArgs(
                path_pattern=ASSETS_PATH, target_origin_id="site", viewer_protocol_policy="redirect-to-https",
                allowed_methods=["GET", "HEAD"], cached_methods=["GET", "HEAD"], compress=True,
                cache_policy_id=site_cache.id, response_headers_policy_id=headers.id),
            api_behaviour(API_PATH, "api", ALL_METHODS),
        ]
        if args.websocket is not None:
            streaming = edge_function("streaming-path", "Mastodon's streaming path to the WebSocket stage",
                                      STREAMING_TO_STAGE)
            # Before /api/v1/*: CloudFront takes the first behaviour whose pattern matches.
            behaviours.append(api_behaviour(STREAMING_PATH, "websocket", ["GET", "HEAD", "OPTIONS"], streaming.arn))
        behaviours += [api_behaviour(path, "api", ALL_METHODS, forwarded_host.arn) for path in MASTODON_PATHS]
        if args.websocket is not None:
            origins.append(api_origin("websocket", args.websocket.api.id, None))
            behaviours.append(api_behaviour(WEBSOCKET_PATH, "websocket", ["GET", "HEAD", "OPTIONS"]))

        self.certificate = None
        certificate_arn: pulumi.Input[str] | None = settings.web_certificate_arn
        if settings.web_domain is not None and certificate_arn is None:
            self.certificate = aws.acm.Certificate(
                namer.name("site-certificate"),
                domain_name=settings.web_domain,
                validation_method="DNS",
                region=CERTIFICATE_REGION,
                tags=namer.tags(component="web"),
                opts=child,
            )
            # Waits (up to the provider's 75 minutes) until the DNS record exported as webCertificateValidation
            # exists: CloudFront refuses a certificate that is not issued yet.
            certificate_arn = aws.acm.CertificateValidation(
                namer.name("site-certificate-validation"),
                certificate_arn=self.certificate.arn,
                region=CERTIFICATE_REGION,
                opts=child,
            ).certificate_arn
        viewer_certificate = (
            aws.cloudfront.DistributionViewerCertificateArgs(
                acm_certificate_arn=certificate_arn, ssl_support_method="sni-only",
                minimum_protocol_version=TLS_POLICY)
            if certificate_arn is not None
            else aws.cloudfront.DistributionViewerCertificateArgs(cloudfront_default_certificate=True))
        self.distribution = aws.cloudfront.Distribution(
            namer.name("site-cdn"),
            comment=namer.name("web client and API", 128),
            enabled=True,
            is_ipv6_enabled=True,
            http_version="http2and3",
            price_class="PriceClass_All" if settings.stack == "prod" else "PriceClass_100",
            aliases=[settings.web_domain] if settings.web_domain is not None else None,
            default_root_object="index.html",
            origins=origins,
            default_cache_behavior=aws.cloudfront.DistributionDefaultCacheBehaviorArgs(
                target_origin_id="site",
                viewer_protocol_policy="redirect-to-https",
                allowed_methods=["GET", "HEAD"],
                cached_methods=["GET", "HEAD"],
                compress=True,
                cache_policy_id=site_cache.id,
                response_headers_policy_id=headers.id,
                function_associations=[aws.cloudfront.DistributionDefaultCacheBehaviorFunctionAssociationArgs(
                    event_type="viewer-request", function_arn=fallback.arn)],
            ),
            ordered_cache_behaviors=behaviours,
            restrictions=aws.cloudfront.DistributionRestrictionsArgs(
                geo_restriction=aws.cloudfront.DistributionRestrictionsGeoRestrictionArgs(restriction_type="none")),
            viewer_certificate=viewer_certificate,
            web_acl_id=args.web_acl_arn,  # a WAFv2 ACL is named by its ARN here (the provider's docs)
            tags=namer.tags(component="web"),
            opts=child,
        )
        aws.s3.BucketPolicy(
            namer.name("site-policy"),
            bucket=self.bucket.id,
            policy=pulumi.Output.all(self.bucket.arn, self.distribution.arn).apply(
                lambda arns: json.dumps(bucket_policy(arns[0], arns[1:]), sort_keys=True)),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self._block]),
        )
        dist = args.dist or webfiles.DIST  # read at render time (tests point it at a build of their own)
        self.files = site_files(dist) if dist.is_dir() else []
        for file in self.files:
            aws.s3.BucketObjectv2(
                f"{namer.prefix}-site/{file.key}",  # the key, readable in the plan
                bucket=self.bucket.id,
                key=file.key,
                source=pulumi.FileAsset(str(file.path)),  # the engine hashes it: a changed file is re-uploaded
                content_type=file.content_type,
                cache_control=file.cache_control,
                opts=child,
            )
        # The one build learns this stack's WebSocket and sign-in pages at run time (web/src/config.ts).
        aws.s3.BucketObjectv2(
            f"{namer.prefix}-site/{CONFIG_KEY}",
            bucket=self.bucket.id,
            key=CONFIG_KEY,
            content=self._config(settings, args).apply(lambda config: json.dumps(config, sort_keys=True)),
            content_type=content_type(CONFIG_KEY),
            cache_control=NO_CACHE,
            opts=child,
        )
        self.url = pulumi.Output.concat("https://", settings.web_domain or self.distribution.domain_name)
        paths = " ".join(invalidation_paths(self.files))
        self.invalidation_command = pulumi.Output.concat(
            "aws cloudfront create-invalidation --distribution-id ", self.distribution.id, " --paths ", paths)
        self.register_outputs({"url": self.url, "distributionId": self.distribution.id,
                               "distributionArn": self.distribution.arn})

    def _bucket(self, settings: StackSettings, child: pulumi.ResourceOptions) -> aws.s3.Bucket:
        """A private bucket (public access blocked, owner-enforced objects, SSE-S3): ``storage.make_private``."""
        namer = settings.namer
        bucket = aws.s3.Bucket(
            namer.name("site", 55),
            force_destroy=True,  # the build is in git: nothing here is the only copy
            tags=namer.tags(component="web"),
            opts=child,
        )
        self._block = make_private(bucket, lambda part: namer.name(f"site-{part}"), child)
        return bucket

    @staticmethod
    def _config(settings: StackSettings, args: WebSiteArgs) -> pulumi.Output[dict[str, object]]:
        """config.json's content: the WebSocket's path on this distribution and the hosted sign-in pages."""
        identity = args.identity
        domain = identity.hosted_domain if identity is not None else None
        hosted = (pulumi.Output.concat(domain.domain, ".auth.", settings.region, ".amazoncognito.com")
                  if domain is not None else None)
        client_id = identity.client.id if identity is not None and domain is not None else None
        providers = sorted(identity.identity_providers) if identity is not None and domain is not None else []
        return pulumi.Output.all(hosted, client_id).apply(lambda values: app_config(
            websocket_url=WEBSOCKET_PATH if args.websocket is not None else "",
            hosted_domain=values[0], client_id=values[1], providers=providers, stage=settings.stack))

    @staticmethod
    def _headers_policy(settings: StackSettings, child: pulumi.ResourceOptions) -> aws.cloudfront.ResponseHeadersPolicy:
        """CSP, HSTS, nosniff, frame-ancestors none (and X-Frame-Options DENY for old browsers), referrer policy."""
        namer = settings.namer
        security = aws.cloudfront.ResponseHeadersPolicySecurityHeadersConfigArgs(
            content_security_policy=aws.cloudfront.ResponseHeadersPolicySecurityHeadersConfigContentSecurityPolicyArgs(
                content_security_policy=CONTENT_SECURITY_POLICY, override=True),
            content_type_options=aws.cloudfront.ResponseHeadersPolicySecurityHeadersConfigContentTypeOptionsArgs(
                override=True),
            frame_options=aws.cloudfront.ResponseHeadersPolicySecurityHeadersConfigFrameOptionsArgs(
                frame_option="DENY", override=True),
            referrer_policy=aws.cloudfront.ResponseHeadersPolicySecurityHeadersConfigReferrerPolicyArgs(
                referrer_policy="strict-origin-when-cross-origin", override=True),
            strict_transport_security=(
                aws.cloudfront.ResponseHeadersPolicySecurityHeadersConfigStrictTransportSecurityArgs(
                    access_control_max_age_sec=HSTS_SECONDS, include_subdomains=True, preload=False,
                    override=True)),
        )
        return aws.cloudfront.ResponseHeadersPolicy(
            namer.name("site-headers"),
            name=namer.name("site-headers", 128),
            comment="security headers of the web client and the API",
            security_headers_config=security,
            opts=child,
        )
