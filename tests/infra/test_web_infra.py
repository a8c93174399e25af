"""The web client's hosting (stacks/web.py): the site bucket, its distribution, the API and WebSocket behind it."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from stacks import web, webfiles
from stacks.mocks import ALL_VIEWER_EXCEPT_HOST, CACHING_DISABLED, Rendering, render
from stacks.settings import SettingsError, StackSettings
from tests.infra.conftest import arn_of
from tests.infra.test_sign_in_infra import FEDERATED
from tools.plan import key_settings
from tools.pricing import IDLE, LAUNCH, PriceTable, estimate_cost, unpriced_types

DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
OBJECT = "aws:s3/bucketObjectv2:BucketObjectv2"
CERTIFICATE = "aws:acm/certificate:Certificate"
CERTIFICATE_ARN = "arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-aaaa-bbbb-cccc-111122223333"


def site(rendering: Rendering) -> dict[str, Any]:
    inputs: dict[str, Any] = rendering.named(f"social-{rendering.stack}-site-cdn").inputs
    return inputs


def behaviour(rendering: Rendering, path: str) -> dict[str, Any]:
    [found] = [b for b in site(rendering)["orderedCacheBehaviors"] if b["pathPattern"] == path]
    return dict(found)


def origin(rendering: Rendering, origin_id: str) -> dict[str, Any]:
    [found] = [o for o in site(rendering)["origins"] if o["originId"] == origin_id]
    return dict(found)


@pytest.fixture(scope="module")
def custom_domain() -> Rendering:
    """prod in eu-west-1 with a domain and no certificate: the stack requests one (in us-east-1)."""
    return render("prod", {"aws:region": "eu-west-1", "webDomain": "app.example.org"})


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Rendering:
    """dev with a build in web/dist: an index page, a favicon and two hashed assets."""
    dist = tmp_path_factory.mktemp("dist")
    (dist / "assets").mkdir()
    (dist / "index.html").write_text("<!doctype html><div id=root></div>")
    (dist / "favicon.ico").write_bytes(b"\0\0\1\0")
    (dist / "assets" / "index-B3xk9aQe.js").write_text("console.log(1)")
    (dist / "assets" / "index-Cq2LmZ0p.css").write_text("body{}")
    original = webfiles.DIST
    webfiles.DIST = dist
    try:
        return render("dev")
    finally:
        webfiles.DIST = original


# ---- the bucket ---------------------------------------------------------------------------------

def test_the_site_bucket_is_private_and_only_the_distribution_may_read_it(dev: Rendering) -> None:
    bucket = dev.named("social-dev-site")
    block = dev.named("social-dev-site-public-access").inputs
    assert block["bucket"] == bucket.outputs["id"]
    assert all(block[k] is True for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls",
                                          "restrictPublicBuckets"))
    deny, allow = json.loads(dev.named("social-dev-site-policy").inputs["policy"])["Statement"]
    assert (deny["Effect"], deny["Condition"]) == ("Deny", {"Bool": {"aws:SecureTransport": "false"}})
    assert allow["Principal"] == {"Service": "cloudfront.amazonaws.com"} and allow["Action"] == "s3:GetObject"
    assert allow["Condition"] == {"StringEquals": {"AWS:SourceArn": [arn_of(dev.named("social-dev-site-cdn"))]}}
    oac = dev.named("social-dev-site-oac")
    assert origin(dev, "site")["originAccessControlId"] == oac.outputs["id"]
    assert origin(dev, "site")["domainName"] == bucket.outputs["bucketRegionalDomainName"]


# ---- viewers: HTTPS, certificate, headers ---------------------------------------------------------

def test_viewers_are_on_https_only(dev: Rendering) -> None:
    assert site(dev)["defaultCacheBehavior"]["viewerProtocolPolicy"] == "redirect-to-https"
    for found in site(dev)["orderedCacheBehaviors"]:
        # The API's behaviours refuse HTTP rather than redirect it (a redirected POST loses its body).
        assert found["viewerProtocolPolicy"] in ("redirect-to-https", "https-only"), found["pathPattern"]
    assert behaviour(dev, web.API_PATH)["viewerProtocolPolicy"] == "https-only"
    assert site(dev)["viewerCertificate"] == {"cloudfrontDefaultCertificate": True}
    assert "aliases" not in site(dev)


def test_the_mastodon_face_reaches_the_rest_api_and_the_websocket_keeps_its_exact_path(dev: Rendering) -> None:
    # Mastodon clients call /api/v1/..., /oauth/..., /.well-known/... on the site's own origin.
    for path in ("/api/v1/*", "/api/v2/*", "/oauth/*", "/.well-known/*", "/nodeinfo/*"):
        found = behaviour(dev, path)
        assert (found["targetOriginId"], found["viewerProtocolPolicy"]) == ("api", "https-only"), path
        assert "POST" in found["allowedMethods"], path
    assert behaviour(dev, web.WEBSOCKET_PATH)["targetOriginId"] == "websocket"
    assert not [b for b in site(dev)["orderedCacheBehaviors"] if b["pathPattern"] in ("/api/*", "/*")]


@pytest.mark.skipif(shutil.which("node") is None, reason="Node runs the CloudFront Function's JavaScript")
def test_the_mastodon_face_learns_the_sites_host_for_its_absolute_urls(dev: Rendering) -> None:
    # Link headers and entity URLs must name the site, not API Gateway's host (which the origin sees).
    function = dev.named("social-dev-forwarded-host")
    for path in web.MASTODON_PATHS:
        assert behaviour(dev, path)["functionAssociations"] == [
            {"eventType": "viewer-request", "functionArn": arn_of(function)}], path
    assert "functionAssociations" not in behaviour(dev, web.API_PATH)  # /v1 writes no absolute URLs
    driver = (f"{function.inputs['code']}\nprocess.stdout.write(JSON.stringify(handler("
              "{request: {uri: '/api/v1/timelines/home', headers: {host: {value: 'social.example.org'}}}}).headers));")
    node = shutil.which("node")
    assert node is not None
    headers = json.loads(subprocess.run([node, "-e", driver], check=True, capture_output=True, text=True,
                                        timeout=30).stdout)
    assert headers["x-forwarded-host"] == {"value": "social.example.org"}


def test_a_custom_domain_gets_a_us_east_1_certificate_and_tls_1_2(custom_domain: Rendering) -> None:
    [certificate] = custom_domain.of_type(CERTIFICATE)
    # The stack is in eu-west-1; CloudFront reads certificates from us-east-1 only.
    assert (certificate.inputs["region"], certificate.inputs["domainName"]) == ("us-east-1", "app.example.org")
    assert certificate.inputs["validationMethod"] == "DNS"
    validation = custom_domain.named("social-prod-site-certificate-validation").inputs
    assert (validation["region"], validation["certificateArn"]) == ("us-east-1", arn_of(certificate))
    distribution = site(custom_domain)
    assert distribution["aliases"] == ["app.example.org"]
    assert distribution["viewerCertificate"] == {"acmCertificateArn": arn_of(certificate),
                                                 "sslSupportMethod": "sni-only",
                                                 "minimumProtocolVersion": "TLSv1.2_2021"}
    assert custom_domain.exports["webUrl"] == "https://app.example.org"
    # The API origin is the stack's own region's.
    assert origin(custom_domain, "api")["domainName"].endswith(".execute-api.eu-west-1.amazonaws.com")


def test_a_configured_certificate_is_used_as_is() -> None:
    rendering = render("dev", {"webDomain": "dev.example.org", "webCertificateArn": CERTIFICATE_ARN})
    assert not rendering.of_type(CERTIFICATE)
    assert site(rendering)["viewerCertificate"]["acmCertificateArn"] == CERTIFICATE_ARN


@pytest.mark.parametrize(("config", "message"), [
    ({"webDomain": "https://app.example.org"}, "webDomain must be a host name"),
    ({"webDomain": "app.example.org", "webCertificateArn": CERTIFICATE_ARN.replace("us-east-1", "eu-west-1")},
     "us-east-1"),
    ({"webCertificateArn": CERTIFICATE_ARN}, "needs webDomain"),
])
def test_a_bad_domain_or_certificate_is_refused_naming_the_key(config: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        StackSettings(stack="dev", environment="dev", web_domain=config.get("webDomain"),
                      web_certificate_arn=config.get("webCertificateArn"))


def test_every_behaviour_adds_the_security_headers(dev: Rendering) -> None:
    policy = dev.named("social-dev-site-headers")
    security = policy.inputs["securityHeadersConfig"]
    csp = security["contentSecurityPolicy"]["contentSecurityPolicy"]
    assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp and "object-src 'none'" in csp
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    hsts = security["strictTransportSecurity"]
    assert hsts["accessControlMaxAgeSec"] >= 31_536_000 and hsts["includeSubdomains"] is True
    assert security["contentTypeOptions"] == {"override": True}  # X-Content-Type-Options: nosniff
    assert security["frameOptions"] == {"frameOption": "DENY", "override": True}
    assert security["referrerPolicy"]["referrerPolicy"] == "strict-origin-when-cross-origin"
    behaviours = [site(dev)["defaultCacheBehavior"], *site(dev)["orderedCacheBehaviors"]]
    assert {b["responseHeadersPolicyId"] for b in behaviours} == {policy.outputs["id"]}

@pytest.mark.skipif(shutil.which("node") is None, reason="Node runs the CloudFront Function's JavaScript")
def test_mastodons_streaming_path_reaches_the_websocket_stage_before_the_rest_api_takes_it(dev: Rendering) -> None:
    # API Gateway answers a WebSocket only on its stage path: the edge rewrites Mastodon's path to it.
    paths = [b["pathPattern"] for b in site(dev)["orderedCacheBehaviors"]]
    assert paths.index(web.STREAMING_PATH) < paths.index("/api/v1/*")  # the first match wins
    routed = behaviour(dev, web.STREAMING_PATH)
    function = dev.named("social-dev-streaming-path")
    assert routed["targetOriginId"] == "websocket" and function.inputs["runtime"] == "cloudfront-js-2.0"
    assert routed["functionAssociations"] == [{"eventType": "viewer-request", "functionArn": arn_of(function)}]
    assert (routed["cachePolicyId"], routed["originRequestPolicyId"]) == (CACHING_DISABLED[1],
                                                                           ALL_VIEWER_EXCEPT_HOST[1])
    viewer = {"uri": "/api/v1/streaming", "querystring": {"stream": {"value": "user"}},
              "headers": {"host": {"value": "social.example.org"}}}
    call = f"handler({{request: {json.dumps(viewer)}}})"
    driver = f"{function.inputs['code']}\nprocess.stdout.write(JSON.stringify({call}));"
    node = shutil.which("node")
    assert node is not None
    request = json.loads(subprocess.run([node, "-e", driver], check=True, capture_output=True, text=True,
                                        timeout=30).stdout)
    assert request["uri"] == web.WEBSOCKET_PATH == "/api"
    assert request["querystring"] == {"stream": {"value": "user"}}
    assert request["headers"]["x-forwarded-host"] == {"value": "social.example.org"}


# ---- the app: fallback and caching ---------------------------------------------------------------

def run_fallback(code: str, uri: str) -> str:
    """The CloudFront Function's handler, run by Node on a viewer request for ``uri``."""
    driver = f"{code}\nprocess.stdout.write(handler({{request: {{uri: {json.dumps(uri)}}}}}).uri);"
    node = shutil.which("node")
    assert node is not None
    return subprocess.run([node, "-e", driver], check=True, capture_output=True, text=True, timeout=30).stdout


