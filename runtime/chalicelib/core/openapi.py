"""The OpenAPI 3 document, generated from the app's routes and their models.

Nothing here is written by hand: paths, methods, parameters, request and
response schemas and error answers all come from each route's ``RouteSpec``.
"""

from __future__ import annotations

import re
from typing import Any

from chalice.app import Chalice
from pydantic import BaseModel

from chalicelib.core.routes import spec_of
from chalicelib.core.schema import OneOf

_REASONS = {200: "OK", 201: "Created", 204: "No content", 400: "Malformed request", 401: "Missing or bad token",
            403: "Not yours", 404: "Not found", 409: "Conflict", 413: "Too large", 415: "Unsupported media type",
            422: "Invalid", 429: "Throttled", 503: "Unavailable"}
_ERROR_SCHEMA = {
    "type": "object", "required": ["error"],
    "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
        "code": {"type": "string"}, "message": {"type": "string"}, "details": {}}}},
}


def build_openapi(app: Chalice, *, title: str, version: str) -> dict[str, Any]:
    schemas: dict[str, Any] = {"Error": _ERROR_SCHEMA}
    paths: dict[str, dict[str, Any]] = {}

    def ref(model: type[BaseModel] | OneOf) -> dict[str, str]:
        if isinstance(model, OneOf):  # as pydantic documents a RootModel of the union
            schemas[model.name] = {"anyOf": [ref(member) for member in model.models], "title": model.name,
                                   **({"description": model.description} if model.description else {})}
            return {"$ref": f"#/components/schemas/{model.name}"}
        # Component names allow [a-zA-Z0-9._-]: ``Page[Post]`` becomes ``Page_Post_``.
        name = re.sub(r"[^a-zA-Z0-9._-]", "_", model.__name__)
        document = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(document.pop("$defs", {}))
        schemas[name] = document
        return {"$ref": f"#/components/schemas/{name}"}

    for path, methods in sorted(app.routes.items()):
        for method, entry in sorted(methods.items()):
            spec = spec_of(entry.view_function)
            if spec is None:
                continue
            operation: dict[str, Any] = {
                "operationId": entry.view_name, "tags": [spec.tag], "summary": spec.summary,
                "parameters": [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                               for name in re.findall(r"{(\w+)}", path)]
                + [{"name": q.name, "in": "query", "required": q.required, "description": q.description,
                    "schema": dict(q.schema)} for q in spec.query],
                "responses": {},
            }
            if not spec.public:
                operation["security"] = [{"bearer": []}]
            elif spec.api_key:  # API Gateway checks and meters the key (chalicelib.integrations)
                operation["security"] = [{"api_key": []}]
            if spec.body is not None:
                operation["requestBody"] = {"required": True,
                                            "content": {"application/json": {"schema": ref(spec.body)}}}
            success: dict[str, Any] = {"description": _REASONS.get(spec.status, "OK")}
            if spec.response is not None:
                success["content"] = {"application/json": {"schema": ref(spec.response)}}
            for media_type in spec.produces:
                success.setdefault("content", {})[media_type] = {"schema": {"type": "string"}}
            operation["responses"][str(spec.status)] = success
            for status in spec.errors:
                operation["responses"][str(status)] = {
                    "description": _REASONS.get(status, "Error"),
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
            paths.setdefault(path, {})[method.lower()] = operation
    return {
        "openapi": "3.1.0",  # 3.1: its schemas are JSON Schema, as pydantic writes them
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {"schemas": schemas,
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                                           "api_key": {"type": "apiKey", "in": "header", "name": "X-API-Key"}}},
    }
