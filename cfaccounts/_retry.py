"""When a failed request is tried again, and after how long (pure).

- Retried: connection failures, timeouts, and HTTP 408, 429, 500, 502, 503, 504;
  not a failure trying again cannot help (a failed TLS handshake, a request
  aiohttp could not build: ``APIConnectionError.retryable`` is ``False``).
- Never retried: any other status (409 above all), and a success response
  with a body that is not what the API documents.
- Requests that are not idempotent (POST, PATCH, the token roll) are retried
  only when they provably were not carried out: the connection was never
  established, or the API refused them with a 429 (rate limited: refused
  before anything is done). Anything else could create a second member or
  token, or roll a secret twice. A request carrying an ``Idempotency-Key``
  the API honours (``accounts.create(idempotency_key=...)``) is idempotent:
  its :class:`~cfaccounts._request.Request` says so.
- Waits grow exponentially with full jitter (0.5 s base, 8 s cap). A
  ``Retry-After`` / ``retry-after-ms`` of up to 60 s is honoured; a longer one
  is not waited out but raised, so the caller decides (the core then refuses
  the client's other requests, unsent, until it ends).
"""

from __future__ import annotations

import random

import attrs

from ._exceptions import APIConnectionError, APIError, APIStatusError

RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


@attrs.frozen
class RetryPolicy:
    """How many times and how patiently failed requests are retried."""

    max_retries: int = 2
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0

    def delay_before_retry(
        self, error: APIError, *, idempotent: bool, attempt: int
    ) -> float | None:
        """Seconds to wait before trying again after ``error``, or ``None`` to give up.

        Args:
            error: what the attempt raised.
            idempotent: whether the request may be repeated once it reached the server.
            attempt: how many attempts were made so far (1 after the first).
        """
        if attempt > self.max_retries:
            return None
        if isinstance(error, APIStatusError):
            if error.status_code not in RETRYABLE_STATUSES:
                return None
            if not idempotent and error.status_code != 429:
                return None
            if error.retry_after is not None:
                return error.retry_after if error.retry_after <= self.max_retry_after else None
        elif isinstance(error, APIConnectionError):
            if not error.retryable or (not idempotent and error.reached_server):
                return None
        else:
            return None
        ceiling = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return random.uniform(0, ceiling)  # noqa: S311 - jitter, not cryptography
