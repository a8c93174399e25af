"""The Mastodon face's route layer: every ``/api/v1``, ``/api/v2``, ``/oauth``, ``/.well-known`` and
``/nodeinfo`` route goes through ``MastodonRouter.route``.

It does for Mastodon clients what ``chalicelib.core.routes`` does for the contract, reusing its correlation
ids, body-size limit and idempotency store, with Mastodon's conventions:

- authentication by an opaque OAuth token (``chalicelib.mastodon.oauth``): a DynamoDB UpdateItem proves the
  token and counts requests in its 5-minute rate-limit window (300 requests), once per ``oauth.SYNC_EVERY``
  requests a process admits (or ``SYNC_SECONDS``), so a Mastodon route costs the DynamoDB calls of its ``/v1``
  twin. The contract's ``admit`` (a profile read proving the JWT's
  account owns its username) is not run: a Mastodon token was issued from a verified Cognito sign-in, records
  that account's ``sub``, and dies with its Cognito session (``Authority.admit`` refreshes it when Cognito's
  access token expires, and a refused refresh revokes the token).
- every authenticated answer carries ``X-RateLimit-Limit``, ``-Remaining`` and ``-Reset`` (ISO 8601); past
  the limit, 429 ``{"error": "Too many requests"}``.
- scopes: a route names the scope it needs (``chalicelib.mastodon.scopes``); 403 when the token lacks it.
- parameters from the query string, a form, JSON or multipart body alike (``chalicelib.mastodon.params``),
  validated against the route's pydantic model into ``call.params`` (422 when invalid, 400 when unreadable).
- errors as Mastodon writes them: ``{"error": "Record not found"}`` and the like (``MastodonError``); the
  ``/oauth`` routes raise ``oauth.OAuthError`` for RFC 6749 bodies.

Usage::

    router = MastodonRouter(__name__)

    class StatusesParams(Params):
        limit: int = Field(20, ge=1, le=40)
        max_id: str | None = None

    @router.route("/api/v1/accounts/{id}/statuses", "GET", scope="read:statuses", params=StatusesParams)
    @uses(POSTS.read())
    def statuses(call: MastodonCall[StatusesParams], id: str) -> Reply:
        page = ...
        return Reply(body=[...], headers=link_header(call, next_max_id=..., prev_min_id=...))

``public=True``: no token needed (a token that is sent is ignored). ``optional=True``: no token needed, but one
that is sent is proved, counted and scope-checked like any (a wrong one is a 401, as Mastodon answers), so the
answer can be the caller's (a status's ``favourited``). ``scope=None``: any valid token.
``user=False``: app tokens (``client_credentials``, no user) are accepted too; by default a route needs a user
(422 "This method requires an authenticated user", as Mastodon answers). A handler returns a pydantic model,
dict, list or None (JSON), or a ``chalicelib.core.routes.Reply`` for another status, headers (``Link``), a
redirect, or text with ``media_type`` (the consent page's HTML).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar
from urllib.parse import quote, urlencode

from chalice.app import Blueprint, Request, Response
from pydantic import BaseModel, ValidationError

from chalicelib.core import errors
from chalicelib.core.declarations import uses
from chalicelib.core.idempotency import answer_once, check_key, request_hash
from chalicelib.core.lazy import lazy_module
from chalicelib.core.logs import correlation, get_logger
from chalicelib.core.routes import (
    BODY_LIMIT_ATTRIBUTE,
    FACE_ATTRIBUTE,
    Reply,
    RequestIds,
    idempotency_store,
    request_ids,
    verify_token,
)
from chalicelib.core.settings import get_settings
from chalicelib.mastodon import scopes as scope_rules
from chalicelib.mastodon.errors import MastodonError, OAuthError, unprocessable
from chalicelib.mastodon.params import BadParams, Upload, collect, raw_body
from chalicelib.resources import MASTODON_TOKENS, USER_POOL

if TYPE_CHECKING:
    from chalicelib.auth import routes as auth_routes
    from chalicelib.core.tokens import Principal
    from chalicelib.mastodon import oauth, store
    from chalicelib.mastodon.oauth import Admission, Authority
else:
    auth_routes = lazy_module("chalicelib.auth.routes")
    oauth = lazy_module("chalicelib.mastodon.oauth")
    store = lazy_module("chalicelib.mastodon.store")

log = get_logger(__name__)

FACE = "mastodon"
# Set on each view: its ``MastodonRoute``, read by the face's OpenAPI document (``chalicelib.mastodon.openapi``).
SPEC_ATTRIBUTE = "__mastodon_route__"
P = TypeVar("P")
# What Mastodon clients send: forms above all (Mastodon.py), JSON, multipart for media.
CONTENT_TYPES = ("application/json", "application/x-www-form-urlencoded", "multipart/form-data")
_CORRELATION_HEADER = "X-Correlation-Id"
_REQUEST_ID_HEADER = "X-Request-Id"

@dataclass(frozen=True)
class MastodonCall(Generic[P]):
    """One request of the Mastodon face, as a handler sees it."""

    request: Request
    params: P
    admission: Admission | None
    correlation_id: str
    path_params: Mapping[str, str] = field(default_factory=dict)
    files: Mapping[str, Upload] = field(default_factory=dict)
    path: str = ""  # the route's path with this request's path parameters, e.g. /api/v1/accounts/ada/statuses

    @property
    def principal_or_none(self) -> Principal | None:
        return self.admission.token.principal if self.admission is not None else None

    @property
    def principal(self) -> Principal:
        """The signed-in user (routes with ``user=True``, the default, always have one)."""
        principal = self.principal_or_none
        if principal is None:
            raise MastodonError(401)
        return principal

    @property
    def client_id(self) -> str | None:
        return self.admission.token.client_id if self.admission is not None else None

    def header(self, name: str) -> str | None:
        value = self.request.headers.get(name.lower())
        return None if value is None else str(value)

    @property
    def base_url(self) -> str:
        """``https://host`` as the client reached us, for absolute URLs in entities and Link headers."""
        return base_url(self.request)


