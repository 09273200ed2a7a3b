"""Every failure cfaccounts raises is one of these.

::

    CloudflareError
    ├── ConfigurationError        (also ValueError) a setting that cannot work, at
    │   │                         construction (base_url, session, limits, proxy, CLOUDFLARE_LOG)
    │   └── CredentialsError      bad or missing credentials
    ├── ClientClosedError         (also RuntimeError) a call on a closed client
    ├── RateLimitStoreError       a shared rate limiter's store (Redis) failed
    ├── RateLimitPausedError      a limiter holds requests after a 429 longer than
    │                             the caller waits; .seconds_left
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
        ├── APIConnectionError    no usable response (refused, reset, truncated body);
        │   │                     .reached_server, .retryable
        │   └── APITimeoutError   the timeout ran out
        │       └── DeadlineExceededError  the call's deadline passed; .waiting_for
        └── APIResponseValidationError  a success response that is not what the API documents

``success: false`` in a 2xx response raises :class:`APIStatusError` with that
status. Messages never contain credentials or token secrets.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .models.envelope import ResponseInfo


class CloudflareError(Exception):
    """Base class of every exception raised by cfaccounts.

    Every one pickles and copies with all its attributes (for process pools,
    multiprocessing, Celery): it is rebuilt without calling ``__init__``,
    whose arguments are keyword-only. Its texts were redacted when it was
    made, so a copy holds no secret either.
    """

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.args), self.__dict__)


def _rebuild(cls: type[CloudflareError], args: tuple[Any, ...]) -> CloudflareError:
    # BaseException.__new__ sets .args; __setstate__ then restores the attributes.
    return cls.__new__(cls, *args)


class ConfigurationError(CloudflareError, ValueError):
    """A client argument that cannot work, refused at construction.

    A malformed ``base_url``, a session whose settings would change what is
    sent, a limit that is not a positive number, a malformed proxy URL, an
    unknown ``CLOUDFLARE_LOG`` level: nothing was sent.
    """


class CredentialsError(ConfigurationError):
    """Credentials are missing, incomplete, ambiguous or malformed."""


class ClientClosedError(CloudflareError, RuntimeError):
    """The client was closed; create a new one to make more calls."""

    def __init__(
        self, message: str = "this client is closed; create a new one to make more calls"
    ) -> None:
        super().__init__(message)


class RateLimitStoreError(CloudflareError):
    """The store a shared rate limiter counts in (Redis) could not be reached or failed.

    Requests are not sent unpaced instead: the whole fleet counts on every
    request being counted. The message names the store without its password.
    """


class RateLimitPausedError(CloudflareError):
    """A rate limiter holds every request after a 429 longer than the caller waits.

    Raised by :meth:`~cfaccounts.BaseRateLimiter.acquire_within`; a client
    turns it into a :class:`RateLimitError` naming the request, which was
    not sent. ``seconds_left`` says when the hold ends.
    """

    def __init__(self, *, seconds_left: float) -> None:
        super().__init__(f"a 429 holds every request for {seconds_left:.0f} s more")
        self.seconds_left = seconds_left


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
        retryable: ``False`` when trying again cannot help (the TLS
            handshake failed, or the request could not be built): it is
            never retried.
    """

    def __init__(
        self,
        message: str,
        *,
        method: str,
        url: str,
        reached_server: bool,
        retryable: bool = True,
        attempts: int = 1,
    ) -> None:
        super().__init__(message, method=method, url=url, attempts=attempts)
        self.reached_server = reached_server
        self.retryable = retryable


class APITimeoutError(APIConnectionError):
    """The request did not complete within its timeout."""


class DeadlineExceededError(APITimeoutError):
    """The call's ``deadline`` passed: waits for the rate limiter and before
    retries, and every attempt, counted together.

    Attributes:
        deadline: the seconds the call had.
        waiting_for: what the call was waiting for when the time ran out
            (a free slot, the rate limiter, a response, a retry wait).
        reached_server: ``False`` only when no attempt could have reached
            the server.
    """

    def __init__(
        self,
        *,
        method: str,
        url: str,
        deadline: float,
        waiting_for: str,
        reached_server: bool,
        attempts: int = 1,
    ) -> None:
        super().__init__(
            f"the deadline of {deadline:g} s passed while waiting for {waiting_for}",
            method=method,
            url=url,
            reached_server=reached_server,
            attempts=attempts,
        )
        self.deadline = deadline
        self.waiting_for = waiting_for


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
