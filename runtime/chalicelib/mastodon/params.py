"""Mastodon's request parameters: the query string and the body (JSON, form-urlencoded or multipart) merged.

Mastodon (Rails) reads parameters from wherever they come, with Rails' bracket names: ``media_ids[]=1``
is a list, ``source[privacy]=public`` a nested object, ``fields_attributes[0][name]=x`` an object keyed by
index. ``collect`` turns a request into one dict of that shape (body over query string) plus the uploaded
files of a multipart body; the router validates the dict against the route's pydantic model.

Usage::

    values, files = collect(request)   # ({"media_ids": ["1"], "source": {"privacy": "public"}}, {"file": Upload})
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from chalice.app import Request
from pydantic import BaseModel, ConfigDict

_PART = re.compile(r"\[([^\]]*)\]")
MAX_DEPTH = 4  # a[b][c][d][] at most: deeper names are refused rather than built
MULTIPART_OVERHEAD = 64 * 1024  # a body limit's room for a multipart's boundaries, part headers and small fields
# The largest body an upload route can take in AWS, whatever the media's own limit: Lambda takes at most 6 MB
# (6,291,456 bytes) per synchronous invocation (its Invoke API reference), and API Gateway's proxy event carries
# a binary body base64-encoded, beside the headers and request context (room: 64 KiB). About 4.45 MiB.
LAMBDA_PAYLOAD = 6_291_456
MAX_UPLOAD_BODY = (LAMBDA_PAYLOAD - 64 * 1024) * 3 // 4
MAX_UPLOAD_FILE = MAX_UPLOAD_BODY - MULTIPART_OVERHEAD  # one file, as the instance advertises it to clients


class Params(BaseModel):
    """Base of every route's parameters: unknown ones are ignored, as Mastodon ignores them; the validator is
    built on first use (``defer_build``: a cold start builds none of the face's models, as for ``/v1``'s)."""

    model_config = ConfigDict(defer_build=True)


class BadParams(ValueError):
    """The body cannot be read (malformed JSON, a JSON body that is no object, a broken multipart)."""


@dataclass(frozen=True)
class Upload:
    """A file of a multipart body."""

    filename: str
    content_type: str
    data: bytes


def raw_body(request: Request) -> bytes:
    raw = request.raw_body
    return raw if isinstance(raw, bytes) else (raw or "").encode()


def _path(name: str) -> list[str] | None:
    """``a[b][]`` -> ``["a", "b", ""]``; None for a name that is not Rails-shaped."""
    head, bracket, rest = name.partition("[")
    if not bracket:
        return [name]
    parts = _PART.findall("[" + rest)
    if "".join(f"[{p}]" for p in parts) != "[" + rest or len(parts) > MAX_DEPTH or not head:
        return None
    return [head, *parts]


def _put(target: dict[str, Any], path: list[str], value: Any) -> None:
    node: Any = target
    for index, key in enumerate(path):
        last = index == len(path) - 1
        following = None if last else path[index + 1]
        if key == "":  # name[] : append (only as the last part)
            if not isinstance(node, list) or not last:
                raise BadParams("a [] may only end a parameter name")
            node.append(value)
            return
        if not isinstance(node, dict):
            raise BadParams(f"parameter {path[0]!r} is both a value and a list or object")
        if last:
            node[key] = value
            return
        child = node.get(key)
        if child is None:
            child = [] if following == "" else {}
            node[key] = child
        node = child


def nest(pairs: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """Flat ``(name, value)`` pairs with bracket names as nested dicts and lists."""
    result: dict[str, Any] = {}
    for name, value in pairs:
        path = _path(name)
        if path is None:
            raise BadParams(f"malformed parameter name {name[:40]!r}")
        existing = result.get(path[0])
        if len(path) == 1 or existing is None or isinstance(existing, (dict, list)):
            _put(result, path, value)
        else:
            raise BadParams(f"parameter {path[0]!r} is both a value and a list or object")
    return result


def _multipart(content_type: str, raw: bytes) -> tuple[list[tuple[str, str]], dict[str, Upload]]:
    # Imported here: the email package is 3 ms of a cold start, and only media uploads send multipart bodies.
    from email.parser import BytesParser
    from email.policy import HTTP

    message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + raw)
    if not message.is_multipart():
        raise BadParams("the multipart body has no parts")
    fields: list[tuple[str, str]] = []
    files: dict[str, Upload] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str) or not name:
            raise BadParams("a multipart part has no name")
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        filename = part.get_filename()
        if filename is not None:
            files[name] = Upload(filename, part.get_content_type(), data)
        else:
            try:
                fields.append((name, data.decode()))
            except UnicodeDecodeError as exc:
                raise BadParams(f"the multipart field {name[:40]!r} is not UTF-8") from exc
    return fields, files


def collect(request: Request) -> tuple[dict[str, Any], dict[str, Upload]]:
    """The request's parameters as one nested dict (the body's over the query string's), and its files."""
    query = request.query_params
    pairs: list[tuple[str, Any]] = []
    if query:
        pairs += [(name, value) for name in query for value in query.getlist(name)]
    raw = raw_body(request)
    content_type = str(request.headers.get("content-type") or "")
    media_type = content_type.split(";")[0].strip().lower()
    files: dict[str, Upload] = {}
    body: dict[str, Any] = {}
    if raw.strip():
        if media_type == "application/x-www-form-urlencoded":
            try:
                pairs += parse_qsl(raw.decode(), keep_blank_values=True, max_num_fields=1000)
            except (UnicodeDecodeError, ValueError) as exc:
                raise BadParams("the form body is malformed") from exc
        elif media_type == "multipart/form-data":
            fields, files = _multipart(content_type, raw)
            pairs += fields
        else:  # JSON, which is also what Chalice assumes when no Content-Type is given
            try:
                data = json.loads(raw)
            except (ValueError, UnicodeDecodeError, RecursionError) as exc:
                raise BadParams("the body is not valid JSON") from exc
            if not isinstance(data, dict):
                raise BadParams("the JSON body must be an object")
            body = data
    return {**nest(pairs), **body}, files
