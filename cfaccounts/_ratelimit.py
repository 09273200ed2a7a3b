"""Rate limits: how many requests a credential may make in a time window.

:class:`RateLimit` is the setting; :class:`~cfaccounts.RateLimiter`
(``_limiter.py``) keeps clients to it.
"""

from __future__ import annotations

import math
from typing import Any

import attrs


def _positive(instance: object, attribute: attrs.Attribute[Any], value: float) -> None:
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{attribute.name} must be a positive, finite number, got {value!r}")


def _lockout(instance: object, attribute: attrs.Attribute[Any], value: float | None) -> None:
    if value is not None and (not math.isfinite(value) or value < 0):
        raise ValueError(f"lockout must be None, 0 or a positive, finite number, got {value!r}")


def _optional_float(value: float | None) -> float | None:
    return None if value is None else float(value)


@attrs.frozen
class RateLimit:
    """At most ``limit`` requests in any window of ``per`` seconds.

    Cloudflare allows ``RateLimit(1200, per=300)`` per user, across all
    accounts. ``limit`` is a positive integer, ``per`` a positive, finite
    number of seconds; anything else is a :class:`ValueError` (or a
    :class:`TypeError` for a ``limit`` that is not an integer).

    ``lockout`` is what the server does to a credential that goes over: it
    refuses every request of that credential (429) for ``lockout`` seconds
    from the first refusal, then starts a fresh window. ``None`` (the
    default) is one full window, as Cloudflare blocks a user "for the next
    five minutes"; ``0`` is no lockout: requests over the limit are refused
    only until the window resets. Clients pacing to the limit do not use it;
    the sandbox (:mod:`cfaccounts.testing`) enforces it.
    """

    limit: int = attrs.field(
        validator=attrs.validators.and_(attrs.validators.instance_of(int), _positive)
    )
    per: float = attrs.field(converter=float, validator=_positive)
    lockout: float | None = attrs.field(
        default=None, kw_only=True, converter=_optional_float, validator=_lockout
    )

    @property
    def rate(self) -> float:
        """Requests per second in the long run."""
        return self.limit / self.per

    @property
    def lockout_seconds(self) -> float:
        """How long going over locks a credential out: ``lockout``, or ``per`` if ``None``."""
        return self.per if self.lockout is None else self.lockout

    @classmethod
    def parse(cls, text: str) -> RateLimit | None:
        """``"1200/300"`` as ``RateLimit(1200, per=300)``; ``"none"`` as ``None``.

        Raises:
            ValueError: ``text`` is neither, or its numbers are out of range
                (zero, negative, NaN or infinite).
        """
        if text == "none":
            return None
        limit, _, per = text.partition("/")
        try:
            numbers = int(limit), float(per)
        except ValueError:
            raise ValueError(
                f"expected LIMIT/SECONDS such as 1200/300, or none; got {text!r}"
            ) from None
        return cls(numbers[0], per=numbers[1])


#: Cloudflare's documented limit for the API: 1,200 requests per 5 minutes per user.
CLOUDFLARE_RATE_LIMIT = RateLimit(1200, per=300)
