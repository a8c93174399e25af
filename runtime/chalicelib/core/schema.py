"""Base classes for request and response documents.

Requests are strict: unknown fields and wrong types are refused (422), never
coerced. Every model doubles as its OpenAPI schema.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class RequestBody(BaseModel):
    """A JSON request body: strict types, no unknown fields."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class ResponseBody(BaseModel):
    """A JSON response document."""

    model_config = ConfigDict(extra="forbid")
