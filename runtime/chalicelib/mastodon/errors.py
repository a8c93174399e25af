"""The Mastodon face's errors: Mastodon's ``{"error": message}`` bodies and RFC 6749's OAuth errors.

Usage::

    raise MastodonError(404)                        # {"error": "Record not found"}
    raise unprocessable("text can't be blank")      # 422 {"error": "Validation failed: text can't be blank"}
    raise OAuthError("invalid_grant", "the code has expired")   # 400 {"error": ..., "error_description": ...}
"""

from __future__ import annotations

from chalicelib.core import errors

# Mastodon's own wording for the errors every client knows.
MESSAGES = {
    400: "Bad request", 401: "The access token is invalid", 403: "This action is outside the authorized scopes",
    404: "Record not found", 405: "Method not allowed", 409: "Conflict", 413: "Payload too large",
    415: "Unsupported media type", 422: "Validation failed", 429: "Too many requests",
    503: "Service unavailable", 500: "Internal server error",
}


class MastodonError(Exception):
    """An error as Mastodon answers it: ``{"error": message}`` with ``status``."""

    def __init__(self, status: int, message: str | None = None) -> None:
        self.status = status
        self.message = message or MESSAGES.get(status, "Error")
        super().__init__(self.message)

    def body(self) -> dict[str, str]:
        return {"error": self.message}

    @classmethod
    def of(cls, error: errors.ApiError) -> MastodonError:
        """A domain error in Mastodon's words: its status, Mastodon's message where clients expect one."""
        if error.status == 422:
            return cls(422, f"Validation failed: {error.message}")
        if error.status in (401, 404, 429) or error.status >= 500:
            return cls(error.status, MESSAGES.get(error.status) if error.status < 500 else error.message)
        return cls(error.status, error.message)


def unprocessable(message: str) -> MastodonError:
    """Mastodon's 422 for a request that broke a rule: ``Validation failed: <message>``."""
    return MastodonError(422, f"Validation failed: {message}")


class OAuthError(Exception):
    """An RFC 6749 error: ``{"error": code, "error_description": description}`` with ``status``."""

    def __init__(self, code: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.code, self.description, self.status = code, description, status

    def body(self) -> dict[str, str]:
        return {"error": self.code, "error_description": self.description}
