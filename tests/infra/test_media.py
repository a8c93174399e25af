"""Media infrastructure under mocks: bucket lifecycle and CORS, notifications into a queue, the CDN with origin
access control, the MediaConvert role, queue and grant, the job-state rule, and what reaches the functions."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.resources import MANIFEST
from stacks.mocks import CACHING_OPTIMIZED, RecordedResource, Rendering
from tests.infra.conftest import FUNCTION, ROLE_POLICY, arn_of, function_named, policy_of
from tools.plan import key_settings
from tools.pricing import IDLE, LAUNCH, PriceTable, estimate_cost

LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
NOTIFICATION = "aws:s3/bucketNotification:BucketNotification"
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
OAC = "aws:cloudfront/originAccessControl:OriginAccessControl"
MEDIACONVERT_QUEUE = "aws:mediaconvert/queue:Queue"



def media(rendering: Rendering, type_token: str) -> list[RecordedResource]:
    """The media CDN's resources of a type, without the web client's (``social-<stack>-site-*``)."""
    return [r for r in rendering.of_type(type_token) if not r.name.startswith(f"social-{rendering.stack}-site-")]

def _rule(rendering: Rendering, bucket: str) -> dict[str, Any]:
    lifecycle = rendering.named(f"social-{rendering.stack}-{bucket}-lifecycle")
    assert lifecycle.inputs["bucket"] == rendering.named(f"social-{rendering.stack}-{bucket}").outputs["id"]
    [rule] = lifecycle.inputs["rules"]
    assert rule["status"] == "Enabled" and rule["filter"] == {"prefix": ""}  # the whole bucket
    return dict(rule)


# ---- buckets --------------------------------------------------------------------------------------

def test_every_bucket_is_private_encrypted_and_tls_only(any_rendering: Rendering) -> None:
    buckets = any_rendering.of_type("aws:s3/bucket:Bucket")
    # The two the app declares (both apps declare two), the stack's code bucket and the web client's (stacks/web.py).
    assert len(buckets) == 4
    for bucket in buckets:
        def of(kind: str, bucket_id: str = bucket.outputs["id"]) -> dict[str, Any]:
            [found] = [r.inputs for r in any_rendering.of_type(f"aws:s3/{kind}") if r.inputs["bucket"] == bucket_id]
            return found
        block = of("bucketPublicAccessBlock:BucketPublicAccessBlock")
        assert all(block[k] is True for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls",
                                              "restrictPublicBuckets")), bucket.name
        assert of("bucketOwnershipControls:BucketOwnershipControls")["rule"] == {
            "objectOwnership": "BucketOwnerEnforced"}
        [rule] = of("bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")["rules"]
        assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "AES256"}
        deny = json.loads(of("bucketPolicy:BucketPolicy")["policy"])["Statement"][0]
        assert (deny["Effect"], deny["Principal"], deny["Action"]) == ("Deny", "*", "s3:*")
        assert deny["Resource"] == [arn_of(bucket), f"{arn_of(bucket)}/*"]
        assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_raw_uploads_expire_and_stale_multipart_uploads_are_aborted(fixture_dev: Rendering, dev: Rendering) -> None:
    uploads = _rule(fixture_dev, "uploads")
    assert uploads["expiration"] == {"days": 2}
    assert uploads["abortIncompleteMultipartUpload"] == {"daysAfterInitiation": 1}
    assert "noncurrentVersionExpiration" not in uploads  # dev keeps no old versions
    # Served media never expire by age (a schedule removes unattached ones); multipart uploads still abort.
    gallery = _rule(fixture_dev, "gallery")
    assert "expiration" not in gallery and gallery["abortIncompleteMultipartUpload"] == {"daysAfterInitiation": 1}
    assert _rule(dev, "uploads")["expiration"] == {"days": 1}  # the real declaration: a day


def test_versioned_buckets_expire_old_versions_too(fixture_prod: Rendering) -> None:
    # An expired object becomes a noncurrent version in a versioned bucket: without this it is kept forever.
    assert _rule(fixture_prod, "uploads")["noncurrentVersionExpiration"] == {"noncurrentDays": 2}
    assert _rule(fixture_prod, "gallery")["noncurrentVersionExpiration"] == {"noncurrentDays": 30}


def test_browsers_of_the_declared_origins_may_upload_and_read(fixture_dev: Rendering, dev: Rendering) -> None:
    [rule] = fixture_dev.named("social-dev-uploads-cors").inputs["corsRules"]
    assert set(rule["allowedMethods"]) == {"POST", "PUT", "GET", "HEAD"}
    assert rule["allowedOrigins"] == ["https://example.com"]
    with pytest.raises(KeyError):
        fixture_dev.named("social-dev-gallery-cors")  # declares no origins: no CORS
    assert dev.named("social-dev-uploads-cors").inputs["corsRules"][0]["allowedOrigins"] == ["*"]


# ---- notifications -------------------------------------------------------------------------------

def test_one_notification_per_bucket_holds_its_function_triggers_and_queue_notifications(
        fixture_dev: Rendering) -> None:
    [notification] = fixture_dev.of_type(NOTIFICATION)  # S3 keeps one configuration per bucket
    assert notification.inputs["bucket"] == fixture_dev.named("social-dev-uploads").outputs["id"]
    [queue] = notification.inputs["queues"]
    assert (queue["queueArn"], queue["events"], queue["filterPrefix"]) == (
        arn_of(fixture_dev.named("social-dev-arrivals")), ["s3:ObjectCreated:*"], "uploads/")
    [function] = notification.inputs["lambdaFunctions"]
    assert (function["lambdaFunctionArn"], function["filterPrefix"]) == (
        arn_of(function_named(fixture_dev, "ingest")), "in/")


def test_the_real_uploads_bucket_notifies_the_media_uploads_queue(prod: Rendering) -> None:
    [notification] = prod.of_type(NOTIFICATION)
    assert notification.inputs["bucket"] == prod.named("social-prod-uploads").outputs["id"]
    assert notification.inputs["queues"] == [{"queueArn": arn_of(prod.named("social-prod-media-uploads")),
                                              "events": ["s3:ObjectCreated:*"], "filterPrefix": "uploads/"}]
    # Its messages that keep failing end in the queue's dead-letter queue, not in a loop.
    redrive = json.loads(prod.named("social-prod-media-uploads").inputs["redrivePolicy"])
    assert redrive == {"deadLetterTargetArn": arn_of(prod.named("social-prod-media-uploads-dlq")),
                       "maxReceiveCount": 3}


# ---- the CDN -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("stack", "price_class"), [("fixture_dev", "PriceClass_100"),
                                                     ("fixture_preview", "PriceClass_100"),
                                                     ("fixture_prod", "PriceClass_All")])
def test_a_cdn_bucket_is_served_over_https_through_origin_access_control(
        stack: str, price_class: str, request: pytest.FixtureRequest) -> None:
    rendering: Rendering = request.getfixturevalue(stack)
    # (the web client's distribution is tested in test_web_infra.py)
    [distribution], [oac] = (media(rendering, DISTRIBUTION), media(rendering, OAC))
    assert (oac.inputs["originAccessControlOriginType"], oac.inputs["signingBehavior"],
            oac.inputs["signingProtocol"]) == ("s3", "always", "sigv4")
    inputs = distribution.inputs
    [origin] = inputs["origins"]
    bucket = rendering.named(f"social-{rendering.stack}-gallery")
    assert origin["domainName"] == bucket.outputs["bucketRegionalDomainName"]
    assert origin["originAccessControlId"] == oac.outputs["id"] and "s3OriginConfig" not in origin
    behaviour = inputs["defaultCacheBehavior"]
    assert behaviour["targetOriginId"] == origin["originId"]
    assert behaviour["viewerProtocolPolicy"] == "redirect-to-https" and behaviour["compress"] is True
    assert behaviour["cachePolicyId"] == CACHING_OPTIMIZED[1]
    assert set(behaviour["allowedMethods"]) <= {"GET", "HEAD", "OPTIONS"}  # read only
    assert inputs["priceClass"] == price_class and inputs["enabled"] is True


def test_only_the_distribution_may_read_the_bucket_and_only_over_tls(fixture_dev: Rendering) -> None:
    distribution = arn_of(fixture_dev.named("social-dev-gallery-cdn"))
    bucket = arn_of(fixture_dev.named("social-dev-gallery"))
    [policy] = [p for p in fixture_dev.of_type("aws:s3/bucketPolicy:BucketPolicy")
                if p.inputs["bucket"] == fixture_dev.named("social-dev-gallery").outputs["id"]]
    deny, allow = json.loads(policy.inputs["policy"])["Statement"]
    assert (deny["Effect"], deny["Condition"]) == ("Deny", {"Bool": {"aws:SecureTransport": "false"}})
    assert allow == {"Sid": "CdnMayRead", "Effect": "Allow", "Principal": {"Service": "cloudfront.amazonaws.com"},
                     "Action": "s3:GetObject", "Resource": f"{bucket}/*",
                     "Condition": {"StringEquals": {"AWS:SourceArn": [distribution]}}}
    # The uploads bucket is no CDN's: TLS-only, nothing allowed.
    uploads = json.loads(fixture_dev.named("social-dev-uploads-tls-only").inputs["policy"])["Statement"]
    assert [s["Effect"] for s in uploads] == ["Deny"]


def test_the_cdn_url_reaches_every_function(dev: Rendering, fixture_dev: Rendering) -> None:
    domain = dev.named("social-dev-media-cdn").outputs["domainName"]
    functions = dev.of_type(FUNCTION)
    assert functions
    for function in functions:
        assert function.inputs["environment"]["variables"]["MEDIA_BUCKET_URL"] == f"https://{domain}"
    for function in fixture_dev.of_type(FUNCTION):
        assert function.inputs["environment"]["variables"]["GALLERY_BUCKET_URL"].startswith("https://d")
        assert "UPLOADS_BUCKET_URL" not in function.inputs["environment"]["variables"]


# ---- video ---------------------------------------------------------------------------------------

def test_mediaconvert_runs_as_a_role_that_reads_the_source_and_writes_the_destination_only(
        fixture_dev: Rendering) -> None:
    role = fixture_dev.named("social-dev-clips-transcoder-role")
    [assume] = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert (assume["Principal"], assume["Action"]) == ({"Service": "mediaconvert.amazonaws.com"}, "sts:AssumeRole")
    [policy] = [p for p in fixture_dev.of_type(ROLE_POLICY) if p.inputs["role"] == role.outputs["id"]]
    statements = {s["Sid"]: (s["Action"], s["Resource"]) for s in json.loads(policy.inputs["policy"])["Statement"]}
    uploads, gallery = (arn_of(fixture_dev.named(f"social-dev-{b}")) for b in ("uploads", "gallery"))
    assert statements == {"ReadSource": (["s3:GetObject"], [f"{uploads}/*"]),
                          "WriteDestination": (["s3:PutObject"], [f"{gallery}/*"])}


def test_the_transcoder_queue_is_on_demand_and_active(fixture_prod: Rendering) -> None:
    [queue] = fixture_prod.of_type(MEDIACONVERT_QUEUE)
    # The provider's default status is PAUSED: jobs would never start.
    assert (queue.inputs["pricingPlan"], queue.inputs["status"]) == ("ON_DEMAND", "ACTIVE")


def test_the_transcoders_role_and_queue_reach_every_function(dev: Rendering) -> None:
    role = arn_of(dev.named("social-dev-video-transcoder-role"))
    queue = arn_of(dev.named("social-dev-video-transcoder-queue"))
    assert queue.startswith("arn:aws:mediaconvert:us-east-1:") and ":queues/" in queue
    for function in dev.of_type(FUNCTION):
        variables = function.inputs["environment"]["variables"]
        assert (variables["VIDEO_TRANSCODER_ROLE_ARN"], variables["VIDEO_TRANSCODER_QUEUE_ARN"]) == (role, queue)


def test_the_transcode_grant_submits_to_its_queue_and_passes_its_role_to_mediaconvert_only(
        fixture_dev: Rendering) -> None:
    role = arn_of(fixture_dev.named("social-dev-clips-transcoder-role"))
    queue = arn_of(fixture_dev.named("social-dev-clips-transcoder-queue"))
    jobs = f"{queue.rsplit(':', 1)[0]}:jobs/*"
    statements = policy_of(fixture_dev, function_named(fixture_dev, "process_upload"))["Statement"]
    media = {s["Sid"]: s for s in statements if any(a.startswith(("mediaconvert:", "iam:")) for a in s["Action"])}
    assert {sid: (s["Action"], s["Resource"]) for sid, s in media.items()} == {
        "TranscoderClipsSubmit": (["mediaconvert:CreateJob"], sorted([queue, jobs])),
        "TranscoderClipsJobs": (["mediaconvert:GetJob"], [jobs]),
        "TranscoderClipsPassRole": (["iam:PassRole"], [role]),
    }
    assert media["TranscoderClipsPassRole"]["Condition"] == {
        "StringEquals": {"iam:PassedToService": "mediaconvert.amazonaws.com"}}
    # No other function may submit jobs or pass the role.
    for function in fixture_dev.of_type(FUNCTION):
        if function.inputs["name"] != "social-dev-process-upload":
            actions = {a for s in policy_of(fixture_dev, function)["Statement"] for a in s["Action"]}
            assert not any(a.startswith(("mediaconvert:", "iam:")) for a in actions), function.name


def test_job_state_changes_reach_their_handler_through_an_eventbridge_rule(fixture_dev: Rendering) -> None:
    rule = fixture_dev.named("social-dev-transcoded-rule")
    assert json.loads(rule.inputs["eventPattern"]) == {
        "source": ["aws.mediaconvert"], "detail-type": ["MediaConvert Job State Change"]}
    assert "scheduleExpression" not in rule.inputs and rule.inputs["state"] == "ENABLED"
    function = function_named(fixture_dev, "transcoded")
    [target] = [t for t in fixture_dev.of_type("aws:cloudwatch/eventTarget:EventTarget")
                if t.inputs["rule"] == rule.inputs["name"]]
    assert target.inputs["arn"] == arn_of(function)
    [permission] = [p.inputs for p in fixture_dev.of_type("aws:lambda/permission:Permission")
                    if p.inputs["function"] == function.inputs["name"]]
    assert (permission["principal"], permission["sourceArn"]) == ("events.amazonaws.com", arn_of(rule))


# ---- the identity pool's direct uploads ------------------------------------------------------------

def test_only_the_notifying_bucket_is_open_to_identities_own_prefixes(fixture_dev: Rendering) -> None:
    role = fixture_dev.named("social-dev-authenticated")
    [policy] = [p for p in fixture_dev.of_type(ROLE_POLICY) if p.inputs["role"] == role.outputs["id"]]
    [statement] = json.loads(policy.inputs["policy"])["Statement"]
    uploads = arn_of(fixture_dev.named("social-dev-uploads"))
    assert statement["Action"] == ["s3:PutObject"]
    assert statement["Resource"] == [f"{uploads}/uploads/identity/${{cognito-identity.amazonaws.com:sub}}/*"]


# ---- plan and cost -------------------------------------------------------------------------------

def test_the_plan_shows_the_media_resources_key_settings(prod: Rendering) -> None:
    assert key_settings(prod.named("social-prod-media-cdn")) == (
        f"priceClass=PriceClass_All, viewer=redirect-to-https, compress=True, cachePolicy={CACHING_OPTIMIZED[1]}, "
        "oac=yes")
    assert key_settings(prod.named("social-prod-uploads-lifecycle")) == "expire=1d abortMultipart=1d noncurrent=1d"
    assert key_settings(prod.named("social-prod-video-transcoder-queue")) == "pricing=ON_DEMAND, status=ACTIVE"
    assert key_settings(prod.named("social-prod-uploads-notifications")).startswith(
        "queue social-prod-media-uploads on s3:ObjectCreated:* prefix=uploads/")
    assert key_settings(prod.named("social-prod-media-tls-only")) == "statements=DenyInsecureTransport,CdnMayRead"


def test_the_cdn_and_the_transcoder_are_priced_on_media_not_api_traffic(prod: Rendering) -> None:
    estimate = estimate_cost(prod.custom, PriceTable.load(), (IDLE, LAUNCH))
    assert not estimate.unpriced
    lines = {item.kind: item for item in estimate.lines}
    cdn, video = lines["cloudfront:Distribution (media)"], lines["mediaconvert:Queue"]
    assert cdn.usd["idle"] == video.usd["idle"] == 0.0  # nothing while nobody uploads
    assert cdn.usd["launch"] > 0 and video.usd["launch"] > 0
    assert "media views" in cdn.basis["launch"] and "output minutes" in video.basis["launch"]


def test_every_declared_media_resource_is_in_the_real_stack(dev: Rendering) -> None:
    for bucket in MANIFEST.buckets:
        dev.named(f"social-dev-{bucket.name}")
    assert len(media(dev, DISTRIBUTION)) == sum(1 for b in MANIFEST.buckets if b.cdn)
    assert len(dev.of_type(MEDIACONVERT_QUEUE)) == len(MANIFEST.transcoders)