@pytest.mark.skipif(shutil.which("node") is None, reason="Node runs the CloudFront Function's JavaScript")
def test_client_side_routes_get_index_html_and_files_pass_through(dev: Rendering) -> None:
    function = dev.named("social-dev-site-fallback")
    assert function.inputs["runtime"] == "cloudfront-js-2.0" and function.inputs["publish"] is True
    [association] = site(dev)["defaultCacheBehavior"]["functionAssociations"]
    assert association == {"eventType": "viewer-request", "functionArn": arn_of(function)}
    code = function.inputs["code"]
    for route in ("/", "/home", "/u/ada", "/tags/cats/", "/wallet/orders"):
        assert run_fallback(code, route) == "/index.html", route
    for file in ("/favicon.ico", "/robots.txt", "/index.html"):
        assert run_fallback(code, file) == file
    # Only the app's default behaviour runs it: never the API, the WebSocket or the assets.
    assert all(association["functionArn"] != arn_of(function) for b in site(dev)["orderedCacheBehaviors"]
               for association in b.get("functionAssociations", []))
    # No distribution-wide error pages: they would turn the API's 404s into the app's page.
    assert "customErrorResponses" not in site(dev)


def test_the_site_cache_follows_the_files_cache_control(dev: Rendering) -> None:
    policy = dev.named("social-dev-site-cache")
    # Minimum 0: index.html's no-cache is honoured exactly; a year at most, for hashed assets.
    assert (policy.inputs["minTtl"], policy.inputs["maxTtl"]) == (0, 31_536_000)
    key = policy.inputs["parametersInCacheKeyAndForwardedToOrigin"]
    assert (key["headersConfig"], key["cookiesConfig"], key["queryStringsConfig"]) == (
        {"headerBehavior": "none"}, {"cookieBehavior": "none"}, {"queryStringBehavior": "none"})
    for found in (site(dev)["defaultCacheBehavior"], behaviour(dev, webfiles.ASSETS_PATH)):
        assert found["targetOriginId"] == "site" and found["cachePolicyId"] == policy.outputs["id"]
        assert "originRequestPolicyId" not in found  # nothing of the viewer's (no Authorization) reaches S3
        assert set(found["allowedMethods"]) == {"GET", "HEAD"}


