"""OAuth for Mastodon clients: app registration, the sign-in and consent page, tokens and revocation.

Thin shells over ``chalicelib.mastodon.oauth``; the consent page is plain HTML with no script, style or
external asset, everything escaped, its own strict Content-Security-Policy, never cached or framed.
"""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

from pydantic import Field, field_validator

from chalicelib.core import errors
from chalicelib.core.declarations import uses
from chalicelib.core.lazy import lazy_module
from chalicelib.core.routes import Reply
from chalicelib.mastodon.errors import OAuthError, unprocessable
from chalicelib.mastodon.params import Params
from chalicelib.mastodon.routing import MastodonCall, MastodonRouter, authority
from chalicelib.resources import MASTODON_APPS, MASTODON_CODES, MASTODON_TOKENS, USER_POOL

if TYPE_CHECKING:
    import html
else:
    html = lazy_module("html")  # its entities table is 1 ms of a cold start: loaded by the first consent page

router = MastodonRouter(__name__)
OOB = "urn:ietf:wg:oauth:2.0:oob"
HTML = "text/html; charset=utf-8"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class AppParams(Params):
    client_name: str = Field(min_length=1, max_length=200)
    redirect_uris: str | list[str] = OOB
    scopes: str = "read"
    website: str | None = Field(default=None, max_length=2000)

    def uris(self) -> list[str]:
        given = self.redirect_uris if isinstance(self.redirect_uris, list) else self.redirect_uris.split("\n")
        return [uri.strip() for uri in given if uri.strip()][:10]


def _application(app: Any, secret: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"id": app.client_id[:16], "name": app.name, "website": app.website,
                            "scopes": sorted(app.scopes), "redirect_uri": "\n".join(app.redirect_uris),
                            "redirect_uris": list(app.redirect_uris), "vapid_key": ""}
    if secret is not None:
        body.update(client_id=app.client_id, client_secret=secret, client_secret_expires_at=0)
    return body


@router.route("/api/v1/apps", "POST", public=True)
@uses(MASTODON_APPS.write())
def create_app(call: MastodonCall[Any]) -> dict[str, Any]:
    """Register a client application: its client id and secret (shown once)."""
    try:
        params = AppParams.model_validate(call.params)
        app, secret = authority().register_app(params.client_name, params.uris(), params.scopes, params.website)
    except ValueError as exc:  # pydantic's ValidationError is one too
        raise unprocessable(str(exc).splitlines()[0]) from exc
    return _application(app, secret)


@router.route("/api/v1/apps/verify_credentials", "GET", user=False)
@uses(MASTODON_APPS.read())
def verify_app(call: MastodonCall[Any]) -> dict[str, Any]:
    """The application the token was issued to."""
    app = authority().app(call.client_id)
    if app is None:
        raise OAuthError("invalid_token", "The access token is invalid", 401)
    return _application(app)


class AuthorizeParams(Params):
    response_type: str = "code"
    client_id: str = Field(default="", max_length=200)
    redirect_uri: str = Field(default=OOB, max_length=2000)
    scope: str | None = Field(default=None, max_length=2000)
    state: str | None = Field(default=None, max_length=2000)
    code_challenge: str | None = Field(default=None, max_length=128)
    code_challenge_method: str | None = Field(default=None, max_length=10)
    username: str | None = Field(default=None, max_length=64)
    password: str | None = Field(default=None, max_length=256)
    decision: str = "allow"

    @field_validator("scope", mode="before")
    @classmethod
    def _join(cls, value: Any) -> Any:
        return " ".join(value) if isinstance(value, list) else value


_HIDDEN = ("response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge", "code_challenge_method")


def _page(title: str, content: str, *, status: int = 200, form_target: str | None = None) -> Reply:
    sources = "'self'" + (f" {form_target}" if form_target else "")
    document = (f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
                f'<meta name="viewport" content="width=device-width, initial-scale=1">'
                f"<title>{html.escape(title)}</title></head><body><main><h1>{html.escape(title)}</h1>"
                f"{content}</main></body></html>")
    headers = {**NO_STORE, "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer",
               "X-Content-Type-Options": "nosniff",
               "Content-Security-Policy": f"default-src 'none'; form-action {sources}; frame-ancestors 'none'; "
                                          "base-uri 'none'"}
    return Reply(document, status=status, headers=headers, media_type=HTML)


