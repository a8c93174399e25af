"""Cognito's pre-sign-up trigger on the local moto server, which stores a pool's triggers but never calls them,
and ``RevokeToken``, which moto (5.2.5) does not implement at all (its server answers 500).

A WSGI middleware in front of moto: for ``SignUp`` and ``AdminCreateUser``
requests to a pool whose ``LambdaConfig.PreSignUp`` names a registered
function, it calls that function with the event Cognito would send; if the
function raises, it answers as Cognito does (HTTP 400,
``UserLambdaValidationException``, "PreSignUp failed with error <message>.")
in moto's JSON error shape, and moto never sees the request.

``RevokeToken`` is answered here as Cognito answers it: the refresh token stops working (moto's own global
sign-out marks a revoked token ``None`` in ``pool.refresh_tokens``, and its refresh flow then refuses it with
"Refresh Token has been revoked"). A token issued to another app client is Cognito's ``UnauthorizedException``;
an unknown one succeeds, as Cognito does not say whether a token existed.

Usage::

    triggers = CognitoTriggers(moto_app)
    triggers.functions["social-local-pre_sign_up"] = lambda event: invoker.invoke("pre_sign_up", event)
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

from moto.cognitoidp.models import cognitoidp_backends

log = logging.getLogger("local.cognito")
REVOKE_TOKEN = "AWSCognitoIdentityProviderService.RevokeToken"

Function = Callable[[dict[str, Any]], Any]
_SOURCES = {"AWSCognitoIdentityProviderService.SignUp": "PreSignUp_SignUp",
            "AWSCognitoIdentityProviderService.AdminCreateUser": "PreSignUp_AdminCreateUser"}


def _pool(*, client_id: str | None = None, pool_id: str | None = None) -> tuple[str, Any] | None:
    """``(region, pool)`` of moto's pool with this app client or id, if any."""
    for regions in cognitoidp_backends.values():
        for region, backend in regions.items():
            for pool in backend.user_pools.values():
                if pool.id == pool_id or (client_id is not None and client_id in pool.clients):
                    return region, pool
    return None


def pre_sign_up_event(source: str, region: str, pool_id: str, request: dict[str, Any]) -> dict[str, Any]:
    """The event Cognito sends a pre-sign-up function (common fields, then the trigger's own)."""
    attributes = {a.get("Name"): a.get("Value") for a in request.get("UserAttributes") or [] if isinstance(a, dict)}
    validation = {a.get("Name"): a.get("Value") for a in request.get("ValidationData") or [] if isinstance(a, dict)}
    return {
        "version": "1",
        "region": region,
        "userPoolId": pool_id,
        "userName": request.get("Username"),
        "callerContext": {"awsSdkVersion": "local", "clientId": request.get("ClientId") or "CLIENT_ID_NOT_APPLICABLE"},
        "triggerSource": source,
        "request": {"userAttributes": attributes, "validationData": validation,
                    "clientMetadata": request.get("ClientMetadata") or {}},
        "response": {"autoConfirmUser": False, "autoVerifyEmail": False, "autoVerifyPhone": False},
    }


class CognitoTriggers:
    """WSGI middleware calling the pre-sign-up function of the pool a sign-up goes to."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.functions: dict[str, Function] = {}  # function name (the ARN's last part) -> callable

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("HTTP_X_AMZ_TARGET") == REVOKE_TOKEN:
            return self._revoke(environ, start_response)
        source = _SOURCES.get(environ.get("HTTP_X_AMZ_TARGET", ""))
        if source is None or not self.functions:
            return self.app(environ, start_response)
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)  # moto reads it again
        refusal = self._refusal(source, body)
        if refusal is None:
            return self.app(environ, start_response)
        document = json.dumps({"__type": "UserLambdaValidationException", "message": refusal}).encode()
        start_response("400 Bad Request", [("Content-Type", "application/x-amz-json-1.1"),
                                           ("x-amzn-ErrorType", "UserLambdaValidationException"),
                                           ("Content-Length", str(len(document)))])
        return [document]

    @staticmethod
    def _revoke(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        try:
            request = json.loads(body or b"{}")
        except ValueError:
            request = {}
        if not isinstance(request, dict):
            request = {}
        token, client_id = request.get("Token"), request.get("ClientId")
        status, document = "200 OK", b"{}"
        found = _pool(client_id=client_id) if isinstance(client_id, str) else None
        if not isinstance(token, str) or found is None:
            status = "400 Bad Request"
            document = json.dumps({"__type": "InvalidParameterException", "message": "Token and ClientId"}).encode()
        else:
            issued = found[1].refresh_tokens.get(token)
            if issued is not None and issued[0] != client_id:
                status = "400 Bad Request"
                document = json.dumps({"__type": "UnauthorizedException",
                                       "message": "the token was issued to another client"}).encode()
            elif issued is not None:
                found[1].refresh_tokens[token] = None
        start_response(status, [("Content-Type", "application/x-amz-json-1.1"), ("Content-Length", str(len(document)))])
        return [document]

    def _refusal(self, source: str, body: bytes) -> str | None:
        """Cognito's message if the pool's pre-sign-up function refuses the request, else None."""
        try:
            request = json.loads(body or b"{}")
        except ValueError:
            return None  # moto answers malformed requests itself
        if not isinstance(request, dict):
            return None
        found = _pool(client_id=request.get("ClientId"), pool_id=request.get("UserPoolId"))
        if found is None:
            return None
        region, pool = found
        arn = (pool.extended_config.get("LambdaConfig") or {}).get("PreSignUp")
        function = self.functions.get(str(arn).rpartition(":")[2]) if arn else None
        if function is None:
            return None
        try:
            function(pre_sign_up_event(source, region, pool.id, request))
        except Exception as error:  # what the function raised is what Cognito tells the caller
            return f"PreSignUp failed with error {error}."
        return None
