"""The route layer: every API route goes through ``Router.route``.

It keeps handlers thin and the contract uniform. For each request it takes the
correlation id, refuses oversized bodies (413), verifies the bearer token
unless the route is public (401), parses JSON (400) and validates it against
the route's model (422), calls the handler with a typed ``Call``, and shapes
the answer; any ``ApiError`` becomes the contract's JSON error and anything
unexpected a 500 that leaks nothing but is logged with the correlation id.
The same metadata feeds the OpenAPI document.

Usage::

    router = Router(__name__, tag="users")

    @router.route("/users/me", "GET", response=Profile)
    def me(call: Call[None]) -> Profile:
        return profiles.get_or_create(call.principal)

``install(app)`` must run once on the app: it maps Chalice's own error
answers (405, 415) to the contract and refuses routes not made here.
"""

from __future__ import annotations

import functools
import json
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from chalice.app import Blueprint, Chalice, Request, Response
from pydantic import BaseModel, ValidationError

from chalicelib.core import errors
from chalicelib.core.declarations import Grant, uses
from chalicelib.core.idempotency import (
    DynamoIdempotencyStore,
    IdempotencyStore,
    answer_once,
    check_key,
    request_hash,
)
from chalicelib.core.logs import correlation, get_logger
from chalicelib.core.pagination import CURSOR_KEY, Page, cursor_codec, parse_limit
from chalicelib.core.settings import get_settings
from chalicelib.core.tokens import Principal, TokenVerifier

log = get_logger(__name__)

B = TypeVar("B")
SPEC_ATTRIBUTE = "__route_spec__"
ADMIT_ATTRIBUTE = "__route_admit__"
# Set on the views of another face's router (the Mastodon face: chalicelib.mastodon.routing), which does its own
# authentication and error bodies: ``install`` accepts them, gives them no ``admit``, and the OpenAPI document of
# the contract leaves them out.
FACE_ATTRIBUTE = "__route_face__"
# A larger body limit than the platform's, set on a view that takes uploads (the Mastodon face's media).
BODY_LIMIT_ATTRIBUTE = "__route_body_limit__"
# Renders Chalice's own errors (405, 415) for one face's routes.
ErrorRenderer = Callable[[errors.ApiError, Request], Response]
# Checks a verified principal against the app's own records (raises ApiError to refuse it).
Admit = Callable[[Principal], None]
_CORRELATION_HEADER = "X-Correlation-Id"
_REQUEST_ID_HEADER = "X-Request-Id"
_SAFE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


@dataclass(frozen=True)
class RouteSpec:
    """What a route promises: read by the wrapper and by the OpenAPI generator."""

    path: str
    method: str
    tag: str
    summary: str
    public: bool
    body: type[BaseModel] | None
    response: Any  # a pydantic model class, or a parametrised one such as Page[Post]
    status: int
    errors: tuple[int, ...]
    idempotent: bool = False
    query: tuple[QueryParam, ...] = ()
    produces: tuple[str, ...] = ()  # media types besides JSON the route may answer with (``Reply.media_type``)
    api_key: bool = False  # API Gateway requires and meters an X-API-Key on it (chalicelib.integrations)


@dataclass(frozen=True)
class QueryParam:
    """A query parameter a route reads, as the OpenAPI document describes it (``schema``: JSON Schema)."""

    name: str
    description: str
    schema: Mapping[str, Any] = field(default_factory=lambda: {"type": "string"})
    required: bool = False


# Every list reads these (``Call.page_request``): declared for each route whose answer is a ``Page``.
PAGE_QUERY = (
    QueryParam("limit", "items per page", {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}),
    QueryParam("cursor", "the previous page's next_cursor; absent for the first page"),
)


@dataclass(frozen=True)
class Call(Generic[B]):
    """One validated request, as a handler sees it."""

    request: Request
    body: B
    principal_or_none: Principal | None
    correlation_id: str
    path_params: Mapping[str, str] = field(default_factory=dict)

    @property
    def principal(self) -> Principal:
        if self.principal_or_none is None:  # only public routes get here without one
            raise errors.Unauthorized("missing_token", "this route needs a bearer token")
        return self.principal_or_none

    def header(self, name: str) -> str | None:
        value = self.request.headers.get(name.lower())
        return None if value is None else str(value)

    def page_request(self, scope: str) -> tuple[int, dict[str, Any]]:
        """The list's ``limit`` (1-100, default 20) and the position its signed ``cursor`` carries ({} at first)."""
        return parse_limit(self.query("limit")), cursor_codec().decode(scope, self.query("cursor")) or {}

    def query(self, name: str) -> str | None:
        params: Mapping[str, str] = self.request.query_params or {}
        value = params.get(name)
        return None if value is None else str(value)