def _form_target(redirect_uri: str) -> str | None:
    """What the page's CSP must let the form lead to: the redirect's origin (or scheme, for app schemes)."""
    if redirect_uri == OOB:
        return None
    parts = urlsplit(redirect_uri)
    if parts.scheme in {"http", "https"}:
        return f"{parts.scheme}://{parts.netloc}"
    return f"{parts.scheme}:" if parts.scheme.isalnum() else None


def _consent(params: AuthorizeParams, app: Any, wanted: frozenset[str], problem: str | None = None,
             status: int = 200) -> Reply:
    hidden = "".join(f'<input type="hidden" name="{name}" value="{html.escape(str(getattr(params, name)))}">'
                     for name in _HIDDEN if getattr(params, name) is not None)
    scopes = "".join(f"<li>{html.escape(s)}</li>" for s in sorted(wanted))
    alert = f'<p role="alert">{html.escape(problem)}</p>' if problem else ""
    content = (f"<p><strong>{html.escape(app.name)}</strong> asks to use your account with these permissions:</p>"
               f"<ul>{scopes}</ul>{alert}<form method=\"post\" action=\"/oauth/authorize\">{hidden}"
               '<p><label>Username <input name="username" autocomplete="username" required></label></p>'
               '<p><label>Password <input name="password" type="password" autocomplete="current-password" '
               'required></label></p>'
               '<p><button type="submit" name="decision" value="allow">Sign in and authorize</button> '
               '<button type="submit" name="decision" value="deny" formnovalidate>Deny</button></p></form>')
    return _page("Authorize " + app.name, content, status=status, form_target=_form_target(params.redirect_uri))


def _checked(call: MastodonCall[Any]) -> tuple[AuthorizeParams, Any, frozenset[str]]:
    """The request's app, redirect URI and scopes, or an error page (never a redirect to an unchecked URI)."""
    try:
        params = AuthorizeParams.model_validate(call.params)
    except ValueError:
        raise _Refusal("The authorization request is malformed.") from None
    app = authority().app(params.client_id)
    if app is None:
        raise _Refusal("Client authentication failed due to unknown client.")
    if params.redirect_uri not in app.redirect_uris:
        raise _Refusal("The redirect uri included is not valid.")
    if params.response_type != "code":
        raise _Refusal("The authorization server does not support this response type.")
    try:
        wanted = authority().requested_scopes(app, params.scope)
    except OAuthError as exc:
        raise _Refusal(exc.description) from exc
    return params, app, wanted


class _Refusal(Exception):
    pass


def _refused(exc: _Refusal) -> Reply:
    return _page("Authorization failed", f'<p role="alert">{html.escape(str(exc))}</p>', status=400)


def _redirect(uri: str, query: dict[str, str | None]) -> Reply:
    pairs = [(k, v) for k, v in query.items() if v is not None]
    separator = "&" if urlsplit(uri).query else "?"
    return Reply(None, status=302, headers={**NO_STORE, "Location": uri + separator + urlencode(pairs)})


@router.route("/oauth/authorize", "GET", public=True)
@uses(MASTODON_APPS.read())
def authorize_page(call: MastodonCall[Any]) -> Reply:
    """The sign-in and consent page."""
    try:
        params, app, wanted = _checked(call)
    except _Refusal as exc:
        return _refused(exc)
    return _consent(params, app, wanted)


