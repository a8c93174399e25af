"""The app-graph walk: one function per Chalice handler, triggers resolved against the manifest."""

from __future__ import annotations

from typing import Any

import pytest
from chalice.app import Chalice

import app as runtime_app
from chalicelib.core.declarations import Database, Grant, Manifest, Queue, Table, grants_of, uses
from chalicelib.resources import LEDGER, MANIFEST, SEARCH
from stacks.appgraph import (
    WEBSOCKET_FUNCTIONS,
    ApiTrigger,
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


def _route_grants(app: Chalice) -> dict[tuple[str, str], set[Grant]]:
    return {(path, method): set(grants_of(entry.view_function))
            for path, methods in app.routes.items() for method, entry in methods.items()}


def test_the_real_apps_routes_run_in_three_functions_split_by_the_ledgers_connect_and_the_search_grants() -> None:
    app = runtime_app.app
    plan = plan_app(app, MANIFEST)
    # Walked, not listed: one function per event source, one per route group, one per WebSocket route.
    expected = [*(p.name for p in app.pure_lambda_functions), *(s.name for s in app.event_sources), "api_handler",
                "api_ledger", "api_search", *(WEBSOCKET_FUNCTIONS[key] for key in app.websocket_handlers)]
    assert [f.name for f in plan.functions] == expected
    assert [f.name for f in plan.apis] == ["api_handler", "api_ledger", "api_search"]
    grants = _route_grants(app)
    ledger_routes = {route for route, declared in grants.items() if LEDGER.connect() in declared}
    search_routes = {route for route, declared in grants.items() if SEARCH.search() in declared}
    # What the ledger's and search's routes are today; the plan derives them from the grants above.
    assert {("/v1/wallet", "GET"), ("/v1/wallet/transactions", "GET"), ("/v1/rewards", "GET"), ("/v1/orders", "GET"),
            ("/v1/rewards/{reward_id}/redeem", "POST"), ("/v1/admin/rewards", "POST"),
            ("/v1/admin/rewards/{reward_id}", "PATCH"), ("/v1/admin/reports/coins", "GET")} == ledger_routes
    # The Mastodon face's searches and tag reads run where /v1's do (the search domain is in the VPC).
    assert {("/v1/search", "GET"), ("/v1/tags/{tag}/posts", "GET"), ("/v1/trends/tags", "GET"),
            ("/api/v2/search", "GET"), ("/api/v1/accounts/search", "GET"), ("/api/v1/timelines/tag/{hashtag}", "GET"),
            ("/api/v1/tags/{name}", "GET"), ("/api/v1/trends", "GET"), ("/api/v1/trends/tags", "GET")} == search_routes
    for name, routes in (("api_ledger", ledger_routes), ("api_search", search_routes),
                         ("api_handler", set(grants) - ledger_routes - search_routes)):
        planned = plan.function(name)
        assert (planned.handler, planned.trigger.kind) == ("app.app", "api")
        assert isinstance(planned.trigger, ApiTrigger) and set(planned.trigger.routes) == routes
        # The union of exactly its own routes' grants.
        assert set(planned.grants) == {g for route in routes for g in grants[route]}
        assert all(plan.route_function(path, method).name == name for path, method in routes)
    assert not plan.function("api_handler").resources("database")
    for source in app.event_sources:
        function = plan.function(source.name)
        assert function.handler == source.handler_string
        assert set(grants_of(app.handler_map[source.name])) <= set(function.grants)


def test_a_route_connecting_to_two_databases_is_refused() -> None:
    first, second = Database("first"), Database("second")
    manifest = Manifest(databases=(first, second))

    def register(app: Chalice) -> None:
        @app.route("/both")
        @uses(first.connect(), second.connect())
        def both() -> None: ...

    with pytest.raises(AppGraphError, match=r"GET /both .*\['first', 'second'\]"):
        plan_app(_app_with(register), manifest)


def test_routes_without_a_database_make_no_database_function_and_vice_versa() -> None:
    vault = Database("cold-vault")
    manifest = Manifest(databases=(vault,))

    def register(app: Chalice) -> None:
        @app.route("/vault")
        @uses(vault.connect())
        def open_vault() -> None: ...

    plan = plan_app(_app_with(register), manifest)
    assert [f.name for f in plan.apis] == ["api_cold_vault"]
    assert plan.route_function("/vault", "get").name == "api_cold_vault"
    with pytest.raises(KeyError, match="POST /vault"):
        plan.route_function("/vault", "POST")


def test_each_fixture_handler_becomes_one_function_with_its_trigger() -> None:
    plan = plan_app(fixture_app.app, fixture_app.MANIFEST)
    kinds = {f.name: (f.handler, f.trigger.kind) for f in plan.functions}
    assert kinds == {
        "work": ("app.work", "sqs"), "ingest": ("app.ingest", "s3"), "relay": ("app.relay", "sns"),
        "changed": ("app.changed", "dynamodb_stream"), "sweep": ("app.sweep", "schedule"),
        "api_handler": ("app.app", "api"), "api_vault": ("app.app", "api"),
        "websocket_connect": ("app.connect", "websocket"),
        "websocket_message": ("app.message", "websocket"), "websocket_disconnect": ("app.disconnect", "websocket"),
        "migrate_vault": ("app.migrate_vault", "none"),
        "process_upload": ("app.process_upload", "sqs"), "transcoded": ("app.transcoded", "event_pattern"),
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
        plan_app(app, Manifest(tables=(Table.of(fixture_app.AuditModel),)))
