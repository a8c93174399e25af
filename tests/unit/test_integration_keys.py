"""The integration keys' rules: pages of keys, today's usage from GetUsage, the view without the key's value."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from chalicelib.integrations.cors import answer_headers, parse_origins, preflight_headers
from chalicelib.integrations.keys import Integration, PlanLimits, Usage, page_after
from chalicelib.integrations.views import IntegrationView

LIMITS = PlanLimits(quota_limit=100, quota_period="DAY", rate_limit=10.0, burst_limit=20)


def test_pages_walk_every_key_once_in_id_order() -> None:
    ids = ["c", "a", "e", "b", "d"]
    seen, after = [], None
    while True:
        page, after = page_after(ids, after, 2)
        seen += page
        if after is None:
            break
    assert seen == ["a", "b", "c", "d", "e"]
    assert page_after(ids, None, 5) == (["a", "b", "c", "d", "e"], None)  # no empty last page
    assert page_after([], None, 20) == ([], None)


def test_usage_of_a_key_never_called_is_zero_and_the_whole_quota() -> None:
    assert Usage.of_day({}, "k", "2026-11-30", LIMITS) == Usage("2026-11-30", 0, 100)
    assert Usage.of_day({"k": [[7, 93]]}, "k", "2026-11-30", LIMITS) == Usage("2026-11-30", 7, 93)


def test_the_view_of_a_key_never_shows_its_value() -> None:
    key = {"id": "k1", "name": "Acme", "value": "secret-value-of-the-key", "enabled": True,
           "createdDate": datetime(2026, 11, 30, tzinfo=UTC)}
    shown = IntegrationView.of(Integration.of(key, LIMITS)).model_dump(mode="json")
    assert "secret-value-of-the-key" not in str(shown)
    assert shown["quota"] == {"limit": 100, "period": "DAY"} and shown["description"] is None


def test_cors_headers_only_for_listed_origins() -> None:
    origins = parse_origins('["https://partner.example"]')
    assert answer_headers("https://partner.example", ()) == {}  # CORS off: nothing at all
    assert answer_headers("https://evil.example", origins) == {"Vary": "Origin"}
    assert answer_headers("https://partner.example", origins)["Access-Control-Allow-Origin"] == (
        "https://partner.example")
    assert "Access-Control-Allow-Origin" not in preflight_headers("https://evil.example", origins, ["GET"])
    assert parse_origins(None) == parse_origins("") == ()


def test_the_openapi_document_says_partner_routes_take_an_api_key() -> None:
    from chalice.test import Client

    from app import app

    with Client(app) as client:
        document = json.loads(client.http.get("/v1/openapi.json").body)
    assert document["paths"]["/v1/integrations/posts/{post_id}"]["get"]["security"] == [{"api_key": []}]
    assert document["paths"]["/v1/admin/integrations"]["post"]["security"] == [{"bearer": []}]
    assert document["components"]["securitySchemes"]["api_key"] == {"type": "apiKey", "in": "header",
                                                                    "name": "X-API-Key"}
