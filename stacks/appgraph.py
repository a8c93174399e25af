"""Walk a Chalice app into a plan of Lambda functions, like Chalice's own deployer does.

Pure: no Pulumi here. The components realise the plan; tests read it directly.
Like Chalice's ``ApplicationGraphBuilder``, one function per event source and pure
lambda, and ``websocket_connect`` / ``websocket_message`` / ``websocket_disconnect``
for WebSocket handlers. Unlike it, routes are grouped by what they declare, so that
each function holds only its own routes' rights: the routes that ``connect()`` to a
database run in ``api_<database>`` (in the VPC, see ``stacks/functions.py``), the other
routes that query the search domain (also in the VPC) in ``api_search``, every other
route in ``api_handler`` (outside it). All run the handler ``app.app``:
Chalice dispatches on the route, whichever function API Gateway invoked.
Logical names in the decorators (queue, bucket, topic, table) are resolved
against the manifest, and an undeclared one fails here, before any resource exists.

Usage::

    plan = plan_app(app, MANIFEST)
    for function in plan.functions:
        print(function.name, function.handler, function.trigger.kind, function.grants)
    plan.route_function("/v1/wallet", "GET").name  # 'api_ledger'
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from chalice.app import (
    Chalice,
    CloudWatchEventConfig,
    DynamoDBEventConfig,
    S3EventConfig,
    ScheduledEventConfig,
    ScheduleExpression,
    SNSEventConfig,
    SQSEventConfig,
)

from chalicelib.core.declarations import Bucket, Grant, Manifest, Queue, Resource, Table, Topic, grants_of

API_FUNCTION = "api_handler"
SEARCH_API_FUNCTION = "api_search"  # the search domain is in the VPC: its routes are, the rest of the API is not
API_HANDLER = "app.app"
WEBSOCKET_FUNCTIONS = {"$connect": "websocket_connect", "$disconnect": "websocket_disconnect",
                       "$default": "websocket_message"}


class AppGraphError(ValueError):
    """The app cannot be deployed as declared; the message names the handler and what to fix."""


class UndeclaredResourceError(AppGraphError, LookupError):
    """A decorator or grant names a logical resource the manifest does not declare."""


@dataclass(frozen=True)
class ApiTrigger:
    """API Gateway REST routes served by one function."""

    routes: tuple[tuple[str, str], ...]  # (path, METHOD)
    kind: Literal["api"] = field(default="api", init=False)


@dataclass(frozen=True)
class SqsTrigger:
    """An SQS event source mapping (batch size and window from the decorator)."""

    queue: Queue
    batch_size: int
    batching_window_seconds: int
    maximum_concurrency: int | None
    kind: Literal["sqs"] = field(default="sqs", init=False)


@dataclass(frozen=True)
class S3Trigger:
    """A bucket notification to the function."""

    bucket: Bucket
    events: tuple[str, ...]
    prefix: str | None
    suffix: str | None
    kind: Literal["s3"] = field(default="s3", init=False)


@dataclass(frozen=True)
class SnsTrigger:
    """A topic subscription of protocol ``lambda``."""

    topic: Topic
    kind: Literal["sns"] = field(default="sns", init=False)


@dataclass(frozen=True)
class StreamTrigger:
    """A DynamoDB stream event source mapping."""

    table: Table
    batch_size: int
    starting_position: str
    batching_window_seconds: int
    kind: Literal["dynamodb_stream"] = field(default="dynamodb_stream", init=False)


@dataclass(frozen=True)
class ScheduleTrigger:
    """An EventBridge rule on a schedule expression."""

    expression: str
    description: str
    kind: Literal["schedule"] = field(default="schedule", init=False)


@dataclass(frozen=True)
class EventPatternTrigger:
    """An EventBridge rule on an event pattern (``@app.on_cw_event``)."""

    pattern: str  # JSON
    kind: Literal["event_pattern"] = field(default="event_pattern", init=False)


@dataclass(frozen=True)
class WebSocketTrigger:
    """A route of the WebSocket API."""

    route_key: str
    kind: Literal["websocket"] = field(default="websocket", init=False)


# Services that invoke a function asynchronously: Lambda retries a failing event twice and then
# drops it, unless the function's on-failure destination takes it (Lambda Developer Guide,
# "Asynchronous invocation": retries 0-2, default 2; event age up to 6 hours).
ASYNC_TRIGGERS = (S3Trigger, SnsTrigger, ScheduleTrigger, EventPatternTrigger)


@dataclass(frozen=True)
class NoTrigger:
    """A pure Lambda function (``@app.lambda_function``): invoked directly."""

    kind: Literal["none"] = field(default="none", init=False)


Trigger = (ApiTrigger | SqsTrigger | S3Trigger | SnsTrigger | StreamTrigger | ScheduleTrigger | EventPatternTrigger
           | WebSocketTrigger | NoTrigger)


@dataclass(frozen=True)
class FunctionPlan:
    """One Lambda function to create: its name, handler string, trigger and grants."""

    name: str
    handler: str
    trigger: Trigger
    grants: tuple[Grant, ...]

    def resources(self, kind: str) -> tuple[Resource, ...]:
        """The distinct resources of ``kind`` this function touches (grants and trigger)."""
        found: dict[str, Resource] = {g.resource.name: g.resource for g in self.grants if g.resource.kind == kind}
        return tuple(found.values())


@dataclass(frozen=True)
class AppPlan:
    """Every function of the app, in Chalice's deployment order."""

    app_name: str
    functions: tuple[FunctionPlan, ...]

    def function(self, name: str) -> FunctionPlan:
        for function in self.functions:
            if function.name == name:
                return function
        raise KeyError(f"no function named {name!r}; the plan has {[f.name for f in self.functions]}")

    @property
    def apis(self) -> tuple[FunctionPlan, ...]:
        """The functions that serve routes (``api_handler`` and one ``api_<database>`` per database)."""
        return tuple(f for f in self.functions if f.trigger.kind == "api")

    @property
    def routes(self) -> dict[tuple[str, str], FunctionPlan]:
        """Every route, ``(path, METHOD)``, and the function that serves it."""
        return {route: f for f in self.functions if isinstance(f.trigger, ApiTrigger) for route in f.trigger.routes}

    def route_function(self, path: str, method: str) -> FunctionPlan:
        """The function that serves ``method path`` (``path`` as the app declares it, e.g. ``/v1/posts/{id}``)."""
        try:
            return self.routes[(path, method.upper())]
        except KeyError:
            raise KeyError(f"no function serves {method.upper()} {path}") from None

    @property
    def websocket(self) -> tuple[FunctionPlan, ...]:
        return tuple(f for f in self.functions if f.trigger.kind == "websocket")


