"""What an attacker or a careless client sends: never a 500, never a forged identity or log line."""

from __future__ import annotations

import base64
import io
import json
import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest
from chalice.test import Client
from jwt.algorithms import RSAAlgorithm
from pydantic import BaseModel, ValidationError

from chalicelib.auth.routes import ConfirmRequest, LoginRequest, RegisterRequest
from chalicelib.core.errors import Unauthorized
from chalicelib.core.idempotency import check_key
from chalicelib.core.tokens import TokenVerifier
from chalicelib.core.usertext import is_blank, text_problem
from chalicelib.ledger.views import NewReward, RewardChange
from chalicelib.posts.views import NewComment, NewPost, PostEdit
from chalicelib.users.routes import ProfileChange
from tests.unit.jwks import CLIENT_ID, ISSUER, JwksServer, SigningKey, access_claims, jwks_server
from tests.unit.test_routes import serve

KEY = SigningKey("hostile-key")


@pytest.fixture(scope="module")
def jwks() -> Iterator[JwksServer]:
    with jwks_server(KEY) as running:
        yield running


@pytest.fixture
def client(jwks: JwksServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Client]:
    yield from serve(jwks, monkeypatch, max_body_bytes=1024 * 1024)  # room for 100,000-deep JSON


def whoami(client: Client, token: str, **headers: str) -> Any:
    return client.http.get("/v1/whoami", headers={"Authorization": f"Bearer {token}", **headers})


# --- tokens -------------------------------------------------------------------------------------------------

def signed_with_header(header: dict[str, Any], claims: dict[str, Any]) -> str:
    """A correctly signed token with any header at all (PyJWT refuses to write a kid that is no string)."""
    def segment(document: dict[str, Any]) -> bytes:
        return base64.urlsafe_b64encode(json.dumps(document).encode()).rstrip(b"=")

    signing_input = segment(header) + b"." + segment(claims)
    signature = RSAAlgorithm(RSAAlgorithm.SHA256).sign(signing_input, KEY.private)
    return (signing_input + b"." + base64.urlsafe_b64encode(signature).rstrip(b"=")).decode()


@pytest.mark.parametrize("kid", [7, ["hostile-key"], {"k": "hostile-key"}, None, ""])
def test_a_token_whose_kid_is_not_a_string_is_a_401(client: Client, kid: Any) -> None:
    response = whoami(client, signed_with_header({"alg": "RS256", "typ": "JWT", "kid": kid}, access_claims()))
    assert response.status_code == 401, response.body
    assert json.loads(response.body)["error"]["code"] == "invalid_token"


@pytest.mark.parametrize("groups", ["admins", 5, ["admins", 3], [["admins"]], {"admins": True}])
def test_a_token_whose_groups_claim_is_not_a_list_of_strings_is_a_401(client: Client, groups: Any) -> None:
    response = whoami(client, KEY.sign(access_claims(**{"cognito:groups": groups})))
    assert response.status_code == 401, response.body
    assert json.loads(response.body)["error"]["code"] == "invalid_token"


def test_a_token_with_no_groups_claim_is_fine(client: Client) -> None:
    claims = access_claims()
    del claims["cognito:groups"]
    assert whoami(client, KEY.sign(claims)).status_code == 200


@pytest.mark.parametrize("ahead", [1, 4])
def test_a_token_minted_by_a_clock_slightly_ahead_passes(jwks: JwksServer, ahead: int) -> None:
    now = int(time.time()) + ahead
    token = KEY.sign(access_claims(iat=now, nbf=now, exp=now + 600))
    assert TokenVerifier(jwks.url, ISSUER, CLIENT_ID).verify(token).username == "alice"


def test_a_token_just_expired_within_the_leeway_passes_but_not_beyond(jwks: JwksServer) -> None:
    verifier = TokenVerifier(jwks.url, ISSUER, CLIENT_ID)
    now = int(time.time())
    assert verifier.verify(KEY.sign(access_claims(iat=now - 600, exp=now - 2))).username == "alice"
    with pytest.raises(Unauthorized):
        verifier.verify(KEY.sign(access_claims(iat=now - 600, exp=now - 60)))


@pytest.mark.parametrize("claim", ["iat", "nbf"])
def test_a_token_from_the_future_is_refused(jwks: JwksServer, claim: str) -> None:
    later = int(time.time()) + 120
    with pytest.raises(Unauthorized):
        TokenVerifier(jwks.url, ISSUER, CLIENT_ID).verify(KEY.sign(access_claims(**{claim: later})))


