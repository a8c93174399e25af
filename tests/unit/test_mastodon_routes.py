"""The Mastodon face's route layer through Chalice's test client, with the OAuth server on the in-memory store:
Mastodon's error bodies, scopes, rate-limit headers and 429, OAuth errors, the instance's shape."""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from chalice.test import Client

from app import app
from chalicelib.mastodon import instance_routes, routing
from chalicelib.mastodon.oauth import RATE_LIMIT, Authority, MemoryStore
from tests.unit.test_mastodon_oauth import Clock, FakeIdentity, _verify

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> Iterator[Client]:
    routing.use_authority(Authority(MemoryStore(), FakeIdentity(), verify=_verify, clock=Clock()))
    monkeypatch.setattr(instance_routes, "_stats", (time.monotonic(), {"user_count": 3, "status_count": 9,
                                                                       "domain_count": 0}))
    with Client(app) as test_client:
        yield test_client
    routing.use_authority(None)


def _post(client: Client, path: str, body: str, headers: dict[str, str] | None = None) -> Any:
    return client.http.post(path, body=body.encode(), headers={**FORM, **(headers or {})})


def _app(client: Client, scopes: str = "read write follow") -> dict[str, Any]:
    created = _post(client, "/api/v1/apps",
                    f"client_name=Tusky&redirect_uris=urn:ietf:wg:oauth:2.0:oob&scopes={scopes}")
    assert created.status_code == 200, created.body
    body: dict[str, Any] = json.loads(created.body)
    return body


def _token(client: Client, app_: dict[str, Any], scope: str = "read") -> str:
    answer = _post(client, "/oauth/token", f"grant_type=password&username=ada&password=Correct-horse-1&scope={scope}"
                   f"&client_id={app_['client_id']}&client_secret={app_['client_secret']}")
    assert answer.status_code == 200, answer.body
    return str(json.loads(answer.body)["access_token"])


def test_apps_answer_mastodons_application_entity(client: Client) -> None:
    body = _app(client)
    assert body["scopes"] == ["follow", "read", "write"] and body["redirect_uri"] == "urn:ietf:wg:oauth:2.0:oob"
    assert body["client_id"] and body["client_secret"] and "vapid_key" in body
    refused = _post(client, "/api/v1/apps", "client_name=x&redirect_uris=nope")
    assert refused.status_code == 422 and json.loads(refused.body)["error"].startswith("Validation failed: ")
    unknown = _post(client, "/api/v1/apps", "client_name=x&scopes=read+bogus")
    assert unknown.status_code == 422


def test_authenticated_answers_carry_the_rate_limit_and_the_limit_is_enforced(client: Client) -> None:
    token = _token(client, _app(client))
    headers = {"Authorization": f"Bearer {token}"}
    first = client.http.get("/api/v1/preferences", headers=headers)
    assert first.status_code == 200 and json.loads(first.body)["posting:default:visibility"] == "public"
    assert first.headers["X-RateLimit-Limit"] == "300" and first.headers["X-RateLimit-Remaining"] == "299"
    assert first.headers["X-RateLimit-Reset"].endswith("Z") and "T" in first.headers["X-RateLimit-Reset"]
    for _ in range(RATE_LIMIT - 1):
        client.http.get("/api/v1/preferences", headers=headers)
    over = client.http.get("/api/v1/preferences", headers=headers)
    assert (over.status_code, json.loads(over.body)) == (429, {"error": "Too many requests"})
    assert over.headers["X-RateLimit-Remaining"] == "0"


@pytest.mark.parametrize("authorization", [None, "Bearer made-up", "Basic YTpi"])
def test_no_valid_token_is_a_401_in_mastodons_words(client: Client, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    answer = client.http.get("/api/v1/accounts/verify_credentials", headers=headers)
    assert (answer.status_code, json.loads(answer.body)) == (401, {"error": "The access token is invalid"})
    assert "X-RateLimit-Limit" not in answer.headers


def test_a_token_without_the_routes_scope_is_a_403(client: Client) -> None:
    token = _token(client, _app(client), scope="write")
    answer = client.http.get("/api/v1/preferences", headers={"Authorization": f"Bearer {token}"})
    assert (answer.status_code, json.loads(answer.body)) == (
        403, {"error": "This action is outside the authorized scopes"})
    assert answer.headers["X-RateLimit-Remaining"] == "299"


def test_an_app_token_verifies_its_app_but_acts_as_nobody(client: Client) -> None:
    app_ = _app(client)
    answer = _post(client, "/oauth/token", f"grant_type=client_credentials&client_id={app_['client_id']}"
                   f"&client_secret={app_['client_secret']}")
    headers = {"Authorization": f"Bearer {json.loads(answer.body)['access_token']}"}
    verified = client.http.get("/api/v1/apps/verify_credentials", headers=headers)
    assert verified.status_code == 200 and json.loads(verified.body)["name"] == "Tusky"
    assert "client_secret" not in json.loads(verified.body)
    nobody = client.http.get("/api/v1/preferences", headers=headers)
    assert (nobody.status_code, json.loads(nobody.body)) == (
        422, {"error": "This method requires an authenticated user"})


def test_token_endpoint_errors_follow_rfc_6749(client: Client) -> None:
    app_ = _app(client)
    ident = f"client_id={app_['client_id']}"
    cases = [
        (f"grant_type=password&{ident}&client_secret=wrong&username=ada&password=Correct-horse-1", 401,
         "invalid_client"),
        (f"grant_type=password&{ident}&client_secret={app_['client_secret']}&username=ada&password=x", 400,
         "invalid_grant"),
        (f"grant_type=authorization_code&{ident}&client_secret={app_['client_secret']}&code=made-up"
         "&redirect_uri=urn:ietf:wg:oauth:2.0:oob", 400, "invalid_grant"),
        (f"grant_type=refresh_token&{ident}&client_secret={app_['client_secret']}&refresh_token=made-up", 400,
         "invalid_grant"),
        (f"grant_type=implicit&{ident}&client_secret={app_['client_secret']}", 400, "unsupported_grant_type"),
    ]
    for body, status, error in cases:
        answer = _post(client, "/oauth/token", body)
        assert (answer.status_code, json.loads(answer.body)["error"]) == (status, error), body
        assert json.loads(answer.body)["error_description"]


def test_client_credentials_may_come_by_http_basic(client: Client) -> None:
    app_ = _app(client)
    basic = base64.b64encode(f"{app_['client_id']}:{app_['client_secret']}".encode()).decode()
    answer = _post(client, "/oauth/token", "grant_type=client_credentials&scope=read",
                   {"Authorization": f"Basic {basic}"})
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    assert set(json.loads(answer.body)) == {"access_token", "token_type", "scope", "created_at"}


def test_the_consent_page_escapes_what_it_shows_and_refuses_unknown_redirects(client: Client) -> None:
    created = _post(client, "/api/v1/apps", "client_name=%3Cscript%3Ealert(1)%3C%2Fscript%3E"
                    "&redirect_uris=https%3A%2F%2Fclient.example%2Fcb")
    client_id = json.loads(created.body)["client_id"]
    page = client.http.get(f"/oauth/authorize?client_id={client_id}&response_type=code"
                           "&redirect_uri=https%3A%2F%2Fclient.example%2Fcb&state=%22%3E%3Cb%3E")
    text = page.body.decode()
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert "<script>" not in text and "&lt;script&gt;" in text and "<b>" not in text
    assert "form-action 'self' https://client.example" in page.headers["Content-Security-Policy"]
    elsewhere = client.http.get(f"/oauth/authorize?client_id={client_id}&response_type=code"
                                "&redirect_uri=https%3A%2F%2Fevil.example%2Fcb")
    assert elsewhere.status_code == 400 and "Location" not in elsewhere.headers


def test_signing_in_on_the_page_redirects_with_the_code_and_state(client: Client) -> None:
    created = _post(client, "/api/v1/apps", "client_name=x&redirect_uris=https%3A%2F%2Fclient.example%2Fcb")
    client_id = json.loads(created.body)["client_id"]
    form = (f"client_id={client_id}&response_type=code&redirect_uri=https%3A%2F%2Fclient.example%2Fcb&state=s1"
            "&username=ada")
    wrong = _post(client, "/oauth/authorize", form + "&password=nope")
    assert wrong.status_code == 401 and "Wrong username or password" in wrong.body.decode()
    right = _post(client, "/oauth/authorize", form + "&password=Correct-horse-1")
    assert right.status_code == 302 and right.headers["Location"].startswith("https://client.example/cb?code=")
    assert right.headers["Location"].endswith("&state=s1")
    denied = _post(client, "/oauth/authorize", form + "&decision=deny")
    assert denied.headers["Location"] == "https://client.example/cb?error=access_denied&state=s1"


def test_instance_and_nodeinfo_shapes(client: Client) -> None:
    v1 = json.loads(client.http.get("/api/v1/instance", headers={"Host": "social.example"}).body)
    assert v1["uri"] == "social.example" and v1["version"] == "4.3.0 (compatible; Social 1.0)"
    assert v1["urls"]["streaming_api"] == "wss://social.example" and v1["stats"]["user_count"] == 3
    assert v1["configuration"]["statuses"]["max_media_attachments"] == 4
    assert v1["configuration"]["polls"]["max_options"] == 0  # polls turned off
    assert "image/png" in v1["configuration"]["media_attachments"]["supported_mime_types"]
    v2 = json.loads(client.http.get("/api/v2/instance", headers={"Host": "social.example"}).body)
    assert v2["domain"] == "social.example" and v2["api_versions"] == {"mastodon": 2}
    assert v2["configuration"]["urls"]["streaming"] == "wss://social.example"
    links = json.loads(client.http.get("/.well-known/nodeinfo", headers={"Host": "social.example"}).body)
    assert links["links"][0]["href"] == "https://social.example/nodeinfo/2.0"
    nodeinfo = json.loads(client.http.get("/nodeinfo/2.0").body)
    assert nodeinfo["version"] == "2.0" and nodeinfo["usage"]["localPosts"] == 9
    assert json.loads(client.http.get("/api/v1/custom_emojis").body) == []
    metadata = json.loads(client.http.get("/.well-known/oauth-authorization-server").body)
    assert "password" in metadata["grant_types_supported"] and "S256" in metadata["code_challenge_methods_supported"]


def test_unreadable_bodies_and_unknown_methods_answer_in_mastodons_words(client: Client) -> None:
    broken = client.http.post("/api/v1/apps", body=b"{nope", headers={"Content-Type": "application/json"})
    assert broken.status_code == 400 and set(json.loads(broken.body)) == {"error"}
    wrong_method = client.http.delete("/api/v1/instance")
    assert wrong_method.status_code == 405 and set(json.loads(wrong_method.body)) == {"error"}
    wrong_type = client.http.post("/api/v1/apps", body=b"x", headers={"Content-Type": "text/plain"})
    assert wrong_type.status_code == 415 and set(json.loads(wrong_type.body)) == {"error"}


def test_the_link_header_pages_by_max_id_and_min_id_keeping_other_parameters() -> None:
    from tests.unit.test_mastodon_params import _request

    request = _request(b"", None, {"limit": ["5"], "max_id": ["90"], "only_media": ["true"]})
    request.headers = {"host": "social.example"}  # type: ignore[assignment]  # chalice keeps a case-insensitive dict
    call: routing.MastodonCall[dict[str, str]] = routing.MastodonCall(request, {}, None, "c",
                                                                     path="/api/v1/timelines/home")
    header = routing.link_header(call, next_max_id="42", prev_min_id="99")["Link"]
    assert header == ('<https://social.example/api/v1/timelines/home?limit=5&only_media=true&max_id=42>; rel="next", '
                      '<https://social.example/api/v1/timelines/home?limit=5&only_media=true&min_id=99>; rel="prev"')
    assert routing.link_header(call, next_max_id=None, prev_min_id=None) == {}


def test_an_out_of_band_app_is_shown_the_code_and_it_buys_a_token(client: Client) -> None:
    app_ = _app(client)
    form = (f"client_id={app_['client_id']}&response_type=code&redirect_uri=urn%3Aietf%3Awg%3Aoauth%3A2.0%3Aoob"
            "&scope=read&username=ada&password=Correct-horse-1")
    page = _post(client, "/oauth/authorize", form)
    assert page.status_code == 200 and "Location" not in page.headers
    [code] = re.findall(r"<code>([^<]+)</code>", page.body.decode())
    token = _post(client, "/oauth/token", f"grant_type=authorization_code&code={code}"
                  f"&redirect_uri=urn:ietf:wg:oauth:2.0:oob&client_id={app_['client_id']}"
                  f"&client_secret={app_['client_secret']}")
    assert token.status_code == 200 and json.loads(token.body)["scope"] == "read"
