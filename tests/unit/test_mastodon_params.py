"""Mastodon's parameters: query, form, JSON and multipart alike, with Rails' bracket names."""

from __future__ import annotations

from typing import Any

import pytest
from chalice.app import Request

from chalicelib.mastodon.params import BadParams, collect, nest


def _request(body: bytes, content_type: str | None, query: dict[str, list[str]] | None = None) -> Request:
    headers = {"content-type": content_type} if content_type else {}
    event: dict[str, Any] = {
        "multiValueQueryStringParameters": query, "headers": headers, "pathParameters": {},
        "requestContext": {"httpMethod": "POST", "resourcePath": "/api/v1/statuses"}, "body": body.decode("latin-1"),
        "isBase64Encoded": False, "stageVariables": {}}
    request = Request(event)
    request._raw_body = body  # as Chalice holds a binary body after base64 decoding
    return request


def test_bracket_names_become_lists_and_objects() -> None:
    assert nest([("media_ids[]", "1"), ("media_ids[]", "2"), ("source[privacy]", "public"),
                 ("fields_attributes[0][name]", "site")]) == {
        "media_ids": ["1", "2"], "source": {"privacy": "public"}, "fields_attributes": {"0": {"name": "site"}}}


@pytest.mark.parametrize("pairs", [[("a", "1"), ("a[]", "2")], [("a[", "1")], [("a[][x]", "1")],
                                   [("a[b][c][d][e][f]", "1")], [("[x]", "1")]])
def test_names_that_contradict_or_break_the_shape_are_refused(pairs: list[tuple[str, str]]) -> None:
    with pytest.raises(BadParams):
        nest(pairs)


def test_form_json_and_query_merge_with_the_body_first() -> None:
    form = _request(b"status=hi&media_ids%5B%5D=7", "application/x-www-form-urlencoded",
                    {"status": ["from query"], "limit": ["5"]})
    assert collect(form) == ({"status": "hi", "limit": "5", "media_ids": ["7"]}, {})
    json_body = _request(b'{"status": "hi", "media_ids": ["7"]}', "application/json", {"limit": ["5"]})
    assert collect(json_body) == ({"limit": "5", "status": "hi", "media_ids": ["7"]}, {})


def test_multipart_fields_and_files() -> None:
    body = (b"--XyZ\r\nContent-Disposition: form-data; name=\"description\"\r\n\r\na cat\r\n"
            b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"cat.png\"\r\n"
            b"Content-Type: image/png\r\n\r\n\x89PNG\x00\xff\r\n--XyZ--\r\n")
    values, files = collect(_request(body, "multipart/form-data; boundary=XyZ"))
    assert values == {"description": "a cat"}
    assert (files["file"].filename, files["file"].content_type, files["file"].data) == (
        "cat.png", "image/png", b"\x89PNG\x00\xff")


@pytest.mark.parametrize(("body", "content_type"), [(b"{nope", "application/json"), (b"[1]", "application/json"),
                                                    (b"garbage", "multipart/form-data; boundary=XyZ")])
def test_unreadable_bodies_are_bad_params(body: bytes, content_type: str) -> None:
    with pytest.raises(BadParams):
        collect(_request(body, content_type))
