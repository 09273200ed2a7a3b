"""Rate limits: pacing requests to stay under Cloudflare's limit, and pausing all of them on a 429.

:class:`RateLimit` says how many requests a credential may make in a time
window; :class:`RateLimiter` makes a client (or several clients sharing one
credential) keep to it.

Why the limiter counts a request from when its response *arrives*: the
server counts it from when the request arrives, which lies between sending
and receiving the response. A request admitted only when fewer than
``limit`` requests were in flight or answered within the last ``per``
seconds can therefore never be the ``limit + 1``-th in any window the server
sees, whatever the network latency. The cost is one round trip per window.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from typing import Any

import attrs

# Looked up at call time, so tests can run the limiter on a fake clock.
_monotonic = time.monotonic
_sleep = asyncio.sleep


def _positive(instance: object, attribute: attrs.Attribute[Any], value: float) -> None:
    if value <= 0:
        raise ValueError(f"{attribute.name} must be positive, got {value!r}")


@attrs.frozen
class RateLimit:
    """At most ``limit`` requests in any window of ``per`` seconds.

    Cloudflare allows ``RateLimit(1200, per=300)`` per user, across all
    accounts.
    """

    limit: int = attrs.field(
        validator=attrs.validators.and_(attrs.validators.instance_of(int), _positive)
    )
    per: float = attrs.field(converter=float, validator=_positive)

    @property
    def rate(self) -> float:
        """Requests per second in the long run."""
        return self.limit / self.per

    @classmethod
    def parse(cls, text: str) -> RateLimit | None:
        """``"1200/300"`` as ``RateLimit(1200, per=300)``; ``"none"`` as ``None``.

        Raises:
            ValueError: ``text`` is neither.
        """
        if text == "none":
            return None
        limit, _, per = text.partition("/")
        try:
            return cls(int(limit), per=float(per))
        except ValueError:
            raise ValueError(
                f"expected LIMIT/SECONDS such as 1200/300, or none; got {text!r}"
            ) from None


#: Cloudflare's documented limit for the API: 1,200 requests per 5 minutes per user.
CLOUDFLARE_RATE_LIMIT = RateLimit(1200, per=300)


class RateLimiter:
    """Admits requests within a :class:`RateLimit` and holds them all during a 429 pause.

    Share one between clients that use the same credential (it is safe
    across threads and event loops)::

        limiter = RateLimiter(RateLimit(1200, per=300))
        a = AsyncCloudflare(rate_limit=limiter)
        b = AsyncCloudflare(rate_limit=limiter)

    Args:
        limit: the limit to keep to; ``None`` paces nothing but still
            pauses every request after a 429.

    Requests wait their turn in arrival order. The counters
    :attr:`requests`, :attr:`delayed` and :attr:`pauses` say how many
    requests were admitted, how many had to wait, and how many times a 429
    paused everything.
    """

    def __init__(self, limit: RateLimit | None = CLOUDFLARE_RATE_LIMIT) -> None:
        self.limit = limit
        self.requests = 0
        self.delayed = 0
        self.pauses = 0
        self._lock = threading.Lock()
        self._in_flight = 0
        #: When each answered request leaves the window, earliest first.
        self._expiries: deque[float] = deque()
        self._paused_until = 0.0
        #: Requests waiting, in arrival order.
        self._queue: deque[object] = deque()

    @property
    def paused_until(self) -> float:
        """When (on :func:`time.monotonic`'s clock) the pause after a 429 ends; past if none."""
        return self._paused_until

    def __repr__(self) -> str:
        return (
            f"<RateLimiter {self.limit} requests={self.requests}"
            f" delayed={self.delayed} pauses={self.pauses}>"
        )

    async def acquire(self) -> None:
        """Wait until a request may be sent; pair with :meth:`release`."""
        ticket = object()
        delay = self._admit(ticket)
        try:
            while delay is not None:
                await _sleep(delay)
                delay = self._admit(ticket)
        except BaseException:  # cancelled while waiting: give up the place in line
            with self._lock:
                if ticket in self._queue:
                    self._queue.remove(ticket)
            raise

    def release(self) -> None:
        """The response of an admitted request arrived (or the attempt failed)."""
        with self._lock:
            self._in_flight -= 1
            if self.limit is not None:
                self._expiries.append(_monotonic() + self.limit.per)

    def pause(self, seconds: float) -> None:
        """Hold every request for ``seconds`` (a 429's ``Retry-After``), once for all."""
        with self._lock:
            now = _monotonic()
            until = now + seconds
            if until > self._paused_until:
                if self._paused_until <= now:
                    self.pauses += 1
                self._paused_until = until

    def _admit(self, ticket: object) -> float | None:
        """Admit the request (``None``) or say how long it should wait before asking again."""
        with self._lock:
            now = _monotonic()
            expiries = self._expiries
            while expiries and expiries[0] <= now:
                expiries.popleft()
            queue = self._queue
            try:  # not an exception per request: most find the queue empty
                ahead, queued = (queue.index(ticket), True) if queue else (0, False)
            except ValueError:
                ahead, queued = len(queue), False
            if self._paused_until > now:
                delay = self._paused_until - now
            else:
                limit = self.limit
                used = self._in_flight + len(expiries) + ahead
                if limit is None or used < limit.limit:
                    if queued:
                        self._queue.remove(ticket)
                    self._in_flight += 1
                    self.requests += 1
                    return None
                # Wait for the expiry that frees a slot for this request. A slot
                # held by a request in flight frees no sooner than ``per`` from now.
                slot = used - limit.limit
                delay = expiries[slot] - now if slot < len(expiries) else limit.per
            if not queued:
                self._queue.append(ticket)
                self.delayed += 1
            return delay
