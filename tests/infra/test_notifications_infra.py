"""Channels in the stacks: SES templates, push applications only when configured, both schedules, scoped grants."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.channels.templates import TEMPLATES
from stacks.mocks import Rendering, render
from tests.infra.conftest import function_named, policy_of

TEMPLATE = "aws:ses/template:Template"
PLATFORM_APP = "aws:sns/platformApplication:PlatformApplication"
RULE = "aws:cloudwatch/eventRule:EventRule"
IDENTITY = "arn:aws:ses:us-east-1:123456789012:identity/example.org"
PUSH_CONFIG = {"apnsSigningKey": "-----BEGIN PRIVATE KEY-----\nmock\n-----END PRIVATE KEY-----",
               "apnsKeyId": "ABC123DEFG", "apnsTeamId": "TEAM123456", "apnsBundleId": "org.example.social",
               "fcmServiceAccount": json.dumps({"type": "service_account", "project_id": "mock"})}


@pytest.fixture(scope="module")
def with_push() -> Rendering:
    return render("dev", PUSH_CONFIG)


def _statements(rendering: Rendering, logical: str) -> list[dict[str, Any]]:
    statements: list[dict[str, Any]] = policy_of(rendering, function_named(rendering, logical))["Statement"]
    return statements


def _allowing(statements: list[dict[str, Any]], prefix: str) -> list[dict[str, Any]]:
    return [s for s in statements if any(a.startswith(prefix) for a in s["Action"])]


def test_every_declared_template_exists_with_its_three_parts(dev: Rendering) -> None:
    made = {t.inputs["name"]: t.inputs for t in dev.of_type(TEMPLATE)}
    assert set(made) == {f"social-dev-mail-{t.name}" for t in TEMPLATES}
    for template in TEMPLATES:
        inputs = made[f"social-dev-mail-{template.name}"]
        assert (inputs["subject"], inputs["text"], inputs["html"]) == (template.subject, template.text, template.html)
        assert "{{unsubscribe_url}}" in inputs["text"] and "{{unsubscribe_url}}" in inputs["html"]


def test_the_mailer_sends_from_the_account_identity_with_the_stacks_templates(dev: Rendering) -> None:
    function = function_named(dev, "send_notification_emails")
    variables = function.inputs["environment"]["variables"]
    assert (variables["MAIL_MAILER_FROM"], variables["MAIL_MAILER_TEMPLATES"]) == (
        "no-reply@example.org", "social-dev-mail-")
    # The link base is the API's URL (a deferred output: the API exists after its functions).
    assert variables["PUBLIC_API_URL"].startswith("https://") and variables["PUBLIC_API_URL"].endswith("/api")
    assert "PUBLIC_API_URL" not in function_named(dev, "api_handler").inputs["environment"]["variables"]


def test_a_configured_public_url_is_what_mails_link_to() -> None:
    rendering = render("dev", {"publicApiUrl": "https://api.social.example"})
    variables = function_named(rendering, "send_digests").inputs["environment"]["variables"]
    assert variables["PUBLIC_API_URL"] == "https://api.social.example"


@pytest.mark.parametrize("logical", ["send_notification_emails", "send_digests"])
def test_mailing_functions_may_send_only_from_the_identity_with_the_templates(dev: Rendering, logical: str) -> None:
    [statement] = _allowing(_statements(dev, logical), "ses:")
    templates = sorted(f"arn:aws:ses:us-east-1:123456789012:template/social-dev-mail-{t.name}" for t in TEMPLATES)
    assert statement["Action"] == ["ses:SendEmail", "ses:SendTemplatedEmail"]
    assert statement["Resource"] == sorted([IDENTITY, *templates])


def test_no_push_application_without_credentials(dev: Rendering, prod: Rendering) -> None:
    assert dev.of_type(PLATFORM_APP) == [] and prod.of_type(PLATFORM_APP) == []
    variables = function_named(dev, "send_pushes").inputs["environment"]["variables"]
    assert variables["PUSH_PUSH_APPS"] == "{}"
    # Nothing to push to: no SNS statement at all, rather than one on '*'.
    assert _allowing(_statements(dev, "send_pushes"), "sns:") == []


def test_configured_platforms_get_an_application_each(with_push: Rendering) -> None:
    apps = {a.inputs["platform"]: a.inputs for a in with_push.of_type(PLATFORM_APP)}
    assert set(apps) == {"APNS", "GCM"}
    assert (apps["APNS"]["platformPrincipal"], apps["APNS"]["applePlatformTeamId"]) == ("ABC123DEFG", "TEAM123456")
    variables = function_named(with_push, "send_pushes").inputs["environment"]["variables"]
    assert set(json.loads(variables["PUSH_PUSH_APPS"])) == {"apns", "fcm"}


def test_push_grants_are_scoped_to_the_applications_and_their_endpoints(with_push: Rendering) -> None:
    apps = sorted(a.outputs["arn"] for a in with_push.of_type(PLATFORM_APP))
    endpoints = sorted(a.replace(":app/", ":endpoint/") + "/*" for a in apps)
    pushing = _allowing(_statements(with_push, "send_pushes"), "sns:")
    assert [(s["Action"], s["Resource"]) for s in pushing] == [
        (["sns:DeleteEndpoint", "sns:GetEndpointAttributes", "sns:Publish"], endpoints)]
    api = _statements(with_push, "api_handler")
    registering = {tuple(s["Action"]): s["Resource"] for s in _allowing(api, "sns:")}
    assert registering == {
        ("sns:CreatePlatformEndpoint",): apps,
        ("sns:DeleteEndpoint", "sns:GetEndpointAttributes", "sns:SetEndpointAttributes"): endpoints}


def test_both_schedules_are_rules_on_their_functions(dev: Rendering) -> None:
    rules = {r.inputs.get("scheduleExpression") for r in dev.of_type(RULE)}
    assert {"cron(0 20 * * ? *)", "cron(0 2 ? * SUN *)"} <= rules
    # Neither schedule function may mail or push beyond what it declares.
    assert _allowing(_statements(dev, "daily_digest"), "ses:") == []
    pages = [s for s in _allowing(_statements(dev, "daily_digest"), "sqs:")
             if any(r.endswith(":social-dev-digest-pages") for r in s["Resource"])]
    assert [(s["Action"], len(s["Resource"])) for s in pages] == [
        (["sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:SendMessage"], 1)]


def test_the_channel_queues_subscribe_to_the_notifications_topic_by_channel(dev: Rendering) -> None:
    subscriptions = dev.of_type("aws:sns/topicSubscription:TopicSubscription")
    policies = {s.name: json.loads(s.inputs["filterPolicy"]) for s in subscriptions
                if s.inputs.get("filterPolicy") and "channels" in s.inputs["filterPolicy"]}
    assert sorted(p["channels"] for p in policies.values()) == [["email"], ["push"], ["realtime"]]  # realtime's too