@router.route("/oauth/authorize", "POST", public=True)
@uses(MASTODON_APPS.read(), MASTODON_CODES.write(), USER_POOL.sign_up())
def authorize(call: MastodonCall[Any]) -> Reply:
    """Sign in (Cognito) and authorize: a redirect with the code, or the code shown for out-of-band apps."""
    try:
        params, app, wanted = _checked(call)
    except _Refusal as exc:
        return _refused(exc)
    if params.decision == "deny":
        if params.redirect_uri == OOB:
            return _page("Authorization denied", "<p>You denied the application access.</p>")
        return _redirect(params.redirect_uri, {"error": "access_denied", "state": params.state})
    if not params.username or not params.password:
        return _consent(params, app, wanted, "Enter your username and password.", status=422)
    try:
        user = authority().sign_in(params.username.lower(), params.password)
    except errors.Unauthorized as exc:
        problem = ("This account signs in with an authenticator code, which this page cannot take yet."
                   if exc.code == "challenge_required" else "Wrong username or password.")
        return _consent(params, app, wanted, problem, status=401)
    try:
        code = authority().authorize(app, params.redirect_uri, params.scope, user, params.code_challenge,
                                     params.code_challenge_method)
    except OAuthError as exc:
        return _refused(_Refusal(exc.description))
    if params.redirect_uri == OOB:
        return _page("Authorization code", "<p>Copy this code and paste it into the application:</p>"
                     f"<p><output><code>{html.escape(code)}</code></output></p>")
    return _redirect(params.redirect_uri, {"code": code, "state": params.state})


class TokenParams(Params):
    grant_type: str = Field(default="", max_length=50)
    client_id: str | None = Field(default=None, max_length=200)
    client_secret: str | None = Field(default=None, max_length=200)
    code: str | None = Field(default=None, max_length=200)
    redirect_uri: str | None = Field(default=None, max_length=2000)
    code_verifier: str | None = Field(default=None, max_length=200)
    username: str | None = Field(default=None, max_length=320)
    password: str | None = Field(default=None, max_length=256)
    refresh_token: str | None = Field(default=None, max_length=200)
    scope: str | None = Field(default=None, max_length=2000)
    token: str | None = Field(default=None, max_length=200)

    @field_validator("scope", mode="before")
    @classmethod
    def _join(cls, value: Any) -> Any:
        return " ".join(value) if isinstance(value, list) else value


def _token_params(call: MastodonCall[Any]) -> TokenParams:
    """The parameters, with the client's credentials from HTTP Basic if it sent them there (RFC 6749 2.3.1)."""
    try:
        params = TokenParams.model_validate(call.params)
    except ValueError as exc:
        raise OAuthError("invalid_request", "The request is missing a required parameter or is malformed.") from exc
    scheme, _, encoded = (call.header("authorization") or "").partition(" ")
    if scheme.lower() == "basic":
        try:
            client_id, _, secret = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise OAuthError("invalid_client", "The client credentials are malformed.", 401) from exc
        params = params.model_copy(update={"client_id": client_id, "client_secret": secret})
    return params


@router.route("/oauth/token", "POST", public=True)
@uses(MASTODON_APPS.read(), MASTODON_CODES.read_write(), MASTODON_TOKENS.read_write(), USER_POOL.sign_up())
def token(call: MastodonCall[Any]) -> Reply:
    """A token for an authorization code (with PKCE), a password, a refresh token, or the app itself."""
    p = _token_params(call)
    server = authority()
    if p.grant_type == "authorization_code":
        issued = server.code_grant(p.client_id, p.client_secret, p.code, p.redirect_uri, p.code_verifier)
    elif p.grant_type == "password":
        issued = server.password_grant(p.client_id, p.client_secret, (p.username or "").lower(), p.password, p.scope)
    elif p.grant_type == "refresh_token":
        issued = server.refresh_grant(p.client_id, p.client_secret, p.refresh_token)
    elif p.grant_type == "client_credentials":
        issued = server.client_grant(p.client_id, p.client_secret, p.scope)
    else:
        raise OAuthError("unsupported_grant_type",
                         "The authorization grant type is not supported by the authorization server.")
    return Reply(issued.body(), headers=NO_STORE)


@router.route("/oauth/revoke", "POST", public=True)
@uses(MASTODON_APPS.read(), MASTODON_TOKENS.read_write())
def revoke(call: MastodonCall[Any]) -> dict[str, Any]:
    """Revoke a token (RFC 7009): an unknown token is no error."""
    p = _token_params(call)
    authority().revoke(p.client_id, p.client_secret, p.token)
    return {}