@dataclass(frozen=True)
class Reply:
    """An answer with a status or headers other than the route's default.

    With ``media_type`` (one of the route's ``produces``), ``body`` is text sent as it is, with that
    Content-Type: a CSV export, say.
    """

    body: Any
    status: int | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    media_type: str | None = None


@functools.lru_cache(maxsize=1)
def _verifier() -> TokenVerifier:
    settings = get_settings()
    return TokenVerifier(settings.jwks_url, settings.token_issuer, settings.user_pool_client_id,
                         cache_seconds=settings.jwks_cache_seconds)


def authenticate(request: Request) -> Principal:
    """The caller's verified identity, from ``Authorization: Bearer <token>``."""
    header = request.headers.get("authorization")
    if not header:
        raise errors.Unauthorized("missing_token", "this route needs a bearer token")
    scheme, _, token = str(header).partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise errors.Unauthorized("invalid_token", "the Authorization header must be 'Bearer <token>'")
    return verify_token(token.strip())


def verify_token(token: str) -> Principal:
    """The identity a bearer token proves, by the same verification as every route (the WebSocket's too)."""
    return _verifier().verify(token)


@dataclass(frozen=True)
class RequestIds:
    """The server's id of a request (API Gateway's ``requestId``), and the caller's own, if safe to echo."""

    server: str
    caller: str | None

    @property
    def echoed(self) -> str:
        """What ``X-Correlation-Id`` answers: the caller's id back to them, else ours."""
        return self.caller or self.server


def request_ids(request: Request | None) -> RequestIds:
    """The request's ids (each face's router answers with them)."""
    context = (request.context if request is not None else None) or {}
    server = str(context.get("requestId") or uuid.uuid4())
    supplied = request.headers.get(_CORRELATION_HEADER.lower()) if request is not None else None
    # Only a whole-string match: a caller's id goes into response headers and log fields.
    caller = str(supplied) if supplied and _SAFE_ID.fullmatch(str(supplied)) else None
    return RequestIds(server, caller)


def _raw_body(request: Request) -> bytes:
    raw = request.raw_body
    return raw if isinstance(raw, bytes) else (raw or "").encode()


