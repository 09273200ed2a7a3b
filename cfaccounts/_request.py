"""A request, fully built before anything is sent (pure).

Arguments are checked here, before any I/O: path ids, unknown keyword
arguments and values a query string cannot carry raise at call time.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any, TypedDict

import aiohttp
import attrs
from yarl import URL

from ._encoding import QueryPairs, encode_body, encode_query
from ._endpoint import Endpoint
from ._secrets import conceal_headers


class RequestOptions(TypedDict, total=False):
    """Per-call options every API method accepts as keyword arguments.

    Attributes:
        extra_headers: headers added to (or overriding) the request's.
        extra_query: query parameters added to the request's.
        extra_body: fields added to the JSON body.
        timeout: seconds, or an :class:`aiohttp.ClientTimeout`, for each
            attempt of this call.
        max_retries: retries after a transient failure, for this call.
        deadline: seconds for the whole call (waits for the rate limiter and
            before retries, and every attempt), or ``None`` for no bound.
    """

    extra_headers: Mapping[str, str]
    extra_query: Mapping[str, object]
    extra_body: Mapping[str, object]
    timeout: float | aiohttp.ClientTimeout
    max_retries: int
    deadline: float | None


_OPTION_NAMES = frozenset(RequestOptions.__annotations__)
IDEMPOTENCY_KEY_ARGUMENT = "idempotency_key"
IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"
_HEADER_TOKEN = re.compile(r"[\x21-\x7e]+")


def as_client_timeout(timeout: float | aiohttp.ClientTimeout) -> aiohttp.ClientTimeout:
    """``timeout`` in seconds as a total timeout; a ClientTimeout as is."""
    if isinstance(timeout, aiohttp.ClientTimeout):
        return timeout
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
    return aiohttp.ClientTimeout(total=float(timeout))


_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def checked_headers(
    headers: Mapping[str, str] | None, *, name: str, error: type[ValueError] = ValueError
) -> Mapping[str, str]:
    """Caller-given ``headers``, if every one can be sent as it is.

    Raises:
        TypeError: a name or value that is not a string.
        ValueError: (``error``) a name that is not an HTTP token, or a value
            with a control character (not quoted: it may be a secret).
    """
    for key, value in (headers or {}).items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError(f"{name}: header names and values must be str, got {key!r}")
        if not _HEADER_NAME.fullmatch(key):
            raise error(f"{name}: {key!r} is not a valid header name")
        if _CONTROL.search(value):
            raise error(f"{name}: the value of {key!r} contains a control character")
    return headers or {}


def checked_max_retries(value: int) -> int:
    """``value``, if it is a whole number of retries.

    Raises:
        TypeError: not an int.
        ValueError: negative.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"max_retries must be an int, got {value!r}")
    if value < 0:
        raise ValueError(f"max_retries must be >= 0, got {value}")
    return value


def checked_deadline(value: float | None) -> float | None:
    """``value`` in seconds, if positive and finite (``None``: no deadline).

    Raises:
        TypeError: not a number.
        ValueError: not positive and finite.
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"deadline must be a number of seconds or None, got {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"deadline must be a positive, finite number of seconds, got {value}")
    return float(value)


@attrs.define
class Request:
    """Everything that goes on the wire for one call.

    Its repr is safe to show: every credential and caller-given header value
    in :attr:`headers` is a :class:`~cfaccounts._secrets.Secret`.

    Not frozen, though never changed once built: one is built per call, and
    a frozen attrs class takes a third longer to build.
    """

    method: str
    base: str
    query: QueryPairs
    headers: Mapping[str, str]
    body: bytes | None
    timeout: aiohttp.ClientTimeout
    idempotent: bool
    carries_secret: bool
    #: Retries for this call; ``None``: the client's.
    max_retries: int | None = None
    #: Seconds for the whole call; ``None``: no bound.
    deadline: float | None = None
    #: The full URL, query included.
    url: URL = attrs.field(init=False, eq=False)

    @url.default
    def _url(self) -> URL:
        url = URL(self.base, encoded=True)
        return url.with_query(self.query) if self.query else url

    def with_query(self, overrides: Mapping[str, Any]) -> Request:
        """This request with the query parameters in ``overrides`` replaced."""
        kept = [pair for pair in self.query if pair[0] not in overrides]
        return attrs.evolve(self, query=encode_query(overrides, kept))


@attrs.frozen
class RequestBuilder:
    """What every request of one client shares, and how a call becomes a Request.

    Its :attr:`headers` hold the credential as :class:`~cfaccounts._secrets.Secret`\\ s.
    """

    base_url: str
    headers: Mapping[str, str]
    default_query: Mapping[str, object]
    timeout: aiohttp.ClientTimeout
    #: Seconds each call may take in all, unless it says otherwise.
    deadline: float | None = None

    def build(
        self,
        endpoint: Endpoint[Any],
        params: Mapping[str, Any],
        options: Mapping[str, Any],
        *,
        body: Any = None,
    ) -> Request:
        """The request for calling ``endpoint`` with ``params``.

        The arguments named in the path fill it; the others go in the JSON
        body (POST, PUT, PATCH) or the query string. ``body``, when given,
        is the whole JSON body instead. An ``idempotency_key``, where the
        endpoint takes one, is the ``Idempotency-Key`` header instead, and
        makes the request safe to repeat.

        Raises:
            TypeError: an unknown option, or a value of the wrong type.
            ValueError: an empty or unsafe path id.
        """
        unknown = options.keys() - _OPTION_NAMES if options else None
        if unknown:
            raise TypeError(
                f"{endpoint!r} got an unexpected keyword argument {sorted(unknown)[0]!r}"
            )
        path = endpoint.build_path(params)
        fields = {
            k: v for k, v in params.items() if v is not None and k not in endpoint.path_params
        }
        idempotency_key = (
            fields.pop(IDEMPOTENCY_KEY_ARGUMENT, None) if endpoint.takes_idempotency_key else None
        )
        if idempotency_key is not None and not _HEADER_TOKEN.fullmatch(idempotency_key):
            raise ValueError(
                f"{IDEMPOTENCY_KEY_ARGUMENT} must be visible ASCII characters, at least one"
            )
        query_fields = dict(self.default_query)
        payload: bytes | None = None
        if endpoint.sends_body:
            content = fields if body is None else body
            extra_body = options.get("extra_body")
            if extra_body:
                content = {**content, **extra_body}
            payload = encode_body(content)
        else:
            query_fields.update(fields)
        extra_query = options.get("extra_query")
        if extra_query:
            query_fields.update(extra_query)

        headers: Mapping[str, str] = self.headers
        extra_headers = options.get("extra_headers")
        if payload is not None or extra_headers or idempotency_key is not None:
            headers = {
                **headers,
                **({"Content-Type": "application/json"} if payload is not None else {}),
                **(
                    {IDEMPOTENCY_KEY_HEADER: idempotency_key} if idempotency_key is not None else {}
                ),
                **conceal_headers(checked_headers(extra_headers, name="extra_headers")),
            }
        timeout = options.get("timeout")
        max_retries = options.get("max_retries")
        return Request(
            method=endpoint.method,
            base=self.base_url + path,
            query=encode_query(query_fields),
            headers=headers,
            body=payload,
            timeout=self.timeout if timeout is None else as_client_timeout(timeout),
            idempotent=endpoint.idempotent or idempotency_key is not None,
            carries_secret=endpoint.carries_secret,
            max_retries=None if max_retries is None else checked_max_retries(max_retries),
            deadline=checked_deadline(options["deadline"])
            if "deadline" in options
            else self.deadline,
        )
