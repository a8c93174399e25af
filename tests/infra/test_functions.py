"""Functions and triggers as the rendered stacks would create them."""

from __future__ import annotations

import json
import os
import re
from typing import Any
from unittest import mock

import pytest

import app as runtime_app
from chalicelib.core.declarations import Manifest
from chalicelib.core.pagination import CURSOR_KEY
from chalicelib.core.settings import Settings
from chalicelib.resources import MANIFEST
from stacks.appgraph import SqsTrigger, StreamTrigger, plan_app
from stacks.functions import RESERVED_ENVIRONMENT
from stacks.mocks import Rendering, render
from stacks.settings import LAMBDA_ARCHITECTURE, LAMBDA_RUNTIME
from tests.infra import fixture_app
from tests.infra.conftest import FUNCTION, arn_of, function_named, functions_by_handler, policy_of

FIXTURE_HANDLERS = {
    "app.app", "app.work", "app.ingest", "app.relay", "app.changed", "app.sweep",
    "app.connect", "app.message", "app.disconnect", "app.migrate_vault", "app.process_upload", "app.transcoded",
}


def _handlers(app: object) -> set[str]:
    """Every handler string Chalice knows of: routes' app.app, event sources, WebSocket handlers, pure lambdas."""
    handlers = {source.handler_string for source in app.event_sources}  # type: ignore[attr-defined]
    handlers |= {ws.handler_string for ws in app.websocket_handlers.values()}  # type: ignore[attr-defined]
    handlers |= {pure.handler_string for pure in app.pure_lambda_functions}  # type: ignore[attr-defined]
    return handlers | ({"app.app"} if app.routes else set())  # type: ignore[attr-defined]


def test_each_chalice_handler_gets_exactly_one_lambda_and_routes_one_per_database(dev: Rendering,
                                                                                  fixture_dev: Rendering) -> None:
    assert _handlers(fixture_app.app) == FIXTURE_HANDLERS
    for rendering, app, apart in ((dev, runtime_app.app, {"ledger", "search"}), (fixture_dev, fixture_app.app,
                                                                                   {"vault"})):
        by_handler = functions_by_handler(rendering)
        assert set(by_handler) == _handlers(app)
        assert all(len(functions) == 1 for handler, functions in by_handler.items() if handler != "app.app")
        # Routes that connect to the database, or search (both in the VPC), run apart from the others (Chalice
        # dispatches on the route).
        assert {f.name for f in by_handler["app.app"]} == {"social-dev-api-handler",
                                                           *(f"social-dev-api-{name}" for name in apart)}


def test_functions_run_python_with_active_tracing_and_their_own_log_group(any_rendering: Rendering) -> None:
    log_groups = {g.inputs["name"]: g for g in any_rendering.of_type("aws:cloudwatch/logGroup:LogGroup")}
    for function in any_rendering.of_type(FUNCTION):
        # the newest Python Lambda runs, which `make package` builds the binary wheels for
        assert function.inputs["runtime"] == LAMBDA_RUNTIME == "python3.13"
        # on Graviton, the architecture `make package` selects the wheels for (20% less per GB-s than x86_64)
        assert function.inputs["architectures"] == [LAMBDA_ARCHITECTURE] == ["arm64"]
        assert function.inputs["tracingConfig"] == {"mode": "Active"}
        own = f"/aws/lambda/{function.inputs['name']}"
        assert function.inputs["loggingConfig"]["logGroup"] == own
        assert own in log_groups, f"{function.name} logs to a group the stack does not manage"
    owners = [f.inputs["loggingConfig"]["logGroup"] for f in any_rendering.of_type(FUNCTION)]
    assert len(owners) == len(set(owners)), "two functions share a log group"


