"""The app-graph walk: one function per Chalice handler, triggers resolved against the manifest."""

from __future__ import annotations

from typing import Any

import pytest
from chalice.app import Chalice

import app as runtime_app
from chalicelib.core.declarations import Manifest, Queue, Table, grants_of, uses
from chalicelib.resources import MANIFEST
from stacks.appgraph import (
    WEBSOCKET_FUNCTIONS,
    AppGraphError,
    S3Trigger,
    ScheduleTrigger,
    SnsTrigger,
    SqsTrigger,
    StreamTrigger,
    UndeclaredResourceError,
    WebSocketTrigger,
    plan_app,
)
from tests.infra import fixture_app


def test_all_routes_of_the_real_app_run_in_one_function_with_the_union_of_their_grants() -> None:
    app = runtime_app.app
    plan = plan_app(app, MANIFEST)
    # Walked, not listed: one function per event source, one for every route, one per WebSocket route.
    expected = [*(p.name for p in app.pure_lambda_functions), *(s.name for s in app.event_sources), "api_handler",
                *(WEBSOCKET_FUNCTIONS[key] for key in app.websocket_handlers)]
    assert [f.name for f in plan.functions] == expected
    api = plan.function("api_handler")
    assert (api.handler, api.trigger.kind) == ("app.app", "api")
    route_grants = {g for methods in app.routes.values() for e in methods.values() for g in grants_of(e.view_function)}
    assert route_grants, "the real app's routes declare grants"
    assert set(api.grants) == route_grants
    for source in app.event_sources:
        function = plan.function(source.name)
        assert function.handler == source.handler_string
        assert set(grants_of(app.handler_map[source.name])) <= set(function.grants)


def test_each_fixture_handler_becomes_one_function_with_its_trigger() -> None:
    plan = plan_app(fixture_app.app, fixture_app.MANIFEST)
    kinds = {f.name: (f.handler, f.trigger.kind) for f in plan.functions}
    assert kinds == {
        "work": ("app.work", "sqs"), "ingest": ("app.ingest", "s3"), "relay": ("app.relay", "sns"),
        "changed": ("app.changed", "dynamodb_stream"), "sweep": ("app.sweep", "schedule"),
        "api_handler": ("app.app", "api"), "websocket_connect": ("app.connect", "websocket"),
        "websocket_message": ("app.message", "websocket"), "websocket_disconnect": ("app.disconnect", "websocket"),
        "migrate_vault": ("app.migrate_vault", "none"),
    }
    work = plan.function("work").trigger
    assert isinstance(work, SqsTrigger)
    assert (work.queue, work.batch_size, work.batching_window_seconds) == (fixture_app.JOBS, 5, 2)
    ingest = plan.function("ingest").trigger
    assert isinstance(ingest, S3Trigger)
    assert (ingest.bucket, ingest.prefix, ingest.suffix) == (fixture_app.UPLOADS, "in/", ".jpg")
    relay = plan.function("relay").trigger
    assert isinstance(relay, SnsTrigger) and relay.topic == fixture_app.EVENTS
    changed = plan.function("changed").trigger
    assert isinstance(changed, StreamTrigger)
    assert (changed.table, changed.batch_size, changed.starting_position) == (fixture_app.THINGS, 50, "TRIM_HORIZON")
    sweep = plan.function("sweep").trigger
    assert isinstance(sweep, ScheduleTrigger) and sweep.expression == "rate(1 hour)"
    routes = {f.trigger.route_key for f in plan.websocket if isinstance(f.trigger, WebSocketTrigger)}
    assert routes == {"$connect", "$default", "$disconnect"}


def test_an_sqs_consumer_is_granted_consume_on_its_queue_even_if_undeclared() -> None:
    plan = plan_app(fixture_app.app, fixture_app.MANIFEST)
    assert fixture_app.JOBS.consume() in plan.function("work").grants
    assert fixture_app.AUDIT.write() in plan.function("work").grants


def _app_with(register: Any) -> Chalice:
    app = Chalice(app_name="broken")
    register(app)
    return app


@pytest.mark.parametrize(("register", "named"), [
    (lambda app: app.on_sqs_message(queue="nope")(lambda event: None), "queue 'nope'"),
    (lambda app: app.on_s3_event(bucket="nope")(lambda event: None), "bucket 'nope'"),
    (lambda app: app.on_sns_message(topic="nope")(lambda event: None), "topic 'nope'"),
    (lambda app: app.on_dynamodb_record(stream_arn="nope")(lambda event: None), "table 'nope'"),
])
def test_an_undeclared_logical_name_fails_with_a_clear_error(register: Any, named: str) -> None:
    with pytest.raises(UndeclaredResourceError, match=named) as raised:
        plan_app(_app_with(register), fixture_app.MANIFEST)
    assert "MANIFEST" in str(raised.value)


def test_a_grant_on_an_undeclared_resource_fails() -> None:
    stray = Queue("stray")
    app = Chalice(app_name="broken")

    @app.route("/x")
    @uses(stray.send())
    def view() -> None: ...

    with pytest.raises(UndeclaredResourceError, match="queue 'stray'"):
        plan_app(app, fixture_app.MANIFEST)


def test_reading_a_stream_the_table_does_not_declare_fails() -> None:
    app = Chalice(app_name="broken")
    app.on_dynamodb_record(stream_arn="audit")(lambda event: None)
    with pytest.raises(AppGraphError, match="declares no stream"):
        plan_app(app, fixture_app.MANIFEST)


def test_a_queue_named_by_arn_is_refused() -> None:
    app = Chalice(app_name="broken")
    app.on_sqs_message(queue_arn="arn:aws:sqs:us-east-1:1:q")(lambda event: None)
    with pytest.raises(AppGraphError, match="logical queue name"):
        plan_app(app, Manifest(tables=(Table(fixture_app.AuditModel),)))
