"""Base classes for request and response documents.

Requests are strict: unknown fields and wrong types are refused (422), never
coerced. Every model doubles as its OpenAPI schema.

Every model defers building its validator (``defer_build``) to its first use: a function's cold
start would otherwise build the schema of every route's models, about a third of the API module's
import, while one request needs one or two of them.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict


class RequestBody(BaseModel):
    """A JSON request body: strict types, no unknown fields."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)


class ResponseBody(BaseModel):
    """A JSON response document."""

    model_config = ConfigDict(extra="forbid", defer_build=True)


@dataclass(frozen=True)
class OneOf:
    """A route's answer that is one of several documents, under one name in the OpenAPI document.

    Answers are validated by their own models; this only documents them. (A pydantic ``RootModel`` of the
    union documents the same, but defining one builds it at import, with pydantic's plugin lookup: 10 ms
    of every cold start.)

    Usage::

        @router.route("/auth/login", "POST", response=OneOf("LoginAnswer", (TokenPair, MfaChallenge), "Tokens, or ..."))
    """

    name: str
    models: tuple[type[BaseModel], ...]
    description: str = ""
