"""Fault injection: scripted failures, per route, in a deterministic order.

A rule says which requests it hits (a route such as
``"POST /accounts/{account_id}/members"``, optionally one account) and how
many times; the first rule with hits left that matches a request applies.
Faults are decided before authentication and rate limiting, as an edge or a
load balancer in front of the API would fail.
"""

from __future__ import annotations

from typing import Literal

import attrs

FaultKind = Literal["status", "body", "unsuccessful", "latency", "disconnect", "truncated"]
DisconnectPoint = Literal["before_read", "after_read", "mid_body"]

_HTML_PAGE = (
    "<!DOCTYPE html><html><head><title>{status} | api.cloudflare.com | Cloudflare</title>"
    "</head><body><h1>Error {status}</h1><p>Ray ID: {ray}</p></body></html>"
)


@attrs.frozen
class Fault:
    """One kind of failure. Build it with the class methods."""

    kind: FaultKind
    status: int = 200
    html: bool = False
    retry_after: int | None = None
    seconds: float = 0.0
    point: DisconnectPoint = "before_read"
    code: int = 0
    message: str = ""
    content: bytes = b""
    content_type: str = "application/json"

    @classmethod
    def error(
        cls,
        status: int,
        *,
        code: int | None = None,
        message: str | None = None,
        html: bool = False,
        retry_after: int | None = None,
    ) -> Fault:
        """Answer ``status`` (4xx or 5xx) without doing anything.

        The body is a Cloudflare error envelope, or an HTML error page as an
        edge serves it when ``html``. A 429 carries ``Retry-After`` when
        ``retry_after`` is given.
        """
        return cls(
            "status",
            status=status,
            html=html,
            retry_after=retry_after,
            code=code if code is not None else 10000 + status,
            message=message or f"Injected {status} error",
        )

    @classmethod
    def body(cls, status: int, content: bytes, *, content_type: str = "application/json") -> Fault:
        """Answer ``status`` with exactly ``content``, without doing anything.

        For what no well-behaved edge sends: an empty body, plain text, an
        error status whose JSON has no ``errors``, an HTML page with 200.
        """
        return cls("body", status=status, content=content, content_type=content_type)

    @classmethod
    def rate_limited(cls, retry_after: int | None = 1) -> Fault:
        """A 429 with ``Retry-After: retry_after`` (none if ``None``)."""
        return cls.error(
            429,
            code=971,
            message="Please wait and consider throttling your request speed",
            retry_after=retry_after,
        )

    @classmethod
    def unsuccessful(cls, code: int = 1002, message: str = "Injected failure") -> Fault:
        """HTTP 200 with ``success: false``; nothing is done."""
        return cls("unsuccessful", code=code, message=message)

    @classmethod
    def latency(cls, seconds: float) -> Fault:
        """Wait ``seconds``, then answer normally."""
        return cls("latency", seconds=seconds)

    @classmethod
    def disconnect(cls, point: DisconnectPoint = "before_read") -> Fault:
        """Close the connection.

        ``before_read``: before reading the request body; nothing is done.
        ``after_read``: after doing the request, without answering: the
        change is made and the response is lost.
        ``mid_body``: after doing the request and sending half the response.
        """
        return cls("disconnect", point=point)

    @classmethod
    def truncated(cls) -> Fault:
        """Do the request, then answer with the first half of its JSON (a valid HTTP message)."""
        return cls("truncated")

    def html_page(self, ray_id: str) -> str:
        return _HTML_PAGE.format(status=self.status, ray=ray_id)


@attrs.define
class FaultRule:
    """A fault, what it hits, and how often; ``hits`` counts what it did."""

    fault: Fault
    route: str = "*"
    account_id: str | None = None
    times: int | None = 1
    hits: int = 0

    def matches(self, route: str, account_id: str | None) -> bool:
        if self.times is not None and self.hits >= self.times:
            return False
        if self.route not in ("*", route):
            return False
        return self.account_id is None or self.account_id == account_id


@attrs.define
class FaultScript:
    """The rules still in force, in the order they were added."""

    rules: list[FaultRule] = attrs.field(factory=list)

    def add(self, rule: FaultRule) -> FaultRule:
        self.rules.append(rule)
        return rule

    def take(self, route: str, account_id: str | None) -> Fault | None:
        """The fault for this request, if any; counts the hit.

        A rule that has struck its ``times`` leaves :attr:`rules` (its
        ``hits`` stay readable on the rule ``inject`` returned).
        """
        for position, rule in enumerate(self.rules):
            if rule.matches(route, account_id):
                rule.hits += 1
                if rule.times is not None and rule.hits >= rule.times:
                    del self.rules[position]
                return rule.fault
        return None
