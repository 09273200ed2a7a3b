"""The sandbox's rate limit: a sliding window per credential, as strict as the API's."""

from __future__ import annotations

import math
import time
from collections import deque

from .._ratelimit import RateLimit


class Quota:
    """Admits at most ``limit.limit`` requests per credential in any ``limit.per`` seconds.

    Refused requests do not count, so a client that waits out the
    ``Retry-After`` it was given gets through.
    """

    def __init__(self, limit: RateLimit) -> None:
        self.limit = limit
        self._admitted: dict[str, deque[float]] = {}

    def admit(self, key: str) -> int | None:
        """``None`` if the request may proceed, else the seconds to wait (``Retry-After``)."""
        now = time.monotonic()
        window = self._admitted.setdefault(key, deque())
        horizon = now - self.limit.per
        while window and window[0] <= horizon:
            window.popleft()
        if len(window) < self.limit.limit:
            window.append(now)
            return None
        return max(1, math.ceil(window[0] - horizon))
