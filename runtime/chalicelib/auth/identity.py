"""The identity provider port and its Cognito adapter.

The domain talks to ``IdentityProvider``; ``CognitoIdentity`` implements it
with boto3 and turns Cognito's exceptions into the contract's errors.
"""

from __future__ import annotations

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


class IdentityProvider(Protocol):
    def sign_up(self, username: str, email: str, password: str) -> str:
        """Create the account; return its stable user id (Cognito's ``sub``)."""

    def confirm(self, username: str, code: str) -> None: ...

    def admin_confirm(self, username: str) -> None: ...

    def delete(self, username: str) -> None:
        """Remove the account (undoing a sign-up whose registration failed)."""

    def login(self, username: str, password: str) -> Tokens: ...

    def refresh(self, refresh_token: str) -> Tokens: ...


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
}


class CognitoIdentity:
    """``IdentityProvider`` over a Cognito user pool and its public app client."""

    def __init__(self, pool_id: str, client_id: str, client: Any = None) -> None:
        if client is None:
            import boto3  # imported here: routes that never sign in never pay for it

            client = boto3.client("cognito-idp")
        self._pool_id = pool_id
        self._client_id = client_id
        self._cognito = client

    def _call(self, operation: str, **params: Any) -> Any:
        from botocore.exceptions import ClientError, ParamValidationError

        try:
            return getattr(self._cognito, operation)(**params)
        except ParamValidationError as exc:  # botocore checks lengths and patterns before Cognito does
            raise errors.Unprocessable("validation_failed", "the identity provider refused the input") from exc
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in _ERRORS:
                error_class, our_code, message = _ERRORS[code]
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

    def login(self, username: str, password: str) -> Tokens:
        answer = self._call("initiate_auth", ClientId=self._client_id, AuthFlow="USER_PASSWORD_AUTH",
                            AuthParameters={"USERNAME": username, "PASSWORD": password})
        return _tokens(answer, refresh_token=None)

    def refresh(self, refresh_token: str) -> Tokens:
        answer = self._call("initiate_auth", ClientId=self._client_id, AuthFlow="REFRESH_TOKEN_AUTH",
                            AuthParameters={"REFRESH_TOKEN": refresh_token})
        return _tokens(answer, refresh_token=refresh_token)


def _tokens(answer: dict[str, Any], refresh_token: str | None) -> Tokens:
    result = answer.get("AuthenticationResult")
    if not result:  # a challenge (new password, MFA) that this API does not offer yet
        raise errors.Unauthorized("challenge_required", f"sign-in needs {answer.get('ChallengeName', 'a challenge')}")
    # Cognito rotates the refresh token only when rotation is on; otherwise the old one stays valid.
    return Tokens(access_token=result["AccessToken"], id_token=result["IdToken"],
                  refresh_token=result.get("RefreshToken") or refresh_token or "",
                  expires_in=int(result["ExpiresIn"]))