def test_every_function_logs_json_with_powertools_settings(any_rendering: Rendering) -> None:
    # JSON: Lambda's own lines and ours are one format, and Lambda filters ours by level (INFO in every stack).
    functions = any_rendering.of_type(FUNCTION)
    assert functions
    for function in functions:
        logging_config = function.inputs["loggingConfig"]
        assert logging_config["logFormat"] == "JSON", function.name
        assert logging_config["applicationLogLevel"] == "INFO" and logging_config["systemLogLevel"] == "WARN"
        variables = function.inputs["environment"]["variables"]
        assert variables["POWERTOOLS_SERVICE_NAME"] == "social"
        assert variables["POWERTOOLS_METRICS_NAMESPACE"] == "Social"


def test_each_function_has_its_own_role(fixture_dev: Rendering) -> None:
    roles = [f.inputs["role"] for f in fixture_dev.of_type(FUNCTION)]
    assert len(roles) == len(set(roles)) == 13  # twelve handlers, the routes in two functions


def test_environment_lets_the_runtime_settings_resolve_to_the_stacks_values(any_rendering: Rendering) -> None:
    pool = any_rendering.of_type("aws:cognito/userPool:UserPool")[0]
    client = any_rendering.of_type("aws:cognito/userPoolClient:UserPoolClient")[0]
    region = "us-east-1"
    for function in any_rendering.of_type(FUNCTION):
        variables = function.inputs["environment"]["variables"]
        assert not RESERVED_ENVIRONMENT & set(variables), "Lambda refuses reserved variables"
        # Lambda itself provides AWS_REGION; everything else comes from the stack.
        with mock.patch.dict(os.environ, {**variables, "AWS_REGION": region}, clear=True):
            settings = Settings.from_env()
        assert settings.user_pool_id == pool.outputs["id"]
        assert settings.user_pool_client_id == client.outputs["id"]
        assert settings.token_issuer == f"https://cognito-idp.{region}.amazonaws.com/{settings.user_pool_id}"
        assert settings.jwks_url == f"{settings.token_issuer}/.well-known/jwks.json"
        assert settings.stage == any_rendering.stack
        assert settings.tracing is True
        # The feed's knobs: the code's defaults, a shorter timeline on previews.
        assert (settings.fanout_max_followers, settings.backfill_posts) == (50_000, 20)
        assert settings.timeline_days == (7 if any_rendering.stack.startswith("preview-") else 30)
        assert "CURSOR_SECRET" not in variables  # signing keys live in Secrets Manager, not the environment


SECRET = "aws:secretsmanager/secret:Secret"


@pytest.mark.parametrize("stack", ["dev", "prod", "preview"])
def test_cursors_are_signed_with_a_generated_secret_that_only_list_functions_may_read(
        stack: str, request: pytest.FixtureRequest) -> None:
    any_rendering: Rendering = request.getfixturevalue(stack)
    [secret] = [s for s in any_rendering.of_type(SECRET) if s.name.endswith("-cursor-key-secret")]
    [version] = [v for v in any_rendering.of_type("aws:secretsmanager/secretVersion:SecretVersion")
                 if v.inputs["secretId"] == secret.outputs["id"]]
    [value] = [p for p in any_rendering.of_type("random:index/randomPassword:RandomPassword")
               if p.name.endswith("-cursor-key-value")]
    # As strong as the runtime's own fallback (token_urlsafe(32): 43 characters), and no keepers: it changes
    # only if replaced. Rotation is Secrets Manager's (put-secret-value), and the runtime accepts AWSPREVIOUS.
    assert value.inputs["length"] >= 43 and "keepers" not in value.inputs
    assert version.inputs["secretString"] == value.outputs["result"] and "secretString" in version.secret_inputs
    arn = secret.outputs["arn"]
    readers = set()
    for function in any_rendering.of_type(FUNCTION):
        variables = function.inputs["environment"]["variables"]
        assert variables["CURSOR_KEY_SECRET_ARN"] == arn, function.name
        assert value.outputs["result"] not in json.dumps(variables), function.name
        if any(arn in statement["Resource"] for statement in policy_of(any_rendering, function)["Statement"]):
            readers.add(function.inputs["name"])
    # Only functions serving a list route (they sign and check cursors) may read it.
    listing = [f.name for f in plan_app(runtime_app.app, MANIFEST).functions if CURSOR_KEY in f.resources("secret")]
    assert listing and readers == {function_named(any_rendering, name).inputs["name"] for name in listing}