def test_the_build_is_uploaded_with_its_content_type_and_cache_control(built: Rendering) -> None:
    objects = {o.inputs["key"]: o.inputs for o in built.of_type(OBJECT) if o.name.startswith("social-dev-site/")}
    assert set(objects) == {"index.html", "favicon.ico", "assets/index-B3xk9aQe.js", "assets/index-Cq2LmZ0p.css",
                            "config.json"}
    bucket = built.named("social-dev-site").outputs["id"]
    assert {o["bucket"] for o in objects.values()} == {bucket}
    assert objects["index.html"]["cacheControl"] == "no-cache"
    assert objects["index.html"]["contentType"] == "text/html; charset=utf-8"
    assert objects["assets/index-B3xk9aQe.js"]["cacheControl"] == "public, max-age=31536000, immutable"
    assert objects["assets/index-B3xk9aQe.js"]["contentType"] == "text/javascript; charset=utf-8"
    assert objects["assets/index-Cq2LmZ0p.css"]["contentType"] == "text/css; charset=utf-8"
    assert objects["favicon.ico"]["cacheControl"] == "no-cache"
    # What changes in place is invalidated; hashed assets are new objects and need no invalidation.
    command = built.exports["webInvalidation"]
    distribution = built.named("social-dev-site-cdn").outputs["id"]
    assert command == (f"aws cloudfront create-invalidation --distribution-id {distribution} "
                       "--paths /config.json /favicon.ico /index.html")


