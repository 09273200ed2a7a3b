"""The API's ``Ratelimit`` and ``Ratelimit-Policy`` headers, parsed (pure).

Every REST answer says how much of the caller's quota is left, in the IETF
RateLimit header fields (structured-field lists, one item per policy)::

    Ratelimit: "default";r=50;t=30          remaining r, seconds to reset t
    Ratelimit-Policy: "default";q=1200;w=300  quota q per window w seconds

:func:`parse_quota_headers` reads them into one :class:`QuotaReport`: the
policy that binds hardest (the least remaining per second left). Headers
that are absent, malformed or contradictory give ``None`` and the caller
falls back to pacing on its own; nothing here raises.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import NamedTuple

# One list member: a name (quoted string or token), then ;key=integer parameters.
_MEMBER = re.compile(
    r"""\s*(?:"(?P<quoted>[^"\\]*)"|(?P<token>[A-Za-z*][A-Za-z0-9_.:%*/+-]*))"""
    r"""(?P<params>(?:\s*;\s*[a-z*][a-z0-9_.*-]*(?:=[^;,]*)?)*)\s*(?:,|$)"""
)
_PARAM = re.compile(r"\s*;\s*([a-z*][a-z0-9_.*-]*)(?:=([^;,]*))?")
_INTEGER = re.compile(r"-?[0-9]{1,15}")

#: A remaining count or quota larger than this is not believed: no API quota is that big.
_IMPLAUSIBLE = 10**9
#: Nor a window or reset further away than a day: Cloudflare's window is five
#: minutes, and one lying header must not stop a client (or a fleet) for years.
_LONGEST_WINDOW = 86_400


class QuotaReport(NamedTuple):
    """What one answer said about the caller's quota (the binding policy)."""

    #: The policy's name (``"default"``, ``"burst"``, ...).
    policy: str
    #: Requests left in the current window.
    remaining: int
    #: Seconds until the window resets (the API rounds it up).
    reset: float
    #: Requests per window, when ``Ratelimit-Policy`` named this policy.
    quota: int | None
    #: The window's length in seconds, when ``Ratelimit-Policy`` named this policy.
    window: float | None


def _members(value: str) -> dict[str, dict[str, int]] | None:
    """A structured-field list as ``{name: {param: int}}``; ``None`` when malformed."""
    members: dict[str, dict[str, int]] = {}
    position = 0
    value = value.strip()
    while position < len(value):
        match = _MEMBER.match(value, position)
        if match is None or match.end() == position:
            return None
        params: dict[str, int] = {}
        for key, raw in _PARAM.findall(match["params"]):
            number = raw.strip()
            if not _INTEGER.fullmatch(number):
                return None
            params[key] = int(number)
        members[match["quoted"] if match["quoted"] is not None else match["token"]] = params
        position = match.end()
    return members or None


def parse_quota_headers(headers: Mapping[str, str]) -> QuotaReport | None:
    """The binding policy of an answer's ``Ratelimit`` headers, or ``None``.

    ``None`` when ``Ratelimit`` is absent or malformed, or no item carries a
    plausible remaining count and reset (``r`` and ``t`` whole, not
    negative, ``t`` at most a day away). ``Ratelimit-Policy`` is optional; a
    malformed one only leaves the quota and window unknown.
    """
    value = headers.get("Ratelimit")
    if not value:
        return None
    limits = _members(value)
    if limits is None:
        return None
    policies = _members(headers.get("Ratelimit-Policy", "")) or {}
    binding: QuotaReport | None = None
    for name, params in limits.items():
        remaining, reset = params.get("r"), params.get("t")
        if remaining is None or reset is None:
            continue
        if not (0 <= remaining < _IMPLAUSIBLE and 0 <= reset <= _LONGEST_WINDOW):
            continue
        policy = policies.get(name, {})
        quota, window = policy.get("q"), policy.get("w")
        if (
            quota is None
            or window is None
            or not (0 < quota < _IMPLAUSIBLE)
            or not (0 < window <= _LONGEST_WINDOW)
        ):
            quota = window = None
        elif remaining > quota or reset > window:
            continue  # contradicts its own policy: trust neither
        report = QuotaReport(name, remaining, float(reset), quota, window)
        # The least left per second of window binds; ties go to the smaller remaining.
        if binding is None or _tighter(report, binding):
            binding = report
    return binding


def _tighter(a: QuotaReport, b: QuotaReport) -> bool:
    return a.remaining * max(b.reset, 1.0) < b.remaining * max(a.reset, 1.0) or (
        a.remaining * max(b.reset, 1.0) == b.remaining * max(a.reset, 1.0)
        and a.remaining < b.remaining
    )
