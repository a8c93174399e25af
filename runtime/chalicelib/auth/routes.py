"""``/auth`` routes: thin shells over registration and the identity provider."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from pydantic import Field

from chalicelib.core.declarations import uses
from chalicelib.core.errors import Unauthorized
from chalicelib.core.lazy import lazy_module
from chalicelib.core.routes import Call, Reply, Router
from chalicelib.core.schema import OneOf, RequestBody, ResponseBody
from chalicelib.core.settings import get_settings
from chalicelib.resources import USER_POOL, USERS
from chalicelib.users.views import DisplayName, Profile

if TYPE_CHECKING:
    from chalicelib.auth import identity as cognito
    from chalicelib.auth import registration
    from chalicelib.auth.identity import CognitoIdentity, Tokens
else:
    cognito = lazy_module("chalicelib.auth.identity")
    registration = lazy_module("chalicelib.auth.registration")

router = Router(__name__, tag="auth")


class RegisterRequest(RequestBody):
    username: str = Field(max_length=64)
    email: str = Field(max_length=320)
    password: str = Field(max_length=256)
    display_name: DisplayName | None = None


# Cognito refuses an empty username before any lookup: refuse it here, as a 422.
class ConfirmRequest(RequestBody):
    username: str = Field(min_length=1, max_length=64)
    code: str = Field(min_length=1, max_length=16)


class LoginRequest(RequestBody):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(max_length=256)


class RefreshRequest(RequestBody):
    refresh_token: str = Field(min_length=1, max_length=8192)


class TokenPair(ResponseBody):
    access_token: str
    id_token: str
    refresh_token: str
    expires_in: int

    @classmethod
    def of(cls, tokens: Tokens) -> TokenPair:
        return cls(access_token=tokens.access_token, id_token=tokens.id_token,
                   refresh_token=tokens.refresh_token, expires_in=tokens.expires_in)


class Confirmed(ResponseBody):
    confirmed: bool


class MfaChallenge(ResponseBody):
    """The password was right; send a code from the authenticator app to ``/auth/mfa/challenge``."""

    challenge: str
    session: str


LOGIN_ANSWER = OneOf("LoginAnswer", (TokenPair, MfaChallenge),
                     "Tokens, or for users with TOTP on, the challenge to answer first.")


Code = Field(min_length=6, max_length=6, pattern=r"^[0-9]{6}$")


class ChallengeAnswer(RequestBody):
    username: str = Field(min_length=1, max_length=64)
    session: str = Field(min_length=20, max_length=2048)
    code: str = Code


class TotpCode(RequestBody):
    code: str = Code


class TotpSecret(ResponseBody):
    """The new secret, as text and as the ``otpauth://`` URI authenticator apps read from a QR code."""

    secret: str
    otpauth_uri: str


class MfaStatus(ResponseBody):
    enabled: bool


# The name authenticator apps show beside the code.
TOTP_ISSUER = "Social"


def otpauth_uri(username: str, secret: str) -> str:
    """Key URI format (Google Authenticator's): 30-second, 6-digit, SHA-1 codes, as Cognito checks them."""
    label = quote(f"{TOTP_ISSUER}:{username}")
    return f"otpauth://totp/{label}?" + urlencode({"secret": secret, "issuer": TOTP_ISSUER})


def _access_token(call: Call[Any]) -> str:
    # Cognito's TOTP calls authenticate with the user's access token itself; the id token will not do.
    if call.principal.token_use != "access":
        raise Unauthorized("access_token_required", "send the access token, not the id token, for this route")
    return str(call.header("authorization")).partition(" ")[2].strip()


@lru_cache(maxsize=1)
def identity() -> CognitoIdentity:
    settings = get_settings()
    return cognito.CognitoIdentity(settings.user_pool_id, settings.user_pool_client_id)


@router.route("/auth/register", "POST", public=True, body=RegisterRequest, response=Profile, status=201,
              errors=(409,))
@uses(USER_POOL.sign_up(), USER_POOL.confirm(), USER_POOL.delete_user(), USERS.read_write())
def register(call: Call[RegisterRequest]) -> Profile:
    """Create an account; on the local platform and preview stacks it is confirmed at once."""
    body = call.body
    user = registration.register(identity(), USER_POOL.password_policy, username=body.username, email=body.email,
                         password=body.password, display_name=body.display_name,
                         auto_confirm=get_settings().auto_confirm)
    return Profile.of(user)


@router.route("/auth/confirm", "POST", public=True, body=ConfirmRequest, response=Confirmed)
@uses(USER_POOL.sign_up())
def confirm(call: Call[ConfirmRequest]) -> Confirmed:
    """Confirm an account with the code sent by email."""
    identity().confirm(call.body.username, call.body.code)
    return Confirmed(confirmed=True)


@router.route("/auth/login", "POST", public=True, body=LoginRequest, response=LOGIN_ANSWER)
@uses(USER_POOL.sign_up())
def login(call: Call[LoginRequest]) -> TokenPair | MfaChallenge:
    """Exchange a username and password for tokens, or for a TOTP challenge where the user turned TOTP on."""
    answer = identity().login(call.body.username.lower(), call.body.password)
    if isinstance(answer, cognito.Challenge):
        return MfaChallenge(challenge=answer.name, session=answer.session)
    return TokenPair.of(answer)


@router.route("/auth/mfa/challenge", "POST", public=True, body=ChallengeAnswer, response=TokenPair)
@uses(USER_POOL.sign_up())
def answer_challenge(call: Call[ChallengeAnswer]) -> TokenPair:
    """Finish a sign-in with the code from the authenticator app (401 when the session expired)."""
    body = call.body
    return TokenPair.of(identity().answer_totp(body.username.lower(), body.session, body.code))


@router.route("/auth/mfa/totp", "POST", response=TotpSecret, status=201)
@uses(USER_POOL.sign_up())
def start_totp(call: Call[None]) -> TotpSecret:
    """Start TOTP enrolment: a new secret for the authenticator app (not in force until verified)."""
    secret = identity().totp_secret(_access_token(call))
    return TotpSecret(secret=secret, otpauth_uri=otpauth_uri(call.principal.username, secret))


@router.route("/auth/mfa/totp/verify", "POST", body=TotpCode, response=MfaStatus)
@uses(USER_POOL.sign_up())
def verify_totp(call: Call[TotpCode]) -> MfaStatus:
    """Finish enrolment with a first code: from then on every sign-in asks for one; older sessions end."""
    identity().enable_totp(_access_token(call), call.body.code)
    return MfaStatus(enabled=True)


@router.route("/auth/refresh", "POST", public=True, body=RefreshRequest, response=TokenPair)
@uses(USER_POOL.sign_up())
def refresh(call: Call[RefreshRequest]) -> TokenPair:
    """Exchange a refresh token for new access and id tokens."""
    return TokenPair.of(identity().refresh(call.body.refresh_token))


@router.route("/auth/logout", "POST", public=True, body=RefreshRequest, status=204)
@uses(USER_POOL.sign_up())
def logout(call: Call[RefreshRequest]) -> Reply:
    """Sign out: the refresh token refreshes no more; 204 for any well-formed body, whatever the token.

    Public, since the access token may have expired; signing out never fails for the user."""
    identity().revoke(call.body.refresh_token)
    return Reply(None, status=204)