def test_without_a_build_only_the_config_is_uploaded_and_index_html_is_still_invalidated(
        tmp_path: Path) -> None:
    original, webfiles.DIST = webfiles.DIST, tmp_path / "no-build"
    try:
        rendering = render("dev")
    finally:
        webfiles.DIST = original
    uploaded = [o.inputs["key"] for o in rendering.of_type(OBJECT) if o.name.startswith("social-dev-site/")]
    assert uploaded == ["config.json"]
    assert rendering.exports["webInvalidation"].endswith("--paths /config.json /index.html")


def config_of(rendering: Rendering) -> dict[str, Any]:
    [found] = [o for o in rendering.of_type(OBJECT) if o.name == f"social-{rendering.stack}-site/config.json"]
    assert found.inputs["cacheControl"] == "no-cache"
    assert found.inputs["contentType"] == "application/json; charset=utf-8"
    config: dict[str, Any] = json.loads(found.inputs["content"])
    return config


def test_the_app_learns_the_websocket_path_and_no_sign_in_pages_without_providers(dev: Rendering) -> None:
    assert config_of(dev) == {"websocket_url": "/api", "hosted_domain": None, "client_id": None,
                              "identity_providers": [], "stage": "dev"}
    assert behaviour(dev, "/api")["targetOriginId"] == "websocket"  # the path config.json names is routed


