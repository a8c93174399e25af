"""A signing key and a JWKS endpoint on loopback, to test token verification for real."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_TESTPOOL"
CLIENT_ID = "test-client"


@dataclass
class SigningKey:
    kid: str
    private: Any = field(default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048))

    def jwk(self) -> dict[str, Any]:
        document = json.loads(RSAAlgorithm.to_jwk(self.private.public_key()))
        document.update(kid=self.kid, alg="RS256", use="sig")
        return dict(document)

    def sign(self, claims: dict[str, Any], **headers: Any) -> str:
        return jwt.encode(claims, self.private, algorithm="RS256", headers={"kid": self.kid, **headers})


def access_claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {"sub": "sub-1", "iss": ISSUER, "client_id": CLIENT_ID, "token_use": "access", "username": "alice",
              "iat": now, "exp": now + 600, "cognito:groups": ["admins"]}
    claims.update(overrides)
    return claims


@dataclass
class JwksServer:
    url: str
    keys: list[SigningKey]
    fetches: int = 0


@contextmanager
def jwks_server(*keys: SigningKey) -> Iterator[JwksServer]:
    state = JwksServer(url="", keys=list(keys))

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.fetches += 1
            body = json.dumps({"keys": [k.jwk() for k in state.keys]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
