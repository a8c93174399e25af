"""The Mastodon face's OpenAPI document (what its fuzz test runs on) describes every route as clients call it."""

from __future__ import annotations

from typing import Any

from openapi_spec_validator import validate

from app import app
from chalicelib.mastodon.openapi import build_mastodon_openapi
from chalicelib.mastodon.routing import route_of


def _document() -> dict[str, Any]:
    return build_mastodon_openapi(app)


def test_the_document_is_valid_and_lists_every_route_of_the_face_and_no_other() -> None:
    document = _document()
    validate(document)
    described = {(path, method.upper()) for path, operations in document["paths"].items() for method in operations}
    faced = {(path, method) for path, methods in app.routes.items() for method, entry in methods.items()
             if route_of(entry.view_function) is not None}
    assert described == faced
    assert not any(path.startswith("/v1/") for path, _ in described)
    only_api = build_mastodon_openapi(app, prefixes=("/api/",))["paths"]
    assert only_api and all(path.startswith("/api/") for path in only_api) and "/oauth/token" not in only_api


def test_tokens_parameters_and_bodies_are_described_as_clients_send_them() -> None:
    paths = _document()["paths"]
    assert paths["/api/v1/accounts/verify_credentials"]["get"]["security"] == [{"bearer": []}]
    assert "security" not in paths["/api/v2/instance"]["get"]
    relationships = {p["name"]: p for p in paths["/api/v1/accounts/relationships"]["get"]["parameters"]}
    assert relationships["id[]"]["schema"]["type"] == "array"  # Rails' brackets, as Mastodon.py sends lists
    timeline = {p["name"] for p in paths["/api/v1/timelines/home"]["get"]["parameters"]}
    assert {"limit", "max_id", "min_id", "since_id"} <= timeline
    post = paths["/api/v1/statuses"]["post"]["requestBody"]["content"]
    assert {"application/json", "application/x-www-form-urlencoded"} <= set(post)
    assert "status" in post["application/json"]["schema"]["properties"]
    upload = paths["/api/v2/media"]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert upload["properties"]["file"] == {"type": "string", "format": "binary"} and "file" in upload["required"]
    assert paths["/api/v1/statuses/{id}"]["get"]["parameters"][0] == {
        "name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
