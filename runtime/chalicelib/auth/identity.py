"""The identity provider port and its Cognito adapter.

The domain talks to ``IdentityProvider``; ``CognitoIdentity`` implements it
with boto3 and turns Cognito's exceptions into the contract's errors.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from chalicelib.core import errors
from chalicelib.core.logs import get_logger

log = get_logger(__name__)


@dataclass(frozen=True)
class Tokens:
    access_token: str
    id_token: str
    refresh_token: str
    expires_in: int


# The one challenge this API answers itself: a code from the authenticator app (TOTP, RFC 6238).
TOTP_CHALLENGE = "SOFTWARE_TOKEN_MFA"


@dataclass(frozen=True)
class Challenge:
    """Sign-in is half done: the password was right, Cognito now wants ``name`` answered within ``session``."""

    name: str
    session: str


class IdentityProvider(Protocol):
    def sign_up(self, username: str, email: str, password: str) -> str:
        """Create the account; return its stable user id (Cognito's ``sub``)."""

    def confirm(self, username: str, code: str) -> None: ...

    def admin_confirm(self, username: str) -> None: ...

    def delete(self, username: str) -> None:
        """Remove the account (undoing a sign-up whose registration failed)."""

    def login(self, username: str, password: str) -> Tokens | Challenge:
        """Tokens, or the challenge to answer first (``answer_totp``) for users with TOTP on."""

    def refresh(self, refresh_token: str) -> Tokens: ...

    def revoke(self, refresh_token: str) -> bool:
        """Sign out: the refresh token refreshes no more. Never raises; says whether it was revoked."""


# Cognito error code -> (our error class, code, message). Unknown users and bad
# passwords answer alike so that sign-in does not reveal which usernames exist.
_ERRORS: dict[str, tuple[type[errors.ApiError], str, str]] = {
    "UsernameExistsException": (errors.Conflict, "username_taken", "that username is taken"),
    "InvalidPasswordException": (errors.Unprocessable, "weak_password", "the password is too weak"),
    "NotAuthorizedException": (errors.Unauthorized, "invalid_credentials", "wrong username, password or token"),
    "UserNotFoundException": (errors.Unauthorized, "invalid_credentials", "wrong username, password or token"),
    "UserNotConfirmedException": (errors.Unauthorized, "user_not_confirmed", "confirm the account first"),
    "CodeMismatchException": (errors.Unprocessable, "invalid_code", "the confirmation code is wrong"),
    "ExpiredCodeException": (errors.Unprocessable, "expired_code", "the confirmation code has expired"),
    "InvalidParameterException": (errors.Unprocessable, "validation_failed", "the identity provider refused the input"),
    "TooManyRequestsException": (errors.Throttled, "throttled", "too many attempts; slow down"),
    "LimitExceededException": (errors.Throttled, "throttled", "too many attempts; slow down"),
    "TooManyFailedAttemptsException": (errors.Throttled, "throttled", "too many attempts; slow down"),
    # VerifySoftwareToken's answer to a wrong first code from the authenticator app.
    "EnableSoftwareTokenMFAException": (errors.Unprocessable, "invalid_code", "the code is wrong"),
}
# Answering a TOTP challenge or enrolling: a wrong code is the authenticator's code, and a session that
# is unknown or has expired (Cognito says NotAuthorized, moto ResourceNotFound) means signing in again.
_EXPIRED_SESSION = (errors.Unauthorized, "invalid_session", "the sign-in session has expired; sign in again")
_TOTP_ERRORS = {"CodeMismatchException": (errors.Unprocessable, "invalid_code", "the code is wrong")}
_SESSION_ERRORS = {**_TOTP_ERRORS, "NotAuthorizedException": _EXPIRED_SESSION,
                   "ResourceNotFoundException": _EXPIRED_SESSION}

# RevokeToken's refusals of the token itself (unknown, not a refresh token, another client's): the caller's
# mistake or an old token, not an outage. Those that mean our set-up is wrong (revocation off) stay errors.
_REFUSED_TOKEN = (errors.Unauthorized, "invalid_token", "the refresh token is not valid")
_REVOKE_ERRORS = {"UnauthorizedException": _REFUSED_TOKEN, "UnsupportedTokenTypeException": _REFUSED_TOKEN,
                  "NotAuthorizedException": _REFUSED_TOKEN}


class CognitoIdentity:
    """``IdentityProvider`` over a Cognito user pool and its public app client."""

    def __init__(self, pool_id: str, client_id: str, client: Any = None) -> None:
        if client is None:
            import boto3  # imported here: routes that never sign in never pay for it

            client = boto3.client("cognito-idp")
        self._pool_id = pool_id
        self._client_id = client_id
        self._cognito = client

    def _call(self, operation: str, _errors: Mapping[str, tuple[type[errors.ApiError], str, str]] | None = None,
              **params: Any) -> Any:
        from botocore.exceptions import ClientError, ParamValidationError

        known = {**_ERRORS, **(_errors or {})}
        try:
            return getattr(self._cognito, operation)(**params)
        except ParamValidationError as exc:  # botocore checks lengths and patterns before Cognito does
            raise errors.Unprocessable("validation_failed", "the identity provider refused the input") from exc
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in known:
                error_class, our_code, message = known[code]
                raise error_class(our_code, message) from exc
            log.error("identity provider failure", extra={"operation": operation, "aws_code": code})
            raise errors.Unavailable("identity_unavailable", "sign-in is unavailable; try again") from exc

    def sign_up(self, username: str, email: str, password: str) -> str:
        answer = self._call("sign_up", ClientId=self._client_id, Username=username, Password=password,
                            UserAttributes=[{"Name": "email", "Value": email}])
        return str(answer["UserSub"])

    def confirm(self, username: str, code: str) -> None:
        self._call("confirm_sign_up", ClientId=self._client_id, Username=username, ConfirmationCode=code)

    def admin_confirm(self, username: str) -> None:
        self._call("admin_confirm_sign_up", UserPoolId=self._pool_id, Username=username)

    def delete(self, username: str) -> None:
        self._call("admin_delete_user", UserPoolId=self._pool_id, Username=username)

    def login(self, username: str, password: str) -> Tokens | Challenge:
        answer = self._call("initiate_auth", ClientId=self._client_id, AuthFlow="USER_PASSWORD_AUTH",
                            AuthParameters={"USERNAME": username, "PASSWORD": password})
        if answer.get("ChallengeName") == TOTP_CHALLENGE:
            return Challenge(TOTP_CHALLENGE, str(answer["Session"]))
        return _tokens(answer, refresh_token=None)

    def answer_totp(self, username: str, session: str, code: str) -> Tokens:
        """Finish a sign-in that ``login`` answered with a TOTP challenge."""
        answer = self._call("respond_to_auth_challenge", _SESSION_ERRORS, ClientId=self._client_id,
                            ChallengeName=TOTP_CHALLENGE, Session=session,
                            ChallengeResponses={"USERNAME": username, "SOFTWARE_TOKEN_MFA_CODE": code})
        return _tokens(answer, refresh_token=None)

    def totp_secret(self, access_token: str) -> str:
        """A new TOTP secret for the token's user (base32), not in force until ``enable_totp``."""
        return str(self._call("associate_software_token", AccessToken=access_token)["SecretCode"])

    def enable_totp(self, access_token: str, code: str) -> None:
        """Check a first code against the new secret, make TOTP the user's sign-in challenge, and revoke every
        refresh token issued before: no session from before the second factor outlives its access token."""
        answer = self._call("verify_software_token", _TOTP_ERRORS, AccessToken=access_token, UserCode=code,
                            FriendlyDeviceName="authenticator")
        if answer.get("Status") != "SUCCESS":
            raise errors.Unprocessable("invalid_code", "the code is wrong")
        self._call("set_user_mfa_preference", AccessToken=access_token,
                   SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True})
        self._call("global_sign_out", AccessToken=access_token)

    def has_totp(self, username: str) -> bool:
        """Whether sign-in asks this user for an authenticator code."""
        answer = self._call("admin_get_user", UserPoolId=self._pool_id, Username=username)
        return TOTP_CHALLENGE in (answer.get("UserMFASettingList") or [])

    def refresh(self, refresh_token: str) -> Tokens:
        answer = self._call("initiate_auth", ClientId=self._client_id, AuthFlow="REFRESH_TOKEN_AUTH",
                            AuthParameters={"REFRESH_TOKEN": refresh_token})
        return _tokens(answer, refresh_token=refresh_token)

    def revoke(self, refresh_token: str) -> bool:
        """RevokeToken (the app client has token revocation on): the refresh token, and the access and id
        tokens issued from it, stop working for Cognito; our own JWT checks still accept those access tokens
        until they expire (at most an hour). Sign-out must never fail for the user, so a token Cognito refuses
        (unknown, malformed, another client's) or Cognito failing is logged, not raised.

        moto 5.2.5 does not implement RevokeToken; the local platform answers it (local/cognito_triggers.py)."""
        try:
            self._call("revoke_token", _REVOKE_ERRORS, Token=refresh_token, ClientId=self._client_id)
        except errors.Unavailable:  # _call has logged the AWS error code
            return False
        except errors.ApiError as refused:
            log.info("refresh token not revoked", extra={"code": refused.code})
            return False
        return True


def _tokens(answer: dict[str, Any], refresh_token: str | None) -> Tokens:
    result = answer.get("AuthenticationResult")
    if not result:  # a challenge (new password, MFA) that this API does not offer yet
        raise errors.Unauthorized("challenge_required", f"sign-in needs {answer.get('ChallengeName', 'a challenge')}")
    # Cognito rotates the refresh token only when rotation is on; otherwise the old one stays valid.
    return Tokens(access_token=result["AccessToken"], id_token=result["IdToken"],
                  refresh_token=result.get("RefreshToken") or refresh_token or "",
                  expires_in=int(result["ExpiresIn"]))