def _resolved(rendering: Rendering) -> set[tuple[int, int, int]]:
    values = set()
    for function in rendering.of_type(FUNCTION):
        with mock.patch.dict(os.environ, {**function.inputs["environment"]["variables"], "AWS_REGION": "us-east-1"},
                             clear=True):
            settings = Settings.from_env()
        values.add((settings.fanout_max_followers, settings.timeline_days, settings.backfill_posts))
    return values


def test_feed_settings_come_from_the_stacks_config() -> None:
    overrides = {"fanoutMaxFollowers": 1000, "timelineDays": 14, "backfillPosts": 5}
    assert _resolved(render("dev", overrides)) == {(1000, 14, 5)}
    # A preview keeps at most a week of timeline whatever its config says; less if it asks.
    assert _resolved(render("preview-long", overrides)) == {(1000, 7, 5)}
    assert _resolved(render("preview-short", {"timelineDays": 3})) == {(50_000, 3, 20)}


def test_every_declared_resource_reaches_every_function_by_its_env_var(fixture_dev: Rendering) -> None:
    queue = fixture_dev.named("social-dev-jobs")
    expected = {
        "THINGS_TABLE": "social-dev-things", "AUDIT_TABLE": "social-dev-audit",
        "JOBS_QUEUE_URL": queue.outputs["url"],
        "ORDERS_QUEUE_URL": fixture_dev.named("social-dev-orders").outputs["url"],
        "EVENTS_TOPIC_ARN": arn_of(fixture_dev.named("social-dev-events-topic")),
        "UPLOADS_BUCKET": fixture_dev.named("social-dev-uploads").outputs["bucket"],
    }
    for function in fixture_dev.of_type(FUNCTION):
        variables = function.inputs["environment"]["variables"]
        assert {k: variables.get(k) for k in expected} == expected, function.name


@pytest.mark.parametrize("stack", ["dev", "prod", "preview"])
def test_auto_confirm_only_on_previews(stack: str, request: pytest.FixtureRequest) -> None:
    rendering: Rendering = request.getfixturevalue(stack)
    values = {f.inputs["environment"]["variables"]["AUTO_CONFIRM_SIGNUP"] for f in rendering.of_type(FUNCTION)}
    assert values == {"true" if stack == "preview" else "false"}


def test_sqs_trigger_reports_partial_failures_with_the_decorators_batching(fixture_dev: Rendering) -> None:
    mappings = fixture_dev.of_type("aws:lambda/eventSourceMapping:EventSourceMapping")
    work = function_named(fixture_dev, "work")
    jobs = fixture_dev.named("social-dev-jobs")
    [sqs] = [m for m in mappings if m.inputs["eventSourceArn"] == arn_of(jobs)]
    assert sqs.inputs["functionName"] == arn_of(work)
    assert sqs.inputs["functionResponseTypes"] == ["ReportBatchItemFailures"]
    assert (sqs.inputs["batchSize"], sqs.inputs["maximumBatchingWindowInSeconds"]) == (5, 2)
    # Visibility at least 6x the consumer's timeout, or a slow batch is delivered twice.
    assert jobs.inputs["visibilityTimeoutSeconds"] >= 6 * work.inputs["timeout"]


def test_stream_trigger_bisects_and_parks_failures(fixture_dev: Rendering) -> None:
    things = fixture_dev.named("social-dev-things-table")
    [stream] = [m for m in fixture_dev.of_type("aws:lambda/eventSourceMapping:EventSourceMapping")
                if m.inputs["eventSourceArn"] == things.outputs["streamArn"]]
    assert stream.inputs["functionName"] == arn_of(function_named(fixture_dev, "changed"))
    assert stream.inputs["bisectBatchOnFunctionError"] is True
    assert stream.inputs["startingPosition"] == "TRIM_HORIZON"
    failures = fixture_dev.named("social-dev-changed-failures")
    assert stream.inputs["destinationConfig"]["onFailure"]["destinationArn"] == arn_of(failures)