def test_with_google_and_facebook_the_app_learns_the_hosted_pages_and_client() -> None:
    federated = render("prod", FEDERATED)
    config = config_of(federated)
    [domain] = federated.of_type("aws:cognito/userPoolDomain:UserPoolDomain")
    [client] = federated.of_type("aws:cognito/userPoolClient:UserPoolClient")
    assert config["hosted_domain"] == f"https://{domain.inputs['domain']}.auth.us-east-1.amazoncognito.com"
    assert config["client_id"] == client.outputs["id"]
    assert config["identity_providers"] == ["Facebook", "Google"]


def test_a_name_without_a_hash_is_not_cached_even_under_assets(tmp_path: Path) -> None:
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "logo.svg").write_text("<svg/>")
    (tmp_path / "assets" / "app-4fd2a91c.js").write_text("")
    files = {f.key: f for f in webfiles.site_files(tmp_path)}
    assert files["assets/logo.svg"].cache_control == "no-cache"
    assert files["assets/logo.svg"].content_type == "image/svg+xml"
    assert files["assets/app-4fd2a91c.js"].hashed


# ---- the API and the WebSocket through the same distribution ----------------------------------------

def test_the_api_is_routed_through_the_distribution_uncached_with_the_callers_headers(dev: Rendering) -> None:
    api = dev.named("social-dev-api")
    found = origin(dev, "api")
    assert found["domainName"] == f"{api.outputs['id']}.execute-api.us-east-1.amazonaws.com"
    assert found["originPath"] == "/api"  # the stage: /v1/posts at the edge is /api/v1/posts at the API
    assert found["customOriginConfig"]["originProtocolPolicy"] == "https-only"
    assert found["customOriginConfig"]["originSslProtocols"] == ["TLSv1.2"]
    routed = behaviour(dev, "/v1/*")
    assert routed["targetOriginId"] == "api"
    assert set(routed["allowedMethods"]) == {"GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"}
    # Caching disabled, every viewer header but Host (Authorization included: AWS allows it only so).
    assert (routed["cachePolicyId"], routed["originRequestPolicyId"]) == (CACHING_DISABLED[1],
                                                                           ALL_VIEWER_EXCEPT_HOST[1])


def test_the_websocket_is_routed_on_its_stage_path(dev: Rendering) -> None:
    [websocket] = dev.of_type("aws:apigatewayv2/api:Api")
    found = origin(dev, "websocket")
    assert found["domainName"] == f"{websocket.outputs['id']}.execute-api.us-east-1.amazonaws.com"
    assert "originPath" not in found
    routed = behaviour(dev, "/api")
    assert routed["targetOriginId"] == "websocket"
    # The handshake's Upgrade and Sec-WebSocket-* headers and the ?token= query string reach API Gateway.
    assert (routed["cachePolicyId"], routed["originRequestPolicyId"]) == (CACHING_DISABLED[1],
                                                                           ALL_VIEWER_EXCEPT_HOST[1])
    assert dev.exports["webUrl"] == f"https://{dev.named('social-dev-site-cdn').outputs['domainName']}"


