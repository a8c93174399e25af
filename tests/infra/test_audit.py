"""The account's CloudTrail trail: every region, validated, encrypted, private, kept a year."""

from __future__ import annotations

import json
from typing import Any

import pytest

from stacks.mocks import ACCOUNT, RecordedResource, Rendering, render

TRAIL = "aws:cloudtrail/trail:Trail"
PREFIX = "social-account-us-east-1-audit"
TRAIL_ARN = f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/{PREFIX}"


@pytest.fixture(scope="module")
def account() -> Rendering:
    return render("account-us-east-1")


def bucket_of(account: Rendering) -> RecordedResource:
    return account.named(f"{PREFIX}-logs")


def test_one_multi_region_validated_trail_with_global_events(account: Rendering) -> None:
    [trail] = account.of_type(TRAIL)
    assert trail.inputs["name"] == PREFIX
    assert trail.inputs["isMultiRegionTrail"] is True
    assert trail.inputs["includeGlobalServiceEvents"] is True
    assert trail.inputs["enableLogFileValidation"] is True
    assert trail.inputs["enableLogging"] is True
    assert trail.inputs["s3BucketName"] == bucket_of(account).outputs["bucket"]
    assert account.exports["audit"]["bucket"] == bucket_of(account).outputs["bucket"]


def test_logs_are_encrypted_with_a_rotated_key_only_this_trail_may_use(account: Rendering) -> None:
    [trail] = account.of_type(TRAIL)
    key = account.named(f"{PREFIX}-key")
    assert trail.inputs["kmsKeyId"] == key.outputs["arn"]
    assert key.inputs["enableKeyRotation"] is True
    statements = {s["Sid"]: s for s in json.loads(key.inputs["policy"])["Statement"]}
    assert statements["AccountAdministers"]["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
    encrypt = statements["CloudTrailEncrypts"]
    assert encrypt["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
    assert encrypt["Action"] == "kms:GenerateDataKey*"
    assert encrypt["Condition"]["StringEquals"] == {"aws:SourceArn": TRAIL_ARN}
    # Nobody but the account's own IAM policies may decrypt: no statement grants kms:Decrypt to a principal.
    assert not [s for s in statements.values() if "kms:Decrypt" in str(s["Action"])]
    # Everything else in the bucket: SSE-S3 by default.
    encryption = account.named(f"{PREFIX}-logs-encryption").inputs["rules"][0]
    assert encryption["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "AES256"


def test_the_bucket_is_private_tls_only_and_written_by_this_trail_only(account: Rendering) -> None:
    bucket = bucket_of(account)
    block = account.named(f"{PREFIX}-logs-public-access").inputs
    assert block["bucket"] == bucket.outputs["id"]
    assert all(block[k] is True for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls",
                                          "restrictPublicBuckets"))
    assert account.named(f"{PREFIX}-logs-ownership").inputs["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    statements: dict[str, Any] = {s["Sid"]: s for s in json.loads(
        account.named(f"{PREFIX}-logs-policy").inputs["policy"])["Statement"]}
    arn = bucket.outputs["arn"]
    assert statements["DenyInsecureTransport"]["Effect"] == "Deny"
    assert statements["DenyInsecureTransport"]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert statements["CloudTrailAclCheck"]["Resource"] == arn
    assert statements["CloudTrailAclCheck"]["Condition"] == {"StringEquals": {"aws:SourceArn": TRAIL_ARN}}
    write = statements["CloudTrailWrite"]
    assert (write["Action"], write["Resource"]) == ("s3:PutObject", f"{arn}/AWSLogs/{ACCOUNT}/*")
    assert write["Condition"]["StringEquals"]["aws:SourceArn"] == TRAIL_ARN
    assert {s["Effect"] for s in statements.values() if s["Sid"] != "DenyInsecureTransport"} == {"Allow"}
    assert all(s["Principal"] in ("*", {"Service": "cloudtrail.amazonaws.com"}) for s in statements.values())


def test_logs_are_kept_a_year_and_versions_a_month(account: Rendering) -> None:
    assert account.named(f"{PREFIX}-logs-versioning").inputs["versioningConfiguration"] == {"status": "Enabled"}
    [rule] = account.named(f"{PREFIX}-logs-lifecycle").inputs["rules"]
    assert rule["status"] == "Enabled" and rule["filter"] == {"prefix": ""}
    assert rule["expiration"] == {"days": 365}
    assert rule["noncurrentVersionExpiration"] == {"noncurrentDays": 30}
    assert "transitions" not in rule  # thousands of small files a day: a transition costs more than it saves
    assert bucket_of(account).inputs["forceDestroy"] is False


def test_a_second_account_stack_can_leave_the_trail_to_the_first() -> None:
    assert not render("account-us-east-1", {"auditTrail": "false"}).of_type(TRAIL)


def test_only_the_account_stack_has_a_trail(dev: Rendering, prod: Rendering) -> None:
    assert not dev.of_type(TRAIL) and not prod.of_type(TRAIL)
