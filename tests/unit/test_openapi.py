"""The served OpenAPI document describes every route of the app and is valid OpenAPI 3."""

from __future__ import annotations

import json

from chalice.test import Client
from openapi_spec_validator import validate

from app import app


def test_the_document_is_valid_and_lists_every_route() -> None:
    with Client(app) as client:
        response = client.http.get("/v1/openapi.json")
    assert response.status_code == 200
    document = json.loads(response.body)
    validate(document)
    served = {(path, method.upper()) for path, ops in document["paths"].items() for method in ops}
    routed = {(path, method) for path, methods in app.routes.items() for method in methods}
    # Every route of the contract; none of the Mastodon face's, whose reference is Mastodon's own documentation.
    assert served == {(path, method) for path, method in routed if path.startswith("/v1/")}
    assert any(path.startswith("/api/v1/") for path, _ in routed)


def test_protected_routes_declare_the_bearer_scheme_and_public_ones_do_not() -> None:
    with Client(app) as client:
        document = json.loads(client.http.get("/v1/openapi.json").body)
    assert "security" in document["paths"]["/v1/users/me"]["get"]
    assert "security" not in document["paths"]["/v1/health"]["get"]
    register = document["paths"]["/v1/auth/register"]["post"]
    schema_name = register["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert set(document["components"]["schemas"][schema_name]["required"]) == {"username", "email", "password"}
    assert {"201", "409", "422"} <= set(register["responses"])


def _query(operation: dict[str, object]) -> dict[str, dict[str, object]]:
    return {p["name"]: p for p in operation["parameters"] if p["in"] == "query"}  # type: ignore[attr-defined]


def test_query_parameters_are_documented_every_list_with_limit_and_cursor() -> None:
    with Client(app) as client:
        document = json.loads(client.http.get("/v1/openapi.json").body)
    operations = [op for ops in document["paths"].values() for op in ops.values()]
    lists = [op for op in operations if "next_cursor" in json.dumps(document["components"]["schemas"].get(
        op["responses"].get("200", {}).get("content", {}).get("application/json", {}).get("schema", {}).get(
            "$ref", "#/x").rsplit("/", 1)[-1], {}))]
    assert len(lists) >= 8  # feeds, followers, posts, comments, notifications, conversations, orders...
    for op in lists:
        assert {"limit", "cursor"} <= set(_query(op)), op["operationId"]
    notifications = _query(document["paths"]["/v1/notifications"]["get"])
    assert set(notifications) == {"limit", "cursor", "types", "unread"}
    assert notifications["unread"]["schema"]["type"] == "boolean"  # type: ignore[index]
    assert "like" in str(notifications["types"]["description"])
    for method in ("get", "post"):
        token = _query(document["paths"]["/v1/notifications/unsubscribe"][method])["token"]
        assert token["required"] is True
    assert _query(document["paths"]["/v1/users/me"]["get"]) == {}