def test_no_cors_on_the_api_by_default(dev: Rendering) -> None:
    body = json.loads(dev.named("social-dev-api").inputs["body"])
    text = json.dumps(body).lower()
    assert "access-control-allow-origin" not in text
    assert all("options" not in methods for methods in body["paths"].values())


# ---- plan and cost ------------------------------------------------------------------------------------------

def test_the_web_resources_are_priced_and_the_distribution_carries_the_api_requests(
        custom_domain: Rendering) -> None:
    prices = PriceTable.load()
    assert not unpriced_types(custom_domain.custom, prices)
    estimate = estimate_cost(custom_domain.custom, prices, (IDLE, LAUNCH))
    [line] = [item for item in estimate.lines if item.kind == "cloudfront:Distribution"]
    assert line.count == 1 and line.usd["idle"] == 0.0 and line.usd["launch"] > 0
    assert "requests" in line.basis["launch"]


def test_the_plan_shows_the_sites_routes_domain_and_caching(custom_domain: Rendering, built: Rendering) -> None:
    distribution = key_settings(custom_domain.named("social-prod-site-cdn"))
    assert "aliases=app.example.org" in distribution and "tls=TLSv1.2_2021" in distribution
    assert distribution.endswith("/assets/*->site /v1/*->api /api/v1/streaming->websocket /api/v1/*->api "
                                 "/api/v2/*->api /oauth/*->api /.well-known/*->api /nodeinfo/*->api /api->websocket")
    assert key_settings(custom_domain.named("social-prod-site-cache")) == (
        "minTtl=0, defaultTtl=86400, maxTtl=31536000")
    assert key_settings(custom_domain.of_type(CERTIFICATE)[0]) == (
        "domain=app.example.org, region=us-east-1, validation=DNS")
    assert key_settings(built.named("social-dev-site/index.html")) == (
        "key=index.html, type=text/html; charset=utf-8, cache=no-cache")


# ---- the invalidation step (tools/invalidate.py) --------------------------------------------------------

def moto_distribution(cloudfront: Any) -> str:
    answer = cloudfront.create_distribution(DistributionConfig={
        "CallerReference": "test", "Comment": "site", "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [{"Id": "site", "DomainName": "site.s3.us-east-1.amazonaws.com",
                                              "S3OriginConfig": {"OriginAccessIdentity": ""}}]},
        "DefaultCacheBehavior": {"TargetOriginId": "site", "ViewerProtocolPolicy": "redirect-to-https",
                                 "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"},
    })
    distribution_id: str = answer["Distribution"]["Id"]
    return distribution_id


def test_the_invalidation_step_invalidates_the_fixed_name_files_of_the_build(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import boto3
    from moto import mock_aws

    from tools.invalidate import caller_reference, main

    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html>v1")
    (tmp_path / "assets" / "index-B3xk9aQe.js").write_text("1")
    with mock_aws():
        cloudfront = boto3.client("cloudfront", region_name="us-east-1")
        distribution = moto_distribution(cloudfront)
        assert main(["--distribution-id", distribution, "--dist", str(tmp_path)]) == 0
        assert capsys.readouterr().out.strip().endswith(f"of /config.json /index.html on {distribution}")
        [listed] = cloudfront.list_invalidations(DistributionId=distribution)["InvalidationList"]["Items"]
        batch = cloudfront.get_invalidation(DistributionId=distribution, Id=listed["Id"])["Invalidation"]
        assert batch["InvalidationBatch"]["Paths"]["Items"] == ["/config.json", "/index.html"]
        assert batch["InvalidationBatch"]["CallerReference"] == caller_reference(webfiles.site_files(tmp_path))
    # The same build is the same request; a new hashed asset alone changes nothing; a new index.html does.
    before = caller_reference(webfiles.site_files(tmp_path))
    (tmp_path / "assets" / "chunk-Zx81kq0P.js").write_text("2")
    assert caller_reference(webfiles.site_files(tmp_path)) == before
    (tmp_path / "index.html").write_text("<!doctype html>v2")
    assert caller_reference(webfiles.site_files(tmp_path)) != before
