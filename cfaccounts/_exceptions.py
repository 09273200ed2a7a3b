"""Every failure cfaccounts raises is one of these.

::

    CloudflareError
    ├── CredentialsError          (also ValueError) bad or missing credentials, at construction
    ├── ClientClosedError         (also RuntimeError) a call on a closed client
    ├── EventLoopMismatchError    (also RuntimeError) an AsyncCloudflare used from a
    │                             second event loop, or in a forked child
    └── APIError                  a request failed; .method, .url, .attempts
        ├── APIStatusError        the API answered with an error; .status_code, .errors,
        │   │                     .messages, .ray_id, .retry_after
        │   ├── BadRequestError           400
        │   ├── AuthenticationError       401
        │   ├── PermissionDeniedError     403
        │   ├── NotFoundError             404
        │   ├── ConflictError             409
        │   ├── UnprocessableEntityError  422
        │   ├── RateLimitError            429
        │   └── InternalServerError       >= 500
        ├── APIConnectionError    no usable response (refused, reset, truncated body)
        │   └── APITimeoutError   the timeout ran out
        └── APIResponseValidationError  a success response that is not what the API documents

``success: false`` in a 2xx response raises :class:`APIStatusError` with that
status. Messages never contain credentials or token secrets.
"""

from __future__ import annotations

from collections.abc import Sequence

from .models.envelope import ResponseInfo


class CloudflareError(Exception):
    """Base class of every exception raised by cfaccounts."""


class CredentialsError(CloudflareError, ValueError):
    """Credentials are missing, incomplete or ambiguous."""


class ClientClosedError(CloudflareError, RuntimeError):
    """The client was closed; create a new one to make more calls."""

    def __init__(
        self, message: str = "this client is closed; create a new one to make more calls"
    ) -> None:
        super().__init__(message)


class EventLoopMismatchError(CloudflareError, RuntimeError):
    """An :class:`AsyncCloudflare` was used outside the event loop it belongs to.

    A client's connections belong to the event loop (and process) it is first
    used in; the message says which case this is and what to do.
    """


class APIError(CloudflareError):
    """A request to the API failed.

    Attributes:
        method: the HTTP method of the request.
        url: the requested URL (credentials are never part of it).
        attempts: how many times the request was sent, retries included.
    """

    def __init__(self, message: str, *, method: str, url: str, attempts: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.method = method
        self.url = url
        self.attempts = attempts

    def __str__(self) -> str:
        tries = f", after {self.attempts} attempts" if self.attempts > 1 else ""
        return f"{self.message} ({self.method} {self.url}{tries})"


class APIStatusError(APIError):
    """The API answered with an error status, or with ``success: false``.

    Attributes:
        status_code: the HTTP status.
        errors: the envelope's ``errors`` (always a list, maybe empty).
        messages: the envelope's ``messages``.
        ray_id: the ``cf-ray`` response header, the id Cloudflare support asks for.
        retry_after: seconds the API asked to wait before trying again
            (``Retry-After`` or ``retry-after-ms``), if it said.
    """

    def __init__(
        self,
        message: str,
        *,
        method: str,
        url: str,
        status_code: int,
        errors: Sequence[ResponseInfo] = (),
        messages: Sequence[ResponseInfo] = (),
        ray_id: str | None = None,
        retry_after: float | None = None,
        attempts: int = 1,
    ) -> None:
        super().__init__(message, method=method, url=url, attempts=attempts)
        self.status_code = status_code
        self.errors = list(errors)
        self.messages = list(messages)
        self.ray_id = ray_id
        self.retry_after = retry_after

    def __str__(self) -> str:
        ray = f", cf-ray {self.ray_id}" if self.ray_id else ""
        tries = f", after {self.attempts} attempts" if self.attempts > 1 else ""
        return f"{self.message} ({self.method} {self.url}{ray}{tries})"


class BadRequestError(APIStatusError):
    """HTTP 400."""


class AuthenticationError(APIStatusError):
    """HTTP 401: the credentials were not accepted."""


class PermissionDeniedError(APIStatusError):
    """HTTP 403: the credentials may not do this."""


class NotFoundError(APIStatusError):
    """HTTP 404."""


class ConflictError(APIStatusError):
    """HTTP 409. Never retried."""


class UnprocessableEntityError(APIStatusError):
    """HTTP 422."""


class RateLimitError(APIStatusError):
    """HTTP 429: over the rate limit (1,200 requests per 5 minutes per user)."""


class InternalServerError(APIStatusError):
    """HTTP 500 or above."""


class APIConnectionError(APIError):
    """No usable response: connection refused or reset, or a body cut short.

    Attributes:
        reached_server: ``False`` only when the request provably never left
            (the connection was never established); non-idempotent requests
            are retried only then.
    """

    def __init__(
        self, message: str, *, method: str, url: str, reached_server: bool, attempts: int = 1
    ) -> None:
        super().__init__(message, method=method, url=url, attempts=attempts)
        self.reached_server = reached_server


class APITimeoutError(APIConnectionError):
    """The request did not complete within its timeout."""


class APIResponseValidationError(APIError):
    """A success response that cannot be what the API documents.

    Non-JSON, truncated or HTML bodies, or a ``result`` of the wrong shape.

    Attributes:
        status_code: the HTTP status.
        ray_id: the ``cf-ray`` response header.
    """

    def __init__(
        self,
        message: str,
        *,
        method: str,
        url: str,
        status_code: int,
        ray_id: str | None = None,
        attempts: int = 1,
    ) -> None:
        super().__init__(message, method=method, url=url, attempts=attempts)
        self.status_code = status_code
        self.ray_id = ray_id


_STATUS_ERRORS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def status_error_class(status: int) -> type[APIStatusError]:
    """The exception class for an HTTP status."""
    if status >= 500:
        return InternalServerError
    return _STATUS_ERRORS.get(status, APIStatusError)