def base_url(request: Request) -> str:
    """``scheme://host`` the client used (``X-Forwarded-Host``/``-Proto`` first, as proxies set them)."""
    return base_url_from(request.headers)


def base_url_from(headers: Mapping[str, Any]) -> str:
    """``base_url`` from request headers whose ``get`` takes lower-case names (a WebSocket handshake's too)."""
    host = str(headers.get("x-forwarded-host") or headers.get("host") or "localhost")
    proto = str(headers.get("x-forwarded-proto") or ("http" if host.startswith(("127.", "localhost")) else "https"))
    return f"{proto.split(',')[0].strip()}://{host.split(',')[0].strip()}"


def link_header(call: MastodonCall[Any], *, next_max_id: str | None, prev_min_id: str | None,
                drop: tuple[str, ...] = ("max_id", "min_id", "since_id")) -> dict[str, str]:
    """Mastodon's pagination header for a page of a list: ``{"Link": '<..?max_id=N>; rel="next", <..?min_id=P>;
    rel="prev"'}`` (the request's other query parameters kept), or ``{}`` when neither is given.

    ``next_max_id``: the id of the page's last (oldest) item, when more may follow; ``prev_min_id``: the first's.
    """
    query = call.request.query_params
    kept = [(name, value) for name in query if name not in drop for value in query.getlist(name)] if query else []
    url = call.base_url + call.path
    links = []
    if next_max_id is not None:
        links.append(f'<{url}?{urlencode([*kept, ("max_id", next_max_id)])}>; rel="next"')
    if prev_min_id is not None:
        links.append(f'<{url}?{urlencode([*kept, ("min_id", prev_min_id)])}>; rel="prev"')
    return {"Link": ", ".join(links)} if links else {}


def rate_headers(admission: Admission) -> dict[str, str]:
    reset = datetime.fromtimestamp(admission.reset_at, UTC).isoformat(timespec="milliseconds")
    return {"X-RateLimit-Limit": str(admission.limit), "X-RateLimit-Remaining": str(admission.remaining),
            "X-RateLimit-Reset": reset.replace("+00:00", "Z")}


_authority: Authority | None = None