def plan_app(app: Chalice, manifest: Manifest) -> AppPlan:
    """The functions ``app`` needs, with triggers resolved against ``manifest``.

    Raises ``UndeclaredResourceError`` for a logical name that is not declared and
    ``AppGraphError`` for an app feature the platform does not deploy.
    """
    functions: list[FunctionPlan] = []
    for pure in app.pure_lambda_functions:
        functions.append(_function(manifest, pure.name, pure.handler_string, NoTrigger(), grants_of(pure.func)))
    for source in app.event_sources:
        handler = app.handler_map[source.name]
        trigger = _trigger(manifest, source)
        implied = (trigger.queue.consume(),) if isinstance(trigger, SqsTrigger) else ()
        functions.append(_function(manifest, source.name, source.handler_string, trigger,
                                   (*grants_of(handler), *implied)))
    if app.builtin_auth_handlers:
        names = [auth.name for auth in app.builtin_auth_handlers]
        raise AppGraphError(f"custom authorizers {names} are not deployed: routes verify the Cognito JWT themselves")
    for name, (routes, grants) in _route_groups(app).items():
        functions.append(_function(manifest, name, API_HANDLER, ApiTrigger(routes), grants))
    for route_key, ws in app.websocket_handlers.items():
        if route_key not in WEBSOCKET_FUNCTIONS:
            raise AppGraphError(f"WebSocket route {route_key!r} of {ws.handler_string} is not supported")
        handler_function: Callable[..., Any] = app.handler_map.get(ws.name, ws.handler_function)
        functions.append(_function(manifest, WEBSOCKET_FUNCTIONS[route_key], ws.handler_string,
                                   WebSocketTrigger(route_key), grants_of(handler_function)))
    _check_user_pool_triggers(manifest, functions)
    _check_websocket_grants(functions)
    names = [f.name for f in functions]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise AppGraphError(f"function names {duplicates} are used twice; give the handlers distinct names")
    return AppPlan(app.app_name, tuple(functions))


def api_function_name(database: str) -> str:
    """The function that serves the routes connecting to ``database``: ``api_ledger`` for ``ledger``."""
    return f"api_{database.replace('-', '_')}"


def _route_groups(app: Chalice) -> dict[str, tuple[tuple[tuple[str, str], ...], tuple[Grant, ...]]]:
    """Function name -> (its routes, the union of their grants): by the database a route connects to, if any,
    else by whether it searches."""
    groups: dict[str, tuple[list[tuple[str, str]], list[Grant]]] = {}
    for path, methods in app.routes.items():
        for method, entry in methods.items():
            grants = grants_of(entry.view_function)
            databases = sorted({g.resource.name for g in grants if g.resource.kind == "database"
                                and g.access == "connect"})
            if len(databases) > 1:
                raise AppGraphError(f"route {method} {path} ({entry.view_name}) connects to databases {databases}; "
                                    "a function connects to one: split the route")
            searches = any(g.resource.kind == "search" for g in grants)
            name = (api_function_name(databases[0]) if databases
                    else SEARCH_API_FUNCTION if searches else API_FUNCTION)
            routes, union = groups.setdefault(name, ([], []))
            routes.append((path, method))
            union.extend(grants)
    # api_handler first, then the database and search functions in the order their first route appears.
    ordered = sorted(groups, key=lambda name: name != API_FUNCTION)
    return {name: (tuple(groups[name][0]), tuple(groups[name][1])) for name in ordered}