def _permissions(rendering: Rendering, function_arn_or_name: str) -> list[dict[str, str]]:
    return [p.inputs for p in rendering.of_type("aws:lambda/permission:Permission")
            if p.inputs["function"] == function_arn_or_name]


def test_s3_trigger_is_a_notification_with_a_permission_scoped_to_the_bucket(fixture_dev: Rendering) -> None:
    ingest = function_named(fixture_dev, "ingest")
    bucket = fixture_dev.named("social-dev-uploads")
    [notification] = fixture_dev.of_type("aws:s3/bucketNotification:BucketNotification")
    assert notification.inputs["bucket"] == bucket.outputs["id"]
    [entry] = notification.inputs["lambdaFunctions"]
    assert entry["lambdaFunctionArn"] == arn_of(ingest)
    assert (entry["events"], entry["filterPrefix"], entry["filterSuffix"]) == (["s3:ObjectCreated:*"], "in/", ".jpg")
    [permission] = _permissions(fixture_dev, ingest.inputs["name"])
    assert (permission["principal"], permission["sourceArn"]) == ("s3.amazonaws.com", arn_of(bucket))


def test_sns_trigger_is_a_subscription_with_a_permission_scoped_to_the_topic(fixture_dev: Rendering) -> None:
    relay = function_named(fixture_dev, "relay")
    topic = fixture_dev.named("social-dev-events-topic")
    [subscription] = [s for s in fixture_dev.of_type("aws:sns/topicSubscription:TopicSubscription")
                      if s.inputs["protocol"] == "lambda"]
    assert subscription.inputs == {**subscription.inputs, "topic": arn_of(topic), "protocol": "lambda",
                                   "endpoint": arn_of(relay)}
    [permission] = _permissions(fixture_dev, relay.inputs["name"])
    assert (permission["principal"], permission["sourceArn"]) == ("sns.amazonaws.com", arn_of(topic))


def test_schedule_trigger_is_a_rule_target_and_permission(fixture_dev: Rendering) -> None:
    sweep = function_named(fixture_dev, "sweep")
    rules = fixture_dev.of_type("aws:cloudwatch/eventRule:EventRule")
    [rule] = [r for r in rules if r.inputs.get("scheduleExpression")]
    assert rule.inputs["scheduleExpression"] == "rate(1 hour)"
    [target] = [t for t in fixture_dev.of_type("aws:cloudwatch/eventTarget:EventTarget")
                if t.inputs["rule"] == rule.inputs["name"]]
    assert (target.inputs["rule"], target.inputs["arn"]) == (rule.inputs["name"], arn_of(sweep))
    [permission] = _permissions(fixture_dev, sweep.inputs["name"])
    assert (permission["principal"], permission["sourceArn"]) == ("events.amazonaws.com", arn_of(rule))


def test_websocket_handlers_get_an_api_with_their_routes(fixture_dev: Rendering) -> None:
    [api] = fixture_dev.of_type("aws:apigatewayv2/api:Api")
    assert api.inputs["protocolType"] == "WEBSOCKET"
    integrations = {i.outputs["id"]: i for i in fixture_dev.of_type("aws:apigatewayv2/integration:Integration")}
    routes = {r.inputs["routeKey"]: r for r in fixture_dev.of_type("aws:apigatewayv2/route:Route")}
    assert set(routes) == {"$connect", "$disconnect", "$default"}
    expected = {"$connect": "websocket_connect", "$disconnect": "websocket_disconnect",
                "$default": "websocket_message"}
    for route_key, logical in expected.items():
        integration = integrations[routes[route_key].inputs["target"].removeprefix("integrations/")]
        assert integration.inputs["integrationUri"] == function_named(fixture_dev, logical).outputs["invokeArn"]
        assert integration.inputs["integrationType"] == "AWS_PROXY"


MAPPING = "aws:lambda/eventSourceMapping:EventSourceMapping"