def authority() -> Authority:
    """The OAuth server over DynamoDB and Cognito; tests may swap in another (``use_authority``)."""
    global _authority
    if _authority is None:
        _authority = oauth.Authority(store.DynamoOAuthStore(), auth_routes.identity(), verify=verify_token)
    return _authority


def use_authority(replacement: Authority | None) -> None:
    global _authority
    _authority = replacement


def bearer(request: Request) -> str | None:
    header = str(request.headers.get("authorization") or "")
    scheme, _, token = header.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


@dataclass(frozen=True)
class MastodonRoute:
    """What a route of the face promises."""

    path: str
    method: str
    public: bool
    scope: str | tuple[str, ...] | None
    user: bool
    params: type[BaseModel] | None
    status: int
    idempotent: bool
    max_body_bytes: int | None
    optional: bool = False


class MastodonRouter:
    """A Chalice blueprint whose routes all go through the Mastodon face's route layer."""

    def __init__(self, import_name: str) -> None:
        self.blueprint = Blueprint(import_name)

    def route(self, path: str, method: str, *, scope: str | tuple[str, ...] | None = None, public: bool = False,
              user: bool = True, params: type[BaseModel] | None = None, status: int = 200, idempotent: bool = False,
              max_body_bytes: int | None = None, content_types: tuple[str, ...] = CONTENT_TYPES,
              optional: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Register ``handler(call: MastodonCall[params], **path_params)`` for ``method path``.

        ``scope``: the scope the token needs (or a tuple of alternatives); ``params``: the pydantic model of the
        merged parameters (``call.params``; None: an empty dict); ``idempotent``: honour ``Idempotency-Key``;
        ``max_body_bytes``: a larger body limit than the platform's (media uploads).
        """
        if scope is not None:
            for name in (scope,) if isinstance(scope, str) else scope:
                if name not in scope_rules.KNOWN:
                    raise ValueError(f"{method} {path}: unknown scope {name!r}")

        def register(handler: Callable[..., Any]) -> Callable[..., Any]:
            public_ = public or optional
            spec = MastodonRoute(path, method.upper(), public_, scope, user and not public_, params, status,
                                 idempotent, max_body_bytes, optional)
            if not public_ or optional:  # the token's UpdateItem, and Cognito's refresh of the session behind it
                uses(MASTODON_TOKENS.read_write(), USER_POOL.sign_up())(handler)
            view = _wrap(self.blueprint, handler, spec)
            self.blueprint.route(path, methods=[spec.method], content_types=list(content_types))(view)
            return handler

        return register


def _headers(ids: RequestIds, extra: Mapping[str, str]) -> dict[str, str | list[str]]:
    return {"Content-Type": "application/json; charset=utf-8", _CORRELATION_HEADER: ids.echoed,
            _REQUEST_ID_HEADER: ids.server, **extra}


def _json(body: Any) -> str:
    if body is None:
        return ""
    if isinstance(body, BaseModel):
        return body.model_dump_json()
    if isinstance(body, list):
        body = [item.model_dump(mode="json") if isinstance(item, BaseModel) else item for item in body]
    return json.dumps(body, separators=(",", ":"))


def error_response(error: MastodonError | OAuthError, ids: RequestIds, extra: Mapping[str, str] = {}) -> Response:
    return Response(body=json.dumps(error.body()), status_code=error.status, headers=_headers(ids, extra))


def render_chalice_error(error: errors.ApiError, request: Request) -> Response:
    """Chalice's own 405 and 415 on the face's routes, in Mastodon's words (``core.routes.install(faces=...)``)."""
    return error_response(MastodonError(error.status), request_ids(request))


def _wrap(blueprint: Blueprint, handler: Callable[..., Any], spec: MastodonRoute) -> Callable[..., Any]:
    @functools.wraps(handler)
    def view(**path_params: str) -> Response:
        request = blueprint.current_request
        ids = request_ids(request)
        admission: Admission | None = None
        with correlation(ids.server, caller=ids.caller):
            try:
                admission = _admit(request, spec)
                _check(admission, spec)
                status, text, headers = _serve(request, handler, spec, ids.server, path_params, admission)
            except (MastodonError, OAuthError) as error:
                return error_response(error, ids, rate_headers(admission) if admission else {})
            except errors.ApiError as error:
                if error.status >= 500:
                    log.warning("dependency failure", extra={"code": error.code, "path": spec.path})
                return error_response(MastodonError.of(error), ids, rate_headers(admission) if admission else {})
            except Exception:
                log.exception("unhandled error", extra={"route": f"{spec.method} {spec.path}"})
                return error_response(MastodonError(500, f"something went wrong on our side; reference {ids.server}"),
                                      ids)
            if admission is not None:
                headers = {**rate_headers(admission), **headers}
            return Response(body=text, status_code=status, headers=_headers(ids, headers))

    setattr(view, FACE_ATTRIBUTE, FACE)
    setattr(view, SPEC_ATTRIBUTE, spec)
    if spec.max_body_bytes is not None:
        setattr(view, BODY_LIMIT_ATTRIBUTE, spec.max_body_bytes)
    return view


def route_of(view: Callable[..., Any]) -> MastodonRoute | None:
    """The ``MastodonRoute`` a view of the face was registered with (None for any other view)."""
    spec = getattr(view, SPEC_ATTRIBUTE, None)
    return spec if isinstance(spec, MastodonRoute) else None


def _admit(request: Request, spec: MastodonRoute) -> Admission | None:
    """The caller's token, proved and counted (None on public routes); 401, 403, 422 or 429 otherwise."""
    token = bearer(request)
    if spec.public and not (spec.optional and token):
        return None
    admission = authority().admit(token) if token else None
    if admission is None:
        raise MastodonError(401)
    return admission


def _check(admission: Admission | None, spec: MastodonRoute) -> None:
    """Refuse an admitted token past its rate limit (429), without the route's scope (403), or without a user
    where the route needs one (422); the answer still carries the rate-limit headers."""
    if admission is None:
        return
    if admission.exceeded:
        raise MastodonError(429)
    if spec.scope is not None and not scope_rules.allows(admission.token.scopes, spec.scope):
        raise MastodonError(403)
    if spec.user and admission.token.user is None:
        raise MastodonError(422, "This method requires an authenticated user")


def _params(request: Request, spec: MastodonRoute) -> tuple[Any, Mapping[str, Upload]]:
    limit = spec.max_body_bytes or get_settings().max_body_bytes
    if len(raw_body(request)) > limit:
        raise MastodonError(413, f"the body exceeds {limit} bytes")
    try:
        values, files = collect(request)
    except BadParams as exc:
        raise MastodonError(400, str(exc)) from exc
    if spec.params is None:
        return values, files
    try:
        return spec.params.model_validate(values), files
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'params'} {e['msg'].lower()}"
                             for e in exc.errors(include_url=False, include_input=False))
        raise unprocessable(problems) from exc


