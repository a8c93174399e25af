"""Every route of the real app that is not public refuses a request without a valid token."""

from __future__ import annotations

import json
import re

import pytest
from chalice.test import Client

from app import app
from chalicelib.core.routes import face_of, spec_of

PUBLIC = {("GET", "/v1/health"), ("GET", "/v1/openapi.json"), ("POST", "/v1/auth/register"),
          ("POST", "/v1/auth/confirm"), ("POST", "/v1/auth/login"), ("POST", "/v1/auth/refresh"),
          # A sign-in half done: the password was right, the session and a TOTP code finish it.
          ("POST", "/v1/auth/mfa/challenge"), ("POST", "/v1/auth/logout"),  # the access token may have expired
          # One-click unsubscribe from a mail: the signed token in the link is the credential (RFC 8058).
          ("GET", "/v1/notifications/unsubscribe"), ("POST", "/v1/notifications/unsubscribe"),
          # Partner routes: no user token, but API Gateway requires an integration key (X-API-Key) and meters it.
          ("GET", "/v1/integrations/posts/{post_id}"), ("GET", "/v1/integrations/users/{username}")}
KEYED = {("GET", "/v1/integrations/posts/{post_id}"), ("GET", "/v1/integrations/users/{username}")}
# The contract's routes; the Mastodon face's (face_of) answer in Mastodon's words (tests/unit/test_mastodon_*.py).
ROUTES = sorted((method, path) for path, methods in app.routes.items() for method, entry in methods.items()
                if face_of(entry.view_function) is None)


def test_exactly_the_intended_routes_are_public() -> None:
    public = {(m, p) for m, p in ROUTES if spec_of(app.routes[p][m].view_function).public}  # type: ignore[union-attr]
    assert public == PUBLIC
    assert {(m, p) for m, p in ROUTES if app.routes[p][m].api_key_required} == KEYED


@pytest.mark.parametrize(("method", "path"), [r for r in ROUTES if r not in PUBLIC])
@pytest.mark.parametrize("authorization", [None, "Bearer not-a-token", "Basic YTpi"])
def test_protected_routes_answer_401_without_a_valid_token(method: str, path: str, authorization: str | None) -> None:
    concrete = re.sub(r"{\w+}", "01JNQ0000000000000000000AA", path)
    headers = {"Content-Type": "application/json"}
    if authorization:
        headers["Authorization"] = authorization
    with Client(app) as client:
        response = client.http.request(method, concrete, body=b'{"content": "x"}', headers=headers)
    assert response.status_code == 401, (method, path, response.body)
    assert json.loads(response.body)["error"]["code"] in {"missing_token", "invalid_token"}
