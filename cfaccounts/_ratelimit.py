"""Rate limits: how many requests a credential may make in a time window.

:class:`RateLimit` is the setting; :class:`~cfaccounts.RateLimiter`
(``_limiter.py``) keeps clients to it.
"""

from __future__ import annotations

from typing import Any

import attrs


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
