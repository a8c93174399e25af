"""``/auth`` routes: thin shells over registration and the identity provider."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field

from chalicelib.auth.identity import CognitoIdentity, IdentityProvider, Tokens
from chalicelib.auth.registration import register as register_user
from chalicelib.core.declarations import uses
from chalicelib.core.routes import Call, Router
from chalicelib.core.schema import RequestBody, ResponseBody
from chalicelib.core.settings import get_settings
from chalicelib.resources import USER_POOL, USERS
from chalicelib.users.views import DisplayName, Profile

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


@lru_cache(maxsize=1)
def identity() -> IdentityProvider:
    settings = get_settings()
    return CognitoIdentity(settings.user_pool_id, settings.user_pool_client_id)


@router.route("/auth/register", "POST", public=True, body=RegisterRequest, response=Profile, status=201,
              errors=(409,))
@uses(USER_POOL.sign_up(), USER_POOL.confirm(), USER_POOL.delete_user(), USERS.read_write())
def register(call: Call[RegisterRequest]) -> Profile:
    """Create an account; on the local platform and preview stacks it is confirmed at once."""
    body = call.body
    user = register_user(identity(), USER_POOL.password_policy, username=body.username, email=body.email,
                         password=body.password, display_name=body.display_name,
                         auto_confirm=get_settings().auto_confirm)
    return Profile.of(user)


@router.route("/auth/confirm", "POST", public=True, body=ConfirmRequest, response=Confirmed)
@uses(USER_POOL.sign_up())
def confirm(call: Call[ConfirmRequest]) -> Confirmed:
    """Confirm an account with the code sent by email."""
    identity().confirm(call.body.username, call.body.code)
    return Confirmed(confirmed=True)


@router.route("/auth/login", "POST", public=True, body=LoginRequest, response=TokenPair)
@uses(USER_POOL.sign_up())
def login(call: Call[LoginRequest]) -> TokenPair:
    """Exchange a username and password for tokens."""
    return TokenPair.of(identity().login(call.body.username.lower(), call.body.password))


@router.route("/auth/refresh", "POST", public=True, body=RefreshRequest, response=TokenPair)
@uses(USER_POOL.sign_up())
def refresh(call: Call[RefreshRequest]) -> TokenPair:
    """Exchange a refresh token for new access and id tokens."""
    return TokenPair.of(identity().refresh(call.body.refresh_token))
