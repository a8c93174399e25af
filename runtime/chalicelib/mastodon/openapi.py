"""The OpenAPI 3 document of the Mastodon face, generated from its routes (``MastodonRoute``) and their params
models, as ``chalicelib.core.openapi`` does for the contract. It is what the face is fuzzed with
(``tests/clients/test_mastodon_fuzz.py``); it describes requests, not Mastodon's answers (the entities are
checked against Mastodon's own definitions instead: ``tests/clients/mastodon_schemas.py``).

Parameters are written as Mastodon clients send them: on GET and DELETE in the query string, lists with Rails'
brackets (``id[]=1&id[]=2``) and objects as ``a[b]=c`` (``deepObject``); on POST, PUT and PATCH in a JSON or
form body. A route with a larger body limit (``max_body_bytes``: the media uploads) also takes a multipart body
with a ``file`` (and ``thumbnail``) part beside its other parameters.

Usage::

    from app import app
    document = build_mastodon_openapi(app, prefixes=("/api/",))   # only the /api routes
"""

from __future__ import annotations

import re
from typing import Any

from chalice.app import Chalice
from pydantic import BaseModel

from chalicelib.mastodon.routing import MastodonRoute, route_of

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_ERROR_SCHEMA = {"type": "object", "required": ["error"],
                 "properties": {"error": {"type": "string"}, "error_description": {"type": "string"}}}
_BINARY = {"type": "string", "format": "binary"}


def _error(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _array_branch(schema: dict[str, Any]) -> dict[str, Any] | None:
    """The list form of a parameter (``list[str]``, ``list[str] | None``, ``list[str] | str``), if it has one."""
    if schema.get("type") == "array":
        return schema
    return next((branch for branch in schema.get("anyOf", []) if branch.get("type") == "array"), None)


def _query_parameter(name: str, schema: dict[str, Any], required: bool) -> dict[str, Any]:
    listed = _array_branch(schema)
    if listed is not None:  # Rails' a[]=1&a[]=2, as Mastodon.py sends lists
        return {"name": f"{name}[]", "in": "query", "required": required, "schema": listed, "style": "form",
                "explode": True}
    parameter: dict[str, Any] = {"name": name, "in": "query", "required": required, "schema": schema}
    if schema.get("type") == "object" or "$ref" in schema:
        parameter.update(style="deepObject", explode=True)
    return parameter


def _operation(path: str, spec: MastodonRoute, schemas: dict[str, Any]) -> dict[str, Any]:
    parameters: list[dict[str, Any]] = [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                                        for name in re.findall(r"{(\w+)}", path)]
    body: dict[str, Any] | None = None
    if spec.params is not None:
        document = _model_schema(spec.params, schemas)
        properties: dict[str, Any] = document.get("properties", {})
        required = set(document.get("required", []))
        if spec.method in _BODY_METHODS:
            body = document
        else:
            parameters += [_query_parameter(name, schema, name in required) for name, schema in properties.items()]
    # One handler may serve two paths (v1 and v2 twins): the id names the method and path, unique by construction.
    operation_id = re.sub(r"[^a-zA-Z0-9]+", "_", f"{spec.method.lower()}_{path}").strip("_")
    operation: dict[str, Any] = {"operationId": operation_id, "parameters": parameters,
                                 "responses": {str(spec.status): {"description": "Mastodon's answer"}}}
    scope = spec.scope if isinstance(spec.scope, str) or spec.scope is None else " or ".join(spec.scope)
    operation["summary"] = f"{spec.method} {path}" + (f" (scope {scope})" if scope else "")
    if spec.method in _BODY_METHODS:
        form = body or {"type": "object"}
        content: dict[str, Any] = {"application/json": {"schema": form},
                                   "application/x-www-form-urlencoded": {"schema": form}}
        if spec.max_body_bytes is not None:  # an upload: the file beside the other fields
            upload = {"type": "object", "properties": {**form.get("properties", {}), "file": _BINARY,
                                                       "thumbnail": _BINARY},
                      "required": sorted({*form.get("required", []), "file"})}
            content = {"multipart/form-data": {"schema": upload}, **content}
        operation["requestBody"] = {"required": bool(body and body.get("required")), "content": content}
    if not spec.public:
        operation["security"] = [{"bearer": []}]
        operation["responses"].update({"401": _error("No valid token"), "403": _error("The token lacks the scope")})
    if parameters or body:
        operation["responses"]["422"] = _error("Invalid parameters")
    if "{" in path:
        operation["responses"]["404"] = _error("Record not found")
    return operation


def _model_schema(model: type[BaseModel], schemas: dict[str, Any]) -> dict[str, Any]:
    document = model.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(document.pop("$defs", {}))
    return document


def build_mastodon_openapi(app: Chalice, *, prefixes: tuple[str, ...] = ("/",), title: str = "Mastodon face",
                           version: str = "1") -> dict[str, Any]:
    """The face's routes whose path starts with one of ``prefixes``, as an OpenAPI 3.1 document."""
    schemas: dict[str, Any] = {"Error": _ERROR_SCHEMA}
    paths: dict[str, dict[str, Any]] = {}
    for path, methods in sorted(app.routes.items()):
        if not path.startswith(prefixes):
            continue
        for method, entry in sorted(methods.items()):
            spec = route_of(entry.view_function)
            if spec is not None:
                paths.setdefault(path, {})[method.lower()] = _operation(path, spec, schemas)
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {"schemas": schemas,
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }
