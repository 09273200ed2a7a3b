"""The errors the sandbox answers with, shaped and numbered like Cloudflare's."""

from __future__ import annotations

from typing import Any


class SandboxError(Exception):
    """An API error: the HTTP status and one Cloudflare ``{code, message}``."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def errors(self) -> list[dict[str, Any]]:
        return [{"code": self.code, "message": self.message}]


def bad_request(message: str) -> SandboxError:
    return SandboxError(400, 1001, message)


def not_found(what: str) -> SandboxError:
    return SandboxError(
        404, 7003, f"Could not route to {what}, perhaps your object identifier is invalid?"
    )


def conflict(message: str) -> SandboxError:
    return SandboxError(409, 1061, message)


def missing_credentials() -> SandboxError:
    return SandboxError(401, 9106, "Missing X-Auth-Key, X-Auth-Email or Authorization headers")


def invalid_token() -> SandboxError:
    return SandboxError(401, 1000, "Invalid API Token")


def invalid_key() -> SandboxError:
    return SandboxError(403, 9103, "Unknown X-Auth-Key or X-Auth-Email")


def forbidden() -> SandboxError:
    return SandboxError(403, 10000, "Authentication error")


def rate_limited() -> SandboxError:
    return SandboxError(429, 971, "Please wait and consider throttling your request speed")


def too_many_tokens(limit: int) -> SandboxError:
    # The reference documents the quota but not the code it is refused with;
    # a 400 is how the API refuses a request it cannot carry out as asked.
    return SandboxError(
        400, 1005, f"Maximum number of API tokens reached: an account may own {limit}"
    )


def no_route() -> SandboxError:
    return SandboxError(404, 7000, "No route for that URI")


def internal_error() -> SandboxError:
    return SandboxError(500, 10002, "The sandbox failed to serve this request (a defect)")


def malformed_request(status: int) -> SandboxError:
    """A request too malformed to route: bad HTTP, or a ``Content-Encoding`` not supported."""
    if status >= 500:
        return internal_error()
    return SandboxError(status, 6003, "Malformed HTTP request: it cannot be read as sent")