def _serve(request: Request, handler: Callable[..., Any], spec: MastodonRoute, correlation_id: str,
           path_params: dict[str, str], admission: Admission | None) -> tuple[int, str, Mapping[str, str]]:
    params, files = _params(request, spec)
    path = spec.path
    for name, value in path_params.items():
        path = path.replace("{" + name + "}", quote(value, safe=""))
    call = MastodonCall(request, params, admission, correlation_id, path_params, files, path)
    key = request.headers.get("idempotency-key") if spec.idempotent else None
    if not key:
        return _answer(handler(call, **path_params), spec)
    principal = call.principal_or_none
    scoped = f"{principal.username if principal else '-'}|mastodon {spec.method} {spec.path}|{check_key(str(key))}"
    dumped = params.model_dump(mode="json") if isinstance(params, BaseModel) else params
    digest = request_hash(spec.method, str(path_params), dumped)
    answer, _ = answer_once(idempotency_store(), scoped, digest, lambda: _answer(handler(call, **path_params), spec))
    return answer


def _answer(result: Any, spec: MastodonRoute) -> tuple[int, str, Mapping[str, str]]:
    if isinstance(result, Reply):
        status = result.status or spec.status
        if result.media_type is not None:
            return status, str(result.body or ""), {**result.headers, "Content-Type": result.media_type}
        return status, _json(result.body), result.headers
    return spec.status, _json(result), {}
