"""What ``with_raw_response`` calls return: the HTTP response, and the result on demand.

``await client.accounts.with_raw_response.get(account_id=...)`` (or
``client.accounts.members.with_raw_response.list(...)``, any call of any
namespace) sends the same request, with the same retries and the same
errors, as the plain call; it answers with an :class:`AsyncAPIResponse`
(:class:`APIResponse` from the sync client) carrying the status, the
headers (``cf-ray``, ``Ratelimit``, ``Retry-After``), the request and the
time it took. ``parse()`` gives what the plain call returns, structured on
first use.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any, Generic, NamedTuple, TypeVar

from yarl import URL

from ._response import RawResponse

T = TypeVar("T")


class HTTPRequest(NamedTuple):
    """The request a response answers. Its headers are left out: they hold the credential."""

    method: str
    url: URL


class BaseAPIResponse(Generic[T]):
    """The HTTP response of one call; see :class:`AsyncAPIResponse` and :class:`APIResponse`."""

    __slots__ = ("_parse", "_parsed", "_response", "http_request")

    def __init__(self, request: HTTPRequest, response: RawResponse, parse: Callable[[], T]) -> None:
        #: The request this answers: ``.method`` and ``.url``.
        self.http_request = request
        self._response = response
        self._parse = parse
        self._parsed: tuple[T] | None = None

    def __repr__(self) -> str:
        # Never the body: a token's secret may be in it.
        return (
            f"<{type(self).__name__} [{self.status_code}] "
            f"{self.http_request.method} {self.http_request.url}>"
        )

    @property
    def status_code(self) -> int:
        """The HTTP status of the final attempt."""
        return self._response.status

    @property
    def headers(self) -> Mapping[str, str]:
        """The response headers (case-insensitive): ``cf-ray``, ``Ratelimit``, ..."""
        return self._response.headers

    @property
    def method(self) -> str:
        """The request's HTTP method."""
        return self.http_request.method

    @property
    def url(self) -> URL:
        """The request's URL, query included."""
        return self.http_request.url

    @property
    def elapsed(self) -> timedelta:
        """From sending the final attempt to reading its whole body."""
        return timedelta(seconds=self._response.elapsed)

    @property
    def content(self) -> bytes:
        """The body, as received."""
        return self._response.body

    def text(self) -> str:
        """The body, decoded as UTF-8."""
        return self._response.body.decode("utf-8", "replace")

    def json(self) -> Any:
        """The body, decoded as JSON: the whole envelope."""
        return json.loads(self._response.body)

    def _result(self) -> T:
        if self._parsed is None:
            self._parsed = (self._parse(),)
        return self._parsed[0]


class AsyncAPIResponse(BaseAPIResponse[T]):
    """The HTTP response of an :class:`~cfaccounts.AsyncCloudflare` call."""

    __slots__ = ()

    async def parse(self) -> T:
        """What the plain call returns (a model, or the first page of a listing).

        Raises:
            APIResponseValidationError: the result does not have the documented shape.
        """
        return self._result()

    def blocking(self, convert: Callable[[T], Any]) -> APIResponse[Any]:
        """This response for the sync client, its result passed through ``convert``."""
        return APIResponse(self.http_request, self._response, lambda: convert(self._result()))


class APIResponse(BaseAPIResponse[T]):
    """The HTTP response of a :class:`~cfaccounts.Cloudflare` call."""

    __slots__ = ()

    def parse(self) -> T:
        """What the plain call returns (a model, or the first page of a listing).

        Raises:
            APIResponseValidationError: the result does not have the documented shape.
        """
        return self._result()
