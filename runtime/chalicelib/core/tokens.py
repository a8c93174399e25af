"""Verification of Cognito JWTs by the app itself.

Chalice's Cognito authorizer does not check signatures locally, so every
protected route verifies here: the RS256 signature against the pool's JWKS
(cached, refetched once for an unknown key id), the issuer, expiry,
``token_use``, and the app client (``client_id`` for access tokens, ``aud``
for id tokens).

Usage::

    verifier = TokenVerifier(jwks_url, issuer, client_id)
    principal = verifier.verify(token)   # raises Unauthorized / Unavailable
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chalicelib.auth.rules import federated_username
from chalicelib.core.errors import Unauthorized, Unavailable
from chalicelib.core.lazy import lazy_module

if TYPE_CHECKING:
    import jwt
else:
    jwt = lazy_module("jwt")  # PyJWT and cryptography: about 60 ms, paid by the first verified request


@dataclass(frozen=True)
class Principal:
    """Who is calling, as the verified token says."""

    user_id: str
    username: str
    groups: frozenset[str]
    token_use: str

    def in_group(self, group: str) -> bool:
        return group in self.groups


# Clocks drift: a token minted by a Cognito host a few seconds ahead of this one must pass
# (``iat``, ``nbf``), and one that expired a moment ago still does; minutes never do.
DEFAULT_LEEWAY_SECONDS = 5


class TokenVerifier:
    """Verifies access and id tokens of one user pool and one app client."""

    ALGORITHMS = ["RS256"]

    def __init__(self, jwks_url: str, issuer: str, client_id: str, *, cache_seconds: int = 3600,
                 leeway_seconds: int = DEFAULT_LEEWAY_SECONDS, timeout_seconds: int = 5,
                 refetch_cooldown_seconds: float = 30) -> None:
        self._issuer = issuer
        self._client_id = client_id
        self._leeway = leeway_seconds
        # An unknown key id refetches the set (keys rotate), but at most once per
        # cooldown, so tokens with made-up key ids cannot hammer the endpoint.
        self._jwks = jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=cache_seconds, timeout=timeout_seconds,
                                     cooldown_duration=refetch_cooldown_seconds)

    def verify(self, token: str) -> Principal:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.InvalidTokenError as exc:  # not a JWT, or a header PyJWT refuses (a kid that is no string)
            raise Unauthorized("invalid_token", "the token is not a JWT") from exc
        if not isinstance(kid, str) or not kid:  # PyJWT would hash or compare whatever the header holds
            raise Unauthorized("invalid_token", "the token names no signing key")
        try:
            key = self._jwks.get_signing_key(kid)
        except jwt.PyJWKClientConnectionError as exc:
            raise Unavailable("identity_unavailable", "the token keys cannot be fetched right now") from exc
        except (jwt.PyJWKClientError, jwt.DecodeError) as exc:
            raise Unauthorized("invalid_token", "the token is not signed by this user pool") from exc
        try:
            claims: dict[str, Any] = jwt.decode(
                token, key.key, algorithms=self.ALGORITHMS, issuer=self._issuer, leeway=self._leeway,
                options={"require": ["exp", "iat", "iss", "sub", "token_use"], "verify_aud": False},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("token_expired", "the token has expired") from exc
        except jwt.InvalidTokenError as exc:
            raise Unauthorized("invalid_token", f"the token is not valid: {exc}") from exc
        return self._principal(claims)

    def _principal(self, claims: dict[str, Any]) -> Principal:
        token_use = claims["token_use"]
        if token_use == "access":
            client, username = claims.get("client_id"), claims.get("username")
        elif token_use == "id":
            audience = claims.get("aud")
            client = audience[0] if isinstance(audience, list) and len(audience) == 1 else audience
            username = claims.get("cognito:username")
        else:
            raise Unauthorized("invalid_token", "only access and id tokens are accepted")
        if client != self._client_id:
            raise Unauthorized("invalid_token", "the token was issued to another app client")
        if not isinstance(username, str) or not username:
            raise Unauthorized("invalid_token", "the token names no user")
        groups = claims.get("cognito:groups", [])
        if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
            raise Unauthorized("invalid_token", "the token's groups are not a list of names")
        # Cognito names accounts made by sign-in with Google or Facebook 'Google_<id>': the API knows them
        # lower-cased, the one form its username rule allows (nobody else may register those prefixes).
        username = federated_username(username) or username
        subject = claims["sub"]
        if not isinstance(subject, str) or not subject:
            raise Unauthorized("invalid_token", "the token names no subject")
        return Principal(user_id=subject, username=username, groups=frozenset(groups),
                         token_use=token_use)
