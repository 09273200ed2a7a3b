"""The request cycle: build, send, retry, decode, structure.

Every API call goes through :meth:`Core.call` or :meth:`Core.paginate`;
this file is the one short walk from arguments to a typed result:

1. :class:`~cfaccounts._request.RequestBuilder` builds the request (pure);
2. :class:`~cfaccounts._transport.Transport` sends it (aiohttp), within the
   client's concurrency bound and :class:`~cfaccounts.RateLimiter`;
3. :func:`~cfaccounts._response.decode_response` unwraps the envelope or
   raises a typed error (pure);
4. :class:`~cfaccounts._retry.RetryPolicy` decides whether and when to try
   again; a 429 pauses every request of the limiter, not just this one;
5. the endpoint structures ``result`` into its model.

A call's ``deadline`` bounds steps 2 to 4 together, waits included.

``namespace.with_raw_response`` calls go through :class:`RawResponseCore`
instead: the same steps 1 to 4, then the HTTP response, with step 5 left
to its ``parse()``.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import time
from collections.abc import Callable, Coroutine, Mapping
from typing import Any, TypeVar

import attrs

from ._api_response import AsyncAPIResponse, HTTPRequest
from ._credentials import Credentials
from ._endpoint import Endpoint
from ._exceptions import (
    APIConnectionError,
    APIError,
    DeadlineExceededError,
    RateLimitError,
    RateLimitPausedError,
)
from ._limiter import BaseRateLimiter
from ._logging import logger
from ._pagination import AsyncPaginator, BasePage, page_from
from ._request import Request, RequestBuilder
from ._response import Envelope, decode_response, structure_result
from ._retry import RetryPolicy
from ._transport import Transport

T = TypeVar("T")
PageT = TypeVar("PageT", bound=BasePage[Any])

# Looked up at call time, so tests can record retry waits without sleeping.
_sleep = asyncio.sleep


class _Progress:
    """Where a call is, for the error its deadline raises (cheap to update)."""

    __slots__ = ("_reached_before", "attempts", "last_error", "reached_server", "stage")

    def __init__(self) -> None:
        self.attempts = 0
        self.stage = "nothing"
        self.last_error: APIError | None = None
        self.reached_server = False
        self._reached_before = False

    @property
    def waiting_for(self) -> str:
        if self.stage == _RESPONSE:
            return f"the response to attempt {self.attempts}"
        if self.stage == _RETRY and self.last_error is not None:
            return f"a retry after: {self.last_error.message}"
        return self.stage

    def sending(self) -> None:
        self.stage = _RESPONSE
        self.reached_server = True  # until the attempt says otherwise

    def failed(self, error: APIError) -> None:
        self.last_error = error
        reached = not isinstance(error, APIConnectionError) or error.reached_server
        self._reached_before = self._reached_before or reached
        self.reached_server = self._reached_before


_SLOT = "a free slot (max_concurrency)"
_LIMITER = "the rate limiter"
_RESPONSE = "the response"
_RETRY = "a retry"


def _structured(endpoint: Endpoint[T], request: Request, envelope: Envelope) -> T:
    return structure_result(
        envelope,
        lambda env: endpoint.structure(env.result),
        method=request.method,
        url=request.url,
        carries_secret=request.carries_secret,
    )


class Core:
    """Sends requests for one client. Resources describe endpoints and call this."""

    __slots__ = ("builder", "credentials", "limiter", "retry", "slots", "transport")

    def __init__(
        self,
        *,
        builder: RequestBuilder,
        transport: Transport,
        retry: RetryPolicy,
        credentials: Credentials,
        limiter: BaseRateLimiter,
        max_concurrency: int,
    ) -> None:
        self.builder = builder
        self.transport = transport
        self.retry = retry
        self.credentials = credentials
        self.limiter = limiter
        #: Attempts in flight at once; retry waits do not hold a slot.
        self.slots = asyncio.Semaphore(max_concurrency)

    async def call(
        self,
        endpoint: Endpoint[T],
        params: Mapping[str, Any],
        options: Mapping[str, Any],
        *,
        body: Any = None,
    ) -> T:
        """Call ``endpoint`` and return its result structured into ``endpoint.returns``."""
        request = self.builder.build(endpoint, params, options, body=body)
        return _structured(endpoint, request, await self.send(request))

    def paginate(
        self,
        page_type: type[PageT],
        endpoint: Endpoint[T],
        params: Mapping[str, Any],
        options: Mapping[str, Any],
    ) -> AsyncPaginator[T, PageT]:
        """A paginator over ``endpoint``; arguments are checked now, nothing is sent yet."""
        return AsyncPaginator(
            page_type, self, endpoint, self.builder.build(endpoint, params, options)
        )

    def derive(self, *, builder: RequestBuilder, retry: RetryPolicy) -> Core:
        """A core with other request defaults, sharing everything else with this one."""
        core = copy.copy(self)
        core.builder = builder
        core.retry = retry
        return core

    def send(self, request: Request) -> Coroutine[Any, Any, Envelope]:
        """Send ``request``, retrying per the policy, and return the decoded envelope.

        Raises:
            APIError: the last attempt's failure, with ``attempts`` set.
            DeadlineExceededError: ``request.deadline`` passed first.
        """
        # Without a deadline, no coroutine layer more per call.
        if request.deadline is None:
            return self._send(request, _Progress())
        return self._send_by_deadline(request, request.deadline)

    async def _send_by_deadline(self, request: Request, deadline: float) -> Envelope:
        progress = _Progress()
        scope = asyncio.timeout(deadline)
        try:
            async with scope:
                return await self._send(request, progress)
        except TimeoutError:
            if not scope.expired():
                raise
            raise DeadlineExceededError(
                method=request.method,
                url=str(request.url),
                deadline=deadline,
                waiting_for=progress.waiting_for,
                reached_server=progress.reached_server,
                attempts=progress.attempts,
            ) from None

    async def _send(self, request: Request, progress: _Progress) -> Envelope:
        url = request.url
        retry = (
            self.retry
            if request.max_retries is None
            else attrs.evolve(self.retry, max_retries=request.max_retries)
        )
        attempt = 0
        while True:
            attempt += 1
            progress.attempts = attempt
            started = time.perf_counter()
            try:
                progress.stage = _SLOT
                async with self.slots:
                    progress.stage = _LIMITER
                    await self.limiter.acquire_within(retry.max_retry_after)
                    try:
                        progress.sending()
                        response = await self.transport.send(
                            request.method,
                            url,
                            headers=request.headers,
                            body=request.body,
                            timeout=request.timeout,
                        )
                    finally:
                        self.limiter.release()
                    self.limiter.observe(response.headers)
                envelope = decode_response(
                    response,
                    method=request.method,
                    url=url,
                    redact=self.credentials.redact,
                    carries_secret=request.carries_secret,
                )
            except RateLimitPausedError as paused:
                raise _refused(request, retry, paused, sent=attempt - 1) from None
            except APIError as error:
                progress.failed(error)
                delay = retry.delay_before_retry(
                    error, idempotent=request.idempotent, attempt=attempt
                )
                if delay is None:
                    error.attempts = attempt
                    if isinstance(error, RateLimitError) and error.retry_after is not None:
                        # Not waited out here, yet every other request would
                        # meet the same lockout: they are held too.
                        self.limiter.pause(error.retry_after)
                        await self.limiter.share_pause()
                    if logger.isEnabledFor(logging.DEBUG):
                        logger.debug("%s %s failed: %s", request.method, url, error.message)
                    raise
                logger.info(
                    "%s %s: %s; retrying in %.2f s (attempt %d of %d)",
                    request.method,
                    url,
                    error.message,
                    delay,
                    attempt + 1,
                    retry.max_retries + 1,
                )
                progress.stage = _RETRY
                if isinstance(error, RateLimitError):
                    # Everyone waits it out once, together: the retry's
                    # acquire() waits for the pause like every other request.
                    self.limiter.pause(delay)
                else:
                    await _sleep(delay)
                continue
            if logger.isEnabledFor(logging.DEBUG):
                logger.debug(
                    "%s %s -> %d in %.1f ms (cf-ray %s)",
                    request.method,
                    url,
                    envelope.status,
                    (time.perf_counter() - started) * 1000,
                    envelope.ray_id,
                )
            return envelope


def _refused(
    request: Request, retry: RetryPolicy, paused: RateLimitPausedError, *, sent: int
) -> RateLimitError:
    """The error of a request refused unsent: a 429 holds every request longer than a retry waits.

    Such a request would only wait for the lockout to end, or meet it: like
    the 429 that began it, it is the caller's to decide.
    """
    error = RateLimitError(
        f"not sent: a 429 holds this credential's requests for {paused.seconds_left:.0f} s"
        f" more, longer than a retry waits ({retry.max_retry_after:g} s)",
        method=request.method,
        url=str(request.url),
        status_code=429,
        retry_after=paused.seconds_left,
    )
    error.attempts = sent
    return error


class RawResponseCore:
    """The core of a ``with_raw_response`` view of a namespace.

    Its :meth:`call` and :meth:`paginate` are :class:`Core`'s, sending the
    same request through the same :meth:`Core.send` (retries, errors, rate
    limit), but answer with the :class:`AsyncAPIResponse` and structure the
    result only when it is parsed. The namespace's methods are unchanged:
    one view serves every call.
    """

    __slots__ = ("core",)

    def __init__(self, core: Core) -> None:
        self.core = core

    async def call(
        self,
        endpoint: Endpoint[T],
        params: Mapping[str, Any],
        options: Mapping[str, Any],
        *,
        body: Any = None,
    ) -> AsyncAPIResponse[T]:
        """Call ``endpoint``; the response's ``parse()`` is what :meth:`Core.call` returns."""
        request = self.core.builder.build(endpoint, params, options, body=body)
        envelope = await self.core.send(request)
        return _api_response(request, envelope, lambda: _structured(endpoint, request, envelope))

    def paginate(
        self,
        page_type: type[PageT],
        endpoint: Endpoint[T],
        params: Mapping[str, Any],
        options: Mapping[str, Any],
    ) -> Coroutine[Any, Any, AsyncAPIResponse[PageT]]:
        """Fetch the first page; ``parse()`` gives it, and it pages on as any page does.

        Arguments are checked now, as by :meth:`Core.paginate`.
        """
        return self._first_page(
            page_type, endpoint, self.core.builder.build(endpoint, params, options)
        )

    async def _first_page(
        self, page_type: type[PageT], endpoint: Endpoint[Any], request: Request
    ) -> AsyncAPIResponse[PageT]:
        core = self.core
        envelope = await core.send(request)
        return _api_response(
            request, envelope, lambda: page_from(page_type, core, endpoint, request, envelope)
        )


def _api_response(
    request: Request, envelope: Envelope, parse: Callable[[], T]
) -> AsyncAPIResponse[T]:
    return AsyncAPIResponse(HTTPRequest(request.method, request.url), envelope.response, parse)