def parse_body(request: Request, model: type[BaseModel]) -> BaseModel:
    """The request body validated against ``model`` (400 malformed, 415, 422 invalid)."""
    raw = _raw_body(request)
    content_type = str(request.headers.get("content-type") or "application/json")
    if raw and not content_type.split(";")[0].strip().lower().endswith("json"):
        raise errors.UnsupportedMediaType("unsupported_media_type", "send the body as application/json")
    if not raw.strip():
        raise errors.BadRequest("missing_body", "this route needs a JSON body")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise errors.BadRequest("malformed_json", "the body is not valid JSON") from exc
    except RecursionError as exc:  # [[[[...]]]] deeper than the parser's stack
        raise errors.BadRequest("malformed_json", "the body is nested too deeply") from exc
    if not isinstance(data, dict):
        raise errors.Unprocessable("validation_failed", "the body must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise errors.Unprocessable("validation_failed", "the body is not valid", details=field_errors(exc)) from exc


def field_errors(exc: ValidationError) -> list[dict[str, str]]:
    """Pydantic's errors as ``[{"field": "a.b", "problem": "..."}]``, without echoing input."""
    return [{"field": ".".join(str(part) for part in e["loc"]) or "(body)", "problem": e["msg"]}
            for e in exc.errors(include_url=False, include_input=False)]


def _render(body: Any, status: int) -> str:
    if status == 204 or body is None:
        return ""
    if isinstance(body, BaseModel):
        body = body.model_dump(mode="json")
    return json.dumps(body, separators=(",", ":"))


def _response(text: str, status: int, ids: RequestIds, headers: Mapping[str, str] = {}) -> Response:
    all_headers: dict[str, str | list[str]] = {
        "Content-Type": "application/json", _CORRELATION_HEADER: ids.echoed, _REQUEST_ID_HEADER: ids.server,
        **headers}
    return Response(body=text, status_code=status, headers=all_headers)


def error_response(error: errors.ApiError, ids: RequestIds) -> Response:
    return _response(_render(error.body(), error.status), error.status, ids)


_store: IdempotencyStore | None = None


def idempotency_store() -> IdempotencyStore:
    """The store of ``Idempotency-Key`` answers; tests may swap in ``MemoryIdempotencyStore``."""
    global _store
    if _store is None:
        _store = DynamoIdempotencyStore()
    return _store


def use_idempotency_store(store: IdempotencyStore | None) -> None:
    global _store
    _store = store


class Router:
    """A Chalice blueprint whose routes all go through the contract's route layer."""

    DEFAULT_ERRORS = (400, 401, 413, 422)

    def __init__(self, import_name: str, tag: str) -> None:
        self.blueprint = Blueprint(import_name)
        self.tag = tag

    def route(self, path: str, method: str, *, public: bool = False, body: type[BaseModel] | None = None,
              response: Any = None, status: int = 200, summary: str = "", errors: tuple[int, ...] = (),
              idempotent: bool = False, content_types: tuple[str, ...] = ("application/json",),
              query: tuple[QueryParam, ...] = (), produces: tuple[str, ...] = (), api_key: bool = False,
              ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Register ``handler`` for ``method path``; ``idempotent`` honours ``Idempotency-Key``.

        ``content_types``: what Chalice lets through (anything else is a 415); routes with a ``body``
        still parse JSON only. ``query``: the query parameters the handler reads besides a list's
        ``limit`` and ``cursor`` (declared for every ``Page`` answer). ``produces``: text media types
        the handler may answer with besides JSON (``Reply(text, media_type=...)``). ``api_key``: API
        Gateway answers 403 without a valid ``X-API-Key`` and meters each call against the key's usage plan
        (Chalice's ``api_key_required``, which its Swagger renders as the method's ``apiKeyRequired``).
        """

        def register(handler: Callable[..., Any]) -> Callable[..., Any]:
            extra = {409, 422} if idempotent else set()
            declared = tuple(sorted(set(errors) | extra | set(self.DEFAULT_ERRORS) - ({401} if public else set())))
            spec = RouteSpec(path=path, method=method.upper(), tag=self.tag,
                             summary=summary or (handler.__doc__ or "").strip().split("\n")[0],
                             public=public, body=body, response=response, status=status, errors=declared,
                             idempotent=idempotent, query=(*(PAGE_QUERY if _paginates(response) else ()), *query),
                             produces=produces, api_key=api_key)
            if _paginates(response):
                # Lists sign and check cursors with the cursor-key secret: the grant follows the answer's type.
                uses(CURSOR_KEY.read())(handler)
            view = _wrap(self.blueprint, handler, spec)
            self.blueprint.route(path, methods=[spec.method], content_types=list(content_types),
                                 api_key_required=api_key)(view)
            return handler

        return register


def _paginates(response: Any) -> bool:
    return isinstance(response, type) and issubclass(response, Page)


def _wrap(blueprint: Blueprint, handler: Callable[..., Any], spec: RouteSpec) -> Callable[..., Any]:
    @functools.wraps(handler)
    def view(**path_params: str) -> Response:
        request = blueprint.current_request
        ids = request_ids(request)
        with correlation(ids.server, caller=ids.caller):
            try:
                status, text, headers = _serve(request, handler, spec, ids.server, path_params,
                                               getattr(view, ADMIT_ATTRIBUTE, None))
            except errors.ApiError as error:
                if error.status >= 500:
                    log.warning("dependency failure", extra={"code": error.code, "path": spec.path})
                return error_response(error, ids)
            except Exception:
                log.exception("unhandled error", extra={"route": f"{spec.method} {spec.path}"})
                return error_response(errors.ApiError(
                    "internal_error", f"something went wrong on our side; reference {ids.server}"), ids)
            return _response(text, status, ids, headers)

    setattr(view, SPEC_ATTRIBUTE, spec)
    return view


def _serve(request: Request, handler: Callable[..., Any], spec: RouteSpec, correlation_id: str,
           path_params: dict[str, str], admit: Admit | None) -> tuple[int, str, Mapping[str, str]]:
    """Checks, then the handler, then the rendered answer: ``(status, body text, headers)``."""
    limit = get_settings().max_body_bytes
    if len(_raw_body(request)) > limit:
        raise errors.PayloadTooLarge("payload_too_large", f"the body exceeds {limit} bytes")
    principal = None if spec.public else authenticate(request)
    if principal is not None and admit is not None:
        admit(principal)
    parsed = parse_body(request, spec.body) if spec.body is not None else None
    call = Call(request, parsed, principal, correlation_id, path_params)
    key = request.headers.get("idempotency-key") if spec.idempotent else None
    if not key:
        return _answer(handler(call, **path_params), spec)
    scoped = f"{principal.username if principal else '-'}|{spec.method} {spec.path}|{check_key(str(key))}"
    digest = request_hash(spec.method, str(path_params), parsed.model_dump(mode="json") if parsed else None)
    (status, text, headers), replayed = answer_once(idempotency_store(), scoped, digest,
                                                    lambda: _answer(handler(call, **path_params), spec))
    return status, text, {"Idempotent-Replayed": "true"} if replayed else headers


def _answer(result: Any, spec: RouteSpec) -> tuple[int, str, Mapping[str, str]]:
    if isinstance(result, Reply):
        status = result.status or spec.status
        if result.media_type is not None:
            if result.media_type not in spec.produces or not isinstance(result.body, str):
                raise TypeError(f"{spec.method} {spec.path} does not declare {result.media_type} text answers")
            return status, result.body, {**result.headers, "Content-Type": result.media_type}
        return status, _render(result.body, status), result.headers
    return spec.status, _render(result, spec.status), {}


def spec_of(view: Callable[..., Any]) -> RouteSpec | None:
    return getattr(view, SPEC_ATTRIBUTE, None)


def face_of(view: Callable[..., Any]) -> str | None:
    """The face (``"mastodon"``) whose router made the view; None for the contract's own routes."""
    return getattr(view, FACE_ATTRIBUTE, None)


def body_limit(view: Callable[..., Any]) -> int:
    """The largest request body ``view`` accepts: its own upload limit, else the platform's ``MAX_BODY_BYTES``."""
    own: int | None = getattr(view, BODY_LIMIT_ATTRIBUTE, None)
    return own or get_settings().max_body_bytes


def install(app: Chalice, *, admit: Admit | None = None, admit_uses: tuple[Grant, ...] = (),
            faces: Mapping[str, ErrorRenderer] | None = None) -> None:
    """Refuse routes that bypass the route layer, and map Chalice's own errors to the contract.

    ``admit`` runs after the token is verified on every authenticated route (the one place
    to refuse a valid token the app's records disown); ``admit_uses`` are the grants it needs,
    added to each of those routes. ``faces``: how each other face renders Chalice's own errors on its routes.
    """
    renderers = dict(faces or {})
    bare = [f"{m} {p}" for p, methods in app.routes.items() for m, e in methods.items()
            if spec_of(e.view_function) is None and face_of(e.view_function) not in renderers]
    if bare:
        raise RuntimeError(f"routes registered without Router.route: {', '.join(bare)}")
    face_of_path = {path: face for path, methods in app.routes.items() for entry in methods.values()
                    if (face := face_of(entry.view_function)) is not None}
    for methods in app.routes.values():
        for entry in methods.values():
            spec = spec_of(entry.view_function)
            if admit is not None and spec is not None and not spec.public:
                setattr(entry.view_function, ADMIT_ATTRIBUTE, admit)
                uses(*admit_uses)(entry.view_function)

    @app.middleware("http")
    def contract_errors(event: Request, get_response: Callable[[Request], Response]) -> Response:
        response = get_response(event)
        body = response.body
        if response.status_code >= 400 and isinstance(body, dict) and "Code" in body:
            error_class = errors.STATUS_CODES.get(response.status_code, errors.ApiError)
            code = re.sub(r"(?<!^)(?=[A-Z])", "_", str(body["Code"])).lower().removesuffix("_error")
            error = error_class(code, str(body.get("Message", "")))
            face = face_of_path.get(str(getattr(event, "path", "") or ""))
            if face is not None:
                return renderers[face](error, event)
            return error_response(error, request_ids(event))
        return response
