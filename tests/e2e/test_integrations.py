"""Integration keys end to end on the local platform: an admin makes a key, a partner calls with it, the local
gateway meters it as API Gateway would (403 without a valid key, 429 over the quota), revoking it shuts it out;
and CORS for third-party origins, off unless configured."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from tests.e2e.conftest import RunningPlatform, User, register_and_login, start_platform
from tests.e2e.test_social import Api

ADMIN_PASSWORD = "Admin-pass-2026"
QUOTA = 4
PARTNER = "https://partner.example"


@pytest.fixture(scope="module")
def keyed() -> Iterator[RunningPlatform]:
    with start_platform(LOCAL_ADMIN_PASSWORD=ADMIN_PASSWORD, INTEGRATION_QUOTA_PER_DAY=str(QUOTA),
                        CORS_ORIGINS=f'["{PARTNER}"]') as running:
        yield running


def _admin(platform: RunningPlatform) -> Api:
    login = requests.post(platform.api("/auth/login"), json={"username": "admin", "password": ADMIN_PASSWORD},
                          timeout=10)
    assert login.status_code == 200, login.text
    return Api(platform, User("admin", ADMIN_PASSWORD, login.json()))


def _partner(platform: RunningPlatform, path: str, key: str | None) -> requests.Response:
    return requests.get(platform.api(path), headers={"X-API-Key": key} if key is not None else {}, timeout=10)


def test_an_admins_key_works_is_counted_runs_out_and_is_revoked(keyed: RunningPlatform) -> None:
    admin = _admin(keyed)
    author = Api(keyed, register_and_login(keyed, "author"))
    post = author.ok("POST", "/posts", 201, json={"content": "hello partners"})

    made = admin.ok("POST", "/admin/integrations", 201, json={"name": "Acme", "description": "orders sync"})
    assert made["name"] == "Acme" and made["description"] == "orders sync" and made["enabled"] is True
    assert made["created_at"] is not None
    assert made["quota"] == {"limit": QUOTA, "period": "DAY"}
    assert made["throttle"] == {"rate_limit": 10.0, "burst_limit": 20}
    key = made["key"]
    assert len(key) >= 20

    # The same answers as the app's own routes, with the key instead of a token.
    read = _partner(keyed, f"/integrations/posts/{post['id']}", key)
    assert read.status_code == 200, read.text
    assert read.json() == author.ok("GET", f"/posts/{post['id']}")
    profile = _partner(keyed, f"/integrations/users/{author.user.username}", key)
    assert profile.status_code == 200 and profile.json()["username"] == author.user.username
    assert _partner(keyed, "/integrations/posts/nope", key).status_code == 404  # counted too, as in AWS

    shown = admin.ok("GET", f"/admin/integrations/{made['id']}")
    assert "key" not in shown
    assert shown["usage"]["used"] == 3 and shown["usage"]["remaining"] == QUOTA - 3
    listed = admin.ok("GET", "/admin/integrations", params={"limit": 100})["items"]
    assert [i["name"] for i in listed if i["id"] == made["id"]] == ["Acme"]
    assert all("key" not in i for i in listed)

    assert _partner(keyed, f"/integrations/posts/{post['id']}", key).status_code == 200  # the 4th of 4
    over = _partner(keyed, f"/integrations/posts/{post['id']}", key)
    assert over.status_code == 429 and over.json()["error"]["code"] == "quota_exceeded"

    # Another key has its own quota.
    other = admin.ok("POST", "/admin/integrations", 201, json={"name": "Globex"})
    assert other["description"] is None
    assert _partner(keyed, f"/integrations/posts/{post['id']}", other["key"]).status_code == 200

    assert admin.call("DELETE", f"/admin/integrations/{other['id']}").status_code == 204
    revoked = _partner(keyed, f"/integrations/posts/{post['id']}", other["key"])
    assert revoked.status_code == 403 and revoked.json()["error"]["code"] == "invalid_api_key"
    assert admin.call("GET", f"/admin/integrations/{other['id']}").status_code == 404
    assert other["id"] not in [i["id"] for i in admin.ok("GET", "/admin/integrations", params={"limit": 100})["items"]]


def test_a_missing_or_wrong_key_is_refused_by_the_gateway(keyed: RunningPlatform) -> None:
    author = register_and_login(keyed, "keyless")
    for key in (None, "", "not-a-key-of-anyone-at-all"):
        refused = _partner(keyed, f"/integrations/users/{author.username}", key)
        assert refused.status_code == 403, refused.text
        assert refused.json()["error"]["code"] == "invalid_api_key"
    # A user's token is no key.
    with_token = requests.get(keyed.api(f"/integrations/users/{author.username}"), headers=author.headers, timeout=10)
    assert with_token.status_code == 403


def test_only_admins_manage_keys(keyed: RunningPlatform) -> None:
    someone = Api(keyed, register_and_login(keyed, "someone"))
    for method, path in (("POST", "/admin/integrations"), ("GET", "/admin/integrations"),
                         ("GET", "/admin/integrations/abc"), ("DELETE", "/admin/integrations/abc")):
        answer = someone.call(method, path, json={"name": "mine"} if method == "POST" else None)
        assert answer.status_code == 403, f"{method} {path}: {answer.text}"
        assert answer.json()["error"]["code"] == "admins_only"
    assert requests.get(keyed.api("/admin/integrations"), timeout=10).status_code == 401


def test_bad_input_is_a_422(keyed: RunningPlatform) -> None:
    admin = _admin(keyed)
    for body in ({}, {"name": ""}, {"name": "x" * 129}, {"name": "a", "extra": 1}, {"name": "two\nlines"}):
        assert admin.call("POST", "/admin/integrations", json=body).status_code == 422, body


def test_cors_for_a_configured_origin_only(keyed: RunningPlatform) -> None:
    health = keyed.api("/health")
    listed = requests.get(health, headers={"Origin": PARTNER}, timeout=10)
    assert listed.headers["Access-Control-Allow-Origin"] == PARTNER
    assert listed.headers["Vary"] == "Origin"
    other = requests.get(health, headers={"Origin": "https://evil.example"}, timeout=10)
    assert "Access-Control-Allow-Origin" not in other.headers

    preflight = requests.options(keyed.api("/posts"), timeout=10, headers={
        "Origin": PARTNER, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type,idempotency-key"})
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == PARTNER
    assert set(preflight.headers["Access-Control-Allow-Methods"].split(",")) == {"POST", "OPTIONS"}  # /posts has POST
    allowed = {h.lower() for h in preflight.headers["Access-Control-Allow-Headers"].split(",")}
    assert allowed >= {"authorization", "content-type", "idempotency-key", "x-api-key"}
    stranger = requests.options(keyed.api("/posts"), headers={"Origin": "https://evil.example"}, timeout=10)
    assert "Access-Control-Allow-Origin" not in stranger.headers


def test_no_cors_by_default(platform: RunningPlatform) -> None:
    answer = requests.get(platform.api("/health"), headers={"Origin": PARTNER}, timeout=10)
    assert answer.status_code == 200
    assert not [h for h in answer.headers if h.lower().startswith("access-control-")]
    preflight = requests.options(platform.api("/posts"), headers={
        "Origin": PARTNER, "Access-Control-Request-Method": "POST"}, timeout=10)
    assert preflight.status_code == 404
    assert not [h for h in preflight.headers if h.lower().startswith("access-control-")]
