"""Typed errors, each carrying the contract's status code and a snake_case code.

Domain code raises these (or its own subclasses); the route layer turns them
into ``{"error": {"code": ..., "message": ...}}`` with the right status.

Usage::

    raise NotFound("user_not_found", f"no user named {username!r}")
"""

from __future__ import annotations

from typing import Any, ClassVar


class ApiError(Exception):
    """An error a client may see. ``details`` carries field errors and the like."""

    status: ClassVar[int] = 500
    default_code: ClassVar[str] = "internal_error"

    def __init__(self, code: str | None = None, message: str = "", *, details: Any = None) -> None:
        self.code = code or self.default_code
        self.message = message or self.code.replace("_", " ")
        self.details = details
        super().__init__(self.message)

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details is not None:
            error["details"] = self.details
        return {"error": error}


class BadRequest(ApiError):
    status = 400
    default_code = "bad_request"


class Unauthorized(ApiError):
    status = 401
    default_code = "unauthorized"


class Forbidden(ApiError):
    status = 403
    default_code = "forbidden"


class NotFound(ApiError):
    status = 404
    default_code = "not_found"


class MethodNotAllowed(ApiError):
    status = 405
    default_code = "method_not_allowed"


class Conflict(ApiError):
    status = 409
    default_code = "conflict"


class PayloadTooLarge(ApiError):
    status = 413
    default_code = "payload_too_large"


class UnsupportedMediaType(ApiError):
    status = 415
    default_code = "unsupported_media_type"


class Unprocessable(ApiError):
    status = 422
    default_code = "validation_failed"


class Throttled(ApiError):
    status = 429
    default_code = "throttled"


class Unavailable(ApiError):
    """A dependency is down or throttling us; the client may retry."""

    status = 503
    default_code = "unavailable"


STATUS_CODES: dict[int, type[ApiError]] = {
    cls.status: cls
    for cls in (BadRequest, Unauthorized, Forbidden, NotFound, MethodNotAllowed, Conflict,
                PayloadTooLarge, UnsupportedMediaType, Unprocessable, Throttled, Unavailable)
}


def error_body(code: str, message: str) -> dict[str, Any]:
    """The contract's error document, for places that have no exception (gateway responses)."""
    return {"error": {"code": code, "message": message}}
