"""The route layer: every failure becomes the contract's JSON error with the right status."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from chalice.app import Chalice
from chalice.test import Client
from pydantic import Field

from chalicelib.core import errors
from chalicelib.core.idempotency import MemoryIdempotencyStore
from chalicelib.core.routes import Call, Reply, Router, install, use_idempotency_store
from chalicelib.core.schema import RequestBody
from chalicelib.core.settings import get_settings
from tests.unit.jwks import CLIENT_ID, ISSUER, JwksServer, SigningKey, access_claims, jwks_server

KEY = SigningKey("route-key")


class Note(RequestBody):
    text: str = Field(min_length=1, max_length=20)
    stars: int = 0


def make_app() -> Chalice:
    router = Router(__name__, tag="notes")

    @router.route("/notes", "POST", public=True, body=Note, status=201)
    def create(call: Call[Note]) -> dict[str, Any]:
        return {"text": call.body.text, "stars": call.body.stars}

    @router.route("/notes/{note_id}", "GET", public=True)
    def read(call: Call[None], note_id: str) -> dict[str, Any]:
        if note_id == "missing":
            raise errors.NotFound("note_not_found", "no such note")
        if note_id == "boom":
            raise RuntimeError("secret connection string postgres://admin:hunter2@db")
        return {"id": note_id}

    @router.route("/notes/{note_id}", "DELETE")
    def delete(call: Call[None], note_id: str) -> Reply:
        return Reply(None, status=204)

    created: list[str] = []

    @router.route("/orders", "POST", body=Note, status=201, idempotent=True)
    def order(call: Call[Note]) -> dict[str, Any]:
        if call.body.text == "fail":
            raise errors.Conflict("out_of_stock", "none left")
        created.append(call.body.text)
        return {"order": len(created), "text": call.body.text}

    @router.route("/whoami", "GET")
    def whoami(call: Call[None]) -> dict[str, Any]:
        return {"username": call.principal.username}

    @router.route("/notes.csv", "GET", public=True, produces=("text/csv",))
    def export(call: Call[None]) -> Reply:
        return Reply("text,stars\r\nhi,3\r\n", media_type="text/csv")

    @router.route("/notes.tsv", "GET", public=True)
    def undeclared(call: Call[None]) -> Reply:
        return Reply("text\tstars\r\n", media_type="text/tab-separated-values")

    app = Chalice(app_name="route-tests")
    app.register_blueprint(router.blueprint, url_prefix="/v1")
    install(app)
    return app


@pytest.fixture(scope="module")
def jwks() -> Iterator[JwksServer]:
    with jwks_server(KEY) as running:
        yield running


def serve(jwks: JwksServer, monkeypatch: pytest.MonkeyPatch, max_body_bytes: int) -> Iterator[Client]:
    """The test app behind Chalice's client, verifying tokens against ``jwks``, with a memory idempotency store."""
    monkeypatch.setenv("JWKS_URL", jwks.url)
    monkeypatch.setenv("TOKEN_ISSUER", ISSUER)
    monkeypatch.setenv("USER_POOL_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("MAX_BODY_BYTES", str(max_body_bytes))
    get_settings.cache_clear()
    from chalicelib.core import routes

    routes._verifier.cache_clear()
    use_idempotency_store(MemoryIdempotencyStore())
    with Client(make_app()) as test_client:
        yield test_client
    use_idempotency_store(None)
    get_settings.cache_clear()
    routes._verifier.cache_clear()


@pytest.fixture
def client(jwks: JwksServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Client]:
    yield from serve(jwks, monkeypatch, max_body_bytes=1024)


def post(client: Client, body: bytes | str, **headers: str) -> Any:
    return client.http.post("/v1/notes", body=body, headers={"Content-Type": "application/json", **headers})


def error_of(response: Any) -> dict[str, Any]:
    document = json.loads(response.body)
    assert set(document) == {"error"}
    assert {"code", "message"} <= set(document["error"])
    return dict(document["error"])


def test_a_valid_body_reaches_the_handler(client: Client) -> None:
    response = post(client, json.dumps({"text": "hi", "stars": 3}))
    assert response.status_code == 201
    assert json.loads(response.body) == {"text": "hi", "stars": 3}
    assert response.headers["X-Correlation-Id"]


@pytest.mark.parametrize("body", [b"{not json", b'{"text": "hi"', b"\xff\xfe"])
def test_malformed_json_is_a_400(client: Client, body: bytes) -> None:
    response = post(client, body)
    assert response.status_code == 400
    assert error_of(response)["code"] == "malformed_json"


def test_an_empty_body_is_a_400(client: Client) -> None:
    assert post(client, b"").status_code == 400


@pytest.mark.parametrize(("body", "field"), [
    ({"text": ""}, "text"),
    ({"text": "x" * 21}, "text"),
    ({"text": "hi", "stars": "3"}, "stars"),  # no coercion of strings to numbers
    ({"text": 5}, "text"),
    ({"text": "hi", "colour": "red"}, "colour"),  # unknown fields are refused
    ({}, "text"),
])
def test_invalid_bodies_are_a_422_naming_the_field(client: Client, body: dict[str, Any], field: str) -> None:
    response = post(client, json.dumps(body))
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "validation_failed"
    assert field in {detail["field"] for detail in error["details"]}


@pytest.mark.parametrize("body", ["[1, 2]", '"text"', "42", "null"])
def test_a_body_that_is_not_an_object_is_a_422(client: Client, body: str) -> None:
    assert post(client, body).status_code == 422


def test_an_oversized_body_is_a_413(client: Client) -> None:
    response = post(client, json.dumps({"text": "x" * 2000}))
    assert response.status_code == 413
    assert error_of(response)["code"] == "payload_too_large"


def test_a_non_json_content_type_is_a_415(client: Client) -> None:
    response = client.http.post("/v1/notes", body=b"text=hi", headers={"Content-Type": "text/plain"})
    assert response.status_code == 415


def test_domain_errors_keep_their_status_and_code(client: Client) -> None:
    response = client.http.get("/v1/notes/missing")
    assert response.status_code == 404
    assert error_of(response) == {"code": "note_not_found", "message": "no such note"}


def test_an_unexpected_error_is_a_500_that_leaks_nothing_and_is_logged(client: Client,
                                                                       caplog: pytest.LogCaptureFixture) -> None:
    logging.getLogger("chalicelib").propagate = True
    try:
        with caplog.at_level(logging.ERROR, logger="chalicelib"):
            response = client.http.get("/v1/notes/boom", headers={"X-Correlation-Id": "trace-42"})
    finally:
        logging.getLogger("chalicelib").propagate = False
    assert response.status_code == 500
    error = error_of(response)
    assert error["code"] == "internal_error"
    assert "hunter2" not in response.body.decode() and "RuntimeError" not in response.body.decode()
    # The reference is the server's request id, which the logs carry; the caller's id is echoed apart.
    assert response.headers["X-Request-Id"] in error["message"]
    assert response.headers["X-Correlation-Id"] == "trace-42"
    logged = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert logged and logged[0].exc_info is not None
    assert "hunter2" in str(logged[0].exc_info[1])


def test_an_unsupported_method_is_the_contracts_405(client: Client) -> None:
    response = client.http.put("/v1/notes/abc", body=b"{}")
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"


def test_protected_routes_need_a_valid_token(client: Client) -> None:
    assert error_of(client.http.get("/v1/whoami"))["code"] == "missing_token"
    assert client.http.get("/v1/whoami", headers={"Authorization": "Basic abc"}).status_code == 401
    assert client.http.get("/v1/whoami", headers={"Authorization": "Bearer junk"}).status_code == 401
    token = KEY.sign(access_claims(username="carol"))
    response = client.http.get("/v1/whoami", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert json.loads(response.body) == {"username": "carol"}


def test_a_reply_sets_its_own_status(client: Client) -> None:
    token = KEY.sign(access_claims())
    response = client.http.delete("/v1/notes/abc", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 204
    assert response.body == b""


def test_install_refuses_routes_that_bypass_the_route_layer() -> None:
    app = Chalice(app_name="bare")

    @app.route("/sneaky")
    def sneaky() -> dict[str, str]:
        return {}

    with pytest.raises(RuntimeError, match="/sneaky"):
        install(app)


def _order(client: Client, text: str, key: str | None, user: str = "carol") -> Any:
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {KEY.sign(access_claims(username=user))}"}
    if key is not None:
        headers["Idempotency-Key"] = key
    return client.http.post("/v1/orders", body=json.dumps({"text": text}), headers=headers)


def test_a_retry_with_the_same_key_returns_the_first_answer_and_creates_nothing(client: Client) -> None:
    first = _order(client, "tea", "k-1")
    again = _order(client, "tea", "k-1")
    assert first.status_code == again.status_code == 201
    assert json.loads(first.body) == json.loads(again.body) == {"order": 1, "text": "tea"}
    assert again.headers["Idempotent-Replayed"] == "true"
    assert json.loads(_order(client, "tea", "k-2").body)["order"] == 2  # a new key is a new order
    assert json.loads(_order(client, "tea", None).body)["order"] == 3  # no key, no protection


def test_the_same_key_with_another_body_is_a_422(client: Client) -> None:
    _order(client, "tea", "k-3")
    response = _order(client, "coffee", "k-3")
    assert response.status_code == 422
    assert error_of(response)["code"] == "idempotency_key_reused"


def test_keys_belong_to_their_user(client: Client) -> None:
    assert json.loads(_order(client, "tea", "shared", user="carol").body)["order"] == 1
    assert json.loads(_order(client, "tea", "shared", user="dave").body)["order"] == 2


def test_a_failed_request_releases_its_key(client: Client) -> None:
    assert _order(client, "fail", "k-4").status_code == 409
    assert _order(client, "fail", "k-4").status_code == 409  # tried again, not replayed from a store
    assert error_of(_order(client, "x", "not a valid key!")) ["code"] == "invalid_idempotency_key"


def test_a_declared_text_answer_goes_out_as_it_is_with_its_media_type(client: Client) -> None:
    response = client.http.get("/v1/notes.csv")
    assert (response.status_code, response.headers["Content-Type"]) == (200, "text/csv")
    assert response.body == b"text,stars\r\nhi,3\r\n"


def test_an_undeclared_text_answer_is_a_bug_not_a_silent_success(client: Client) -> None:
    response = client.http.get("/v1/notes.tsv")
    assert response.status_code == 500 and error_of(response)["code"] == "internal_error"