def _check_user_pool_triggers(manifest: Manifest, functions: list[FunctionPlan]) -> None:
    """A user pool trigger names a pure function of the app (a NoTrigger one: Cognito invokes it)."""
    pool = manifest.user_pool
    if pool is None or pool.pre_sign_up is None:
        return
    pure = sorted(f.name for f in functions if isinstance(f.trigger, NoTrigger))
    if pool.pre_sign_up not in pure:
        raise AppGraphError(f"user pool {pool.name!r} names pre_sign_up={pool.pre_sign_up!r}, which is no "
                            f"@lambda_function of the app (pure functions: {pure or 'none'})")


def _check_websocket_grants(functions: list[FunctionPlan]) -> None:
    """Managing connections needs the WebSocket API, which exists only when the app has ``on_ws_*`` handlers."""
    if any(isinstance(f.trigger, WebSocketTrigger) for f in functions):
        return
    managing = sorted(f.name for f in functions if f.resources("websocket"))
    if managing:
        raise AppGraphError(f"functions {managing} manage WebSocket connections, but the app has no on_ws_* "
                            "handler, so no WebSocket API is deployed")


def _function(manifest: Manifest, name: str, handler: str, trigger: Trigger, grants: Iterable[Grant]) -> FunctionPlan:
    unique = tuple(dict.fromkeys(grants))  # keep the declared order, drop repeats
    for grant in unique:
        _check_declared(manifest, grant.resource, f"handler {name!r} ({handler})")
    return FunctionPlan(name=name, handler=handler, trigger=trigger, grants=unique)


def _check_declared(manifest: Manifest, resource: Resource, who: str) -> None:
    if resource not in tuple(manifest.resources()):
        raise UndeclaredResourceError(
            f"{who} uses {resource.kind} {resource.name!r}, which the manifest does not declare; "
            f"add it to chalicelib/resources.py (MANIFEST)")


def _lookup(manifest: Manifest, kind: str, name: str | None, who: str) -> Any:
    finders: dict[str, Callable[[str], Resource]] = {
        "queue": manifest.queue, "bucket": manifest.bucket, "topic": manifest.topic, "table": manifest.table}
    if not name:
        raise AppGraphError(f"{who} must name its {kind} by the logical name declared in the manifest")
    try:
        return finders[kind](name)
    except LookupError:
        declared = sorted(r.name for r in manifest.resources() if r.kind == kind) or "none"
        raise UndeclaredResourceError(
            f"{who} is triggered by {kind} {name!r}, which the manifest does not declare "
            f"(declared {kind}s: {declared}); add it to chalicelib/resources.py (MANIFEST)") from None


def _trigger(manifest: Manifest, source: Any) -> Trigger:
    who = f"handler {source.name!r} ({source.handler_string})"
    if isinstance(source, SQSEventConfig):
        if source.queue_arn and not source.queue:
            raise AppGraphError(f"{who} names its queue by ARN; use the logical queue name declared in the manifest")
        return SqsTrigger(queue=_lookup(manifest, "queue", source.queue, who), batch_size=source.batch_size,
                          batching_window_seconds=source.maximum_batching_window_in_seconds,
                          maximum_concurrency=source.maximum_concurrency)
    if isinstance(source, S3EventConfig):
        return S3Trigger(bucket=_lookup(manifest, "bucket", source.bucket, who),
                         events=tuple(source.events or ("s3:ObjectCreated:*",)),
                         prefix=source.prefix or None, suffix=source.suffix or None)
    if isinstance(source, SNSEventConfig):
        return SnsTrigger(topic=_lookup(manifest, "topic", source.topic, who))
    if isinstance(source, DynamoDBEventConfig):
        table: Table = _lookup(manifest, "table", source.stream_arn, who)
        if table.stream is None:
            raise AppGraphError(f"{who} reads the stream of table {table.name!r}, which declares no stream; "
                                "declare Table(..., stream='NEW_AND_OLD_IMAGES')")
        return StreamTrigger(table=table, batch_size=source.batch_size, starting_position=source.starting_position,
                             batching_window_seconds=source.maximum_batching_window_in_seconds)
    if isinstance(source, ScheduledEventConfig):
        expression = source.schedule_expression
        text = expression.to_string() if isinstance(expression, ScheduleExpression) else expression
        return ScheduleTrigger(expression=text, description=source.description)
    if isinstance(source, CloudWatchEventConfig):
        return EventPatternTrigger(pattern=json.dumps(source.event_pattern, sort_keys=True))
    raise AppGraphError(f"{who}: {type(source).__name__} event sources are not deployed by this platform")