# --- bodies ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("depth", [100_000, 30_000, 2_000])
def test_deeply_nested_json_is_a_400(client: Client, depth: int) -> None:
    body = "[" * depth + "]" * depth
    response = client.http.post("/v1/notes", body=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.body
    assert json.loads(response.body)["error"]["code"] == "malformed_json"


def test_deeply_nested_json_inside_an_object_is_a_400(client: Client) -> None:
    body = '{"text": ' + "[" * 50_000 + "]" * 50_000 + "}"
    response = client.http.post("/v1/notes", body=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.body


# --- correlation ids --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("supplied", ["abc\n", "a" * 65, "a b", "x\r\nSet-Cookie: y", "é"])
def test_an_unsafe_correlation_id_is_not_echoed(client: Client, supplied: str) -> None:
    response = client.http.get("/v1/notes/1", headers={"X-Correlation-Id": supplied})
    assert response.status_code == 200
    assert response.headers["X-Correlation-Id"] != supplied


def test_the_logs_carry_the_servers_id_and_the_callers_id_apart(client: Client) -> None:
    from chalicelib.core.logs import JsonFormatter

    sink = io.StringIO()
    handler = logging.StreamHandler(sink)
    handler.setFormatter(JsonFormatter())  # formats as the record is emitted, inside the request
    logging.getLogger("chalicelib").addHandler(handler)
    try:
        response = client.http.get("/v1/notes/boom", headers={"X-Correlation-Id": "caller-chosen-1"})
    finally:
        logging.getLogger("chalicelib").removeHandler(handler)
    assert response.status_code == 500
    assert response.headers["X-Correlation-Id"] == "caller-chosen-1"  # echoed: the caller's to match
    server_id = response.headers["X-Request-Id"]
    assert server_id and server_id != "caller-chosen-1"
    lines = [json.loads(line) for line in sink.getvalue().splitlines()]
    assert lines
    for line in lines:
        assert line["correlation_id"] == server_id
        assert line["caller_correlation_id"] == "caller-chosen-1"
    assert server_id in json.loads(response.body)["error"]["message"]


# --- regular expressions match whole strings ------------------------------------------------------------------

def test_patterns_do_not_accept_a_trailing_newline() -> None:
    from chalicelib.auth.rules import email_problems, username_problems
    from chalicelib.core.errors import Unprocessable

    assert username_problems("alice\n")
    assert email_problems("ada@example.org\n")
    with pytest.raises(Unprocessable):
        check_key("key-1\n")


# --- user-written text -------------------------------------------------------------------------------------------

BAD_EVERYWHERE = ["a\x00b", "a\x07b", "a\x1bb", "a\x7fb", "a\x85b", "a\x9fb", "a\u202eb", "a\u202ab", "a\u2066b",
                  "a\u2069b", "a\rb"]
BLANK = [" ", "\u200b", "\u200b \ufeff", "\u2060\u200c\u200d", " \t\u200b "]
TEXT_FIELDS: list[tuple[type[BaseModel], str, dict[str, Any], bool]] = [
    (NewPost, "content", {}, True),
    (PostEdit, "content", {}, True),
    (NewComment, "content", {}, True),
    (ProfileChange, "display_name", {}, False),
    (ProfileChange, "bio", {}, True),
    (RegisterRequest, "display_name", {"username": "ada_1", "email": "a@example.org", "password": "Correct-horse-1"},
     False),
    (NewReward, "name", {"cost": 5, "stock": 1}, False),
    (RewardChange, "name", {}, False),
]


@pytest.mark.parametrize(("model", "field", "rest", "multiline"), TEXT_FIELDS)
def test_every_text_field_refuses_control_and_bidi_characters_and_blank_text(
        model: type[BaseModel], field: str, rest: dict[str, Any], multiline: bool) -> None:
    for value in [*BAD_EVERYWHERE, *BLANK]:
        with pytest.raises(ValidationError):
            model.model_validate({**rest, field: value})
    model.model_validate({**rest, field: "fine text ✓ 日本語"})
    for value in ["two\nlines", "tab\there"]:
        if multiline:
            model.model_validate({**rest, field: value})
        else:
            with pytest.raises(ValidationError):
                model.model_validate({**rest, field: value})


@pytest.mark.parametrize("model", [ConfirmRequest, LoginRequest])
def test_an_empty_username_is_refused_before_cognito_sees_it(model: type[BaseModel]) -> None:
    rest = {"code": "123456"} if model is ConfirmRequest else {"password": "x"}
    with pytest.raises(ValidationError):
        model.model_validate({"username": "", **rest})


def test_blank_and_problems() -> None:
    assert is_blank("\u200b\n\ufeff") and not is_blank("\u200ba")
    assert text_problem("ok\nok", multiline=True) is None
    assert text_problem("ok\nok", multiline=False)
