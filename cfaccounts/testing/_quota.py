"""The sandbox's rate limit: a fixed window and a lockout per credential, as the API's.

Each credential (a user: the sandbox's own token and key share one; each
account-owned token has its own) gets a window of ``per`` seconds from its
first request, in which ``limit`` requests are admitted. The first request
over the limit starts a lockout: every request of that credential is
refused for :attr:`~cfaccounts.RateLimit.lockout_seconds`, then a fresh
window starts. Refused requests do no work and do not count.

Every answer tells the caller where it stands, in the IETF RateLimit header
fields the API sends (structured-field lists, integer seconds, rounded up)::

    Ratelimit: "default";r=<remaining>;t=<seconds until the window resets>
    Ratelimit-Policy: "default";q=<limit>;w=<window seconds>
"""

from __future__ import annotations

import math
import threading
import time

import attrs

from .._ratelimit import RateLimit

# Looked up at call time, so tests can run the quota on a fake clock.
_monotonic = time.monotonic


@attrs.define
class _Window:
    """One credential's current window: when it ends, what it used, any lockout."""

    ends: float
    used: int = 0
    locked_until: float | None = None

    def over(self, now: float) -> bool:
        """Whether a request at ``now`` belongs to a new window."""
        end = self.ends if self.locked_until is None else self.locked_until
        return now >= end


@attrs.frozen
class Standing:
    """What a credential has left: ``remaining`` requests, ``reset`` seconds to a new window."""

    remaining: int
    reset: float


class Quota:
    """Admits at most ``limit.limit`` requests per credential and fixed window.

    Safe across threads: a test may spend quota while the sandbox serves
    from its own thread.
    """

    def __init__(self, limit: RateLimit) -> None:
        self.limit = limit
        self._windows: dict[str, _Window] = {}
        self._lock = threading.Lock()
        self._policy = f'"default";q={limit.limit};w={math.ceil(limit.per)}'

    def admit(self, key: str) -> int | None:
        """Count a request: ``None`` if it may proceed, else its ``Retry-After`` in seconds."""
        with self._lock:
            return self._admit(key, _monotonic())

    def spend(self, key: str, requests: int) -> int:
        """Count ``requests`` made elsewhere; how many were admitted (the rest were refused)."""
        with self._lock:
            now = _monotonic()
            return sum(self._admit(key, now) is None for _ in range(requests))

    def standing(self, key: str) -> Standing:
        """Where ``key`` stands now, without counting anything."""
        with self._lock:
            now = _monotonic()
            window = self._windows.get(key)
            if window is None or window.over(now):
                return Standing(self.limit.limit, self.limit.per)
            if window.locked_until is not None:
                return Standing(0, window.locked_until - now)
            return Standing(self.limit.limit - window.used, window.ends - now)

    def headers(self, key: str) -> dict[str, str]:
        """The ``Ratelimit`` and ``Ratelimit-Policy`` headers of an answer to ``key``."""
        standing = self.standing(key)
        return {
            "Ratelimit": f'"default";r={standing.remaining};t={math.ceil(standing.reset)}',
            "Ratelimit-Policy": self._policy,
        }

    def _admit(self, key: str, now: float) -> int | None:
        window = self._windows.get(key)
        if window is None or window.over(now):
            window = self._windows[key] = _Window(ends=now + self.limit.per)
        if window.locked_until is not None:
            return math.ceil(window.locked_until - now)
        if window.used < self.limit.limit:
            window.used += 1
            return None
        lockout = self.limit.lockout_seconds
        if lockout == 0:  # no lockout: refused until the window resets
            return math.ceil(window.ends - now)
        window.locked_until = now + lockout
        return math.ceil(lockout)