@pytest.mark.parametrize(("stack", "app", "manifest"), [
    ("dev", runtime_app.app, MANIFEST), ("prod", runtime_app.app, MANIFEST),
    ("fixture_dev", fixture_app.app, fixture_app.MANIFEST)])
def test_each_queue_and_stream_handler_is_mapped_to_its_own_source(stack: str, app: Any, manifest: Manifest,
                                                                   request: pytest.FixtureRequest) -> None:
    """Walks whatever the app declares: one mapping per SQS or stream handler, on the right queue or table."""
    rendering: Rendering = request.getfixturevalue(stack)
    mappings = {m.inputs["functionName"]: m.inputs for m in rendering.of_type(MAPPING)}
    planned = [f for f in plan_app(app, manifest).functions if isinstance(f.trigger, SqsTrigger | StreamTrigger)]
    assert len(mappings) == len(planned)
    for function in planned:
        mapping = mappings[arn_of(function_named(rendering, function.name))]
        trigger = function.trigger
        if isinstance(trigger, StreamTrigger):
            table = rendering.named(f"social-{rendering.stack}-{trigger.table.name}-table")
            assert mapping["eventSourceArn"] == table.outputs["streamArn"], function.name
            assert mapping["startingPosition"] == trigger.starting_position
            failures = rendering.named(f"social-{rendering.stack}-{function.name.replace('_', '-')}-failures")
            assert mapping["destinationConfig"]["onFailure"]["destinationArn"] == arn_of(failures)
        else:
            assert isinstance(trigger, SqsTrigger)
            queue = rendering.named(f"social-{rendering.stack}-{trigger.queue.name}")
            assert mapping["eventSourceArn"] == arn_of(queue), function.name
        assert mapping["batchSize"] == trigger.batch_size, function.name
        assert mapping["functionResponseTypes"] == ["ReportBatchItemFailures"], function.name


def test_every_function_runs_the_one_uploaded_package(any_rendering: Rendering) -> None:
    # One object in the stack's code bucket, named by the archive's hash: uploaded once, not once per function
    # (and from S3 the 50 MB limit of a zip in the request does not apply).
    # (The site's config.json and build are objects too, in the site bucket.)
    [archive] = [o for o in any_rendering.of_type("aws:s3/bucketObjectv2:BucketObjectv2")
                 if str(o.inputs["key"]).startswith("lambda/")]
    [bucket] = [b for b in any_rendering.of_type("aws:s3/bucket:Bucket") if b.outputs["id"] == archive.inputs["bucket"]]
    assert bucket.name.endswith("-lambda-code")
    assert re.fullmatch(r"lambda/[0-9a-f]{64}\.zip", archive.inputs["key"])
    functions = any_rendering.of_type(FUNCTION)
    assert functions and {(f.inputs["s3Bucket"], f.inputs["s3Key"]) for f in functions} == {
        (archive.inputs["bucket"], archive.inputs["key"])}
    assert all("code" not in f.inputs and f.inputs["sourceCodeHash"] for f in functions)
    # Nothing in the app may touch it: no function's environment names it.
    assert all(archive.inputs["bucket"] not in json.dumps(f.inputs["environment"]) for f in functions)


def test_async_invoked_functions_send_what_lambda_gives_up_on_to_a_failure_queue(fixture_dev: Rendering) -> None:
    # A rule, topic or bucket invokes asynchronously: after two retries Lambda drops the event unless the
    # function's on-failure destination takes it (a lost MediaConvert completion would leave media pending).
    configs = {c.inputs["functionName"]: c for c in fixture_dev.of_type(
        "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig")}
    for logical in ("ingest", "relay", "sweep", "transcoded"):
        function = function_named(fixture_dev, logical)
        config = configs.pop(function.inputs["name"])
        failures = fixture_dev.named(f"social-dev-{logical}-failures")
        assert config.inputs["destinationConfig"]["onFailure"]["destination"] == arn_of(failures)
        assert config.inputs["maximumRetryAttempts"] == 2
    assert not configs, f"only async-invoked functions get one: {sorted(configs)}"
