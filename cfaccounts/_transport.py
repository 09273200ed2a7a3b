"""The only module that touches aiohttp: one session, send, receive.

The session is created lazily, inside the running event loop, reused for
every request and closed once. A session passed in by the caller is used as
is and never closed here. The client's own session carries the headers every
request shares, so aiohttp does not merge them into each request again.
aiohttp's exceptions become cfaccounts ones, each marked with whether the
request may have reached the server.

Every request behaves the same whatever the session's settings: it asks
aiohttp not to raise for an error status and not to decompress (the body is
read within the size bound by :mod:`cfaccounts._body`); settings a request
cannot override are refused at construction
(:func:`~cfaccounts._configuration.checked_session`).

aiohttp resends a GET, PUT or DELETE once, silently, when the connection
drops before the response: that would roll a token twice (a PUT that is not
idempotent) and hide attempts from the retry policy, which alone decides
what is sent again. It is turned off on every session used here.

A session belongs to the event loop, and the process, of its first request:
its connections are registered with that loop. Used from any other loop, or
in a forked child, the transport raises :class:`EventLoopMismatchError`
rather than a bare RuntimeError from aiohttp. A session it made is closed
when its loop shuts down (:func:`_closed_with_its_loop`), so a loop that ends
first leaks no connection.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Mapping

import aiohttp
from yarl import URL

from ._body import BodyTooLarge, BodyUndecodable, read_body
from ._exceptions import (
    APIConnectionError,
    APIResponseValidationError,
    APITimeoutError,
    ClientClosedError,
    EventLoopMismatchError,
)
from ._fork import keep_inherited, this_process
from ._response import RawResponse


def _no_silent_resend(session: aiohttp.ClientSession) -> aiohttp.ClientSession:
    # A private switch (aiohttp >= 3.11, also used by aiohttp.test_utils);
    # tests/test_fault_matrix.py fails if a token roll is ever sent twice.
    session._retry_connection = False
    return session


async def _closed_with_its_loop(session: aiohttp.ClientSession) -> AsyncGenerator[None]:
    # asyncio closes every async generator still suspended when its loop shuts
    # down (loop.shutdown_asyncgens(): asyncio.run, asyncio.Runner,
    # pytest-asyncio), on that loop: the one hook a session gets there.
    try:
        yield
    finally:
        await session.close()


class Transport:
    """Sends prepared requests over one :class:`aiohttp.ClientSession`."""

    def __init__(
        self,
        session: aiohttp.ClientSession | None = None,
        *,
        headers: Mapping[str, str],
        max_response_size: int,
        proxy: URL | None = None,
    ) -> None:
        if session is not None:
            _no_silent_resend(session)
        self._session = session
        self._owns_session = session is None
        self._closed = False
        #: The event loop and process the session belongs to, from its first use.
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pid = 0
        #: Closes the session this transport made; suspended until then.
        self._guard: AsyncGenerator[None] | None = None
        #: Every request's headers, unless it adds its own (then it sends them all).
        self._shared_headers = headers
        #: Bytes a response may have, as received and once decompressed.
        self.max_response_size = max_response_size
        #: Passed per request, so a caller's session needs no proxy of its own.
        self._proxy = proxy

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._closed

    async def _session_here(self) -> aiohttp.ClientSession:
        """The session, made on first use; refused outside its loop and process."""
        if self._closed:
            raise ClientClosedError()
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop, self._pid = loop, this_process()
        elif loop is not self._loop or self._pid != this_process():
            raise self._mismatch()
        session = self._session
        if session is None:  # the first request makes it, in its loop
            # aiohttp copies a session's default headers into the headers it
            # sends the proxy, Authorization becoming Proxy-Authorization: with
            # a proxy, the credentials travel with each request only.
            shared = self._shared_headers if self._proxy is None else None
            session = self._session = _no_silent_resend(aiohttp.ClientSession(headers=shared))
            self._guard = _closed_with_its_loop(session)
            await anext(self._guard)
        return session

    def _mismatch(self) -> EventLoopMismatchError:
        if self._pid != this_process():
            what = (
                f"this AsyncCloudflare opened its connections in process {self._pid},"
                " which forked this one; they are that process's. Create a new client"
                " in this process (the sync Cloudflare does so by itself)"
            )
        elif self._loop is not None and self._loop.is_closed():
            what = (
                "this AsyncCloudflare was first used in an event loop that has since"
                " closed (each asyncio.run() makes a new one, as does each test of a"
                " function-scoped pytest-asyncio loop). Create the client inside the loop"
                " that uses it: in the coroutine asyncio.run() runs, or in a fixture with"
                " the tests' loop scope"
            )
        else:
            what = (
                "this AsyncCloudflare is in use by another event loop, which is still"
                " open. Use one client per event loop (per thread that runs one), or"
                " the sync Cloudflare, which any thread can share"
            )
        return EventLoopMismatchError(
            f"{what}. A client and its connections belong to the event loop they are first used in."
        )

    async def send(
        self,
        method: str,
        url: URL,
        *,
        headers: Mapping[str, str],
        body: bytes | None,
        timeout: aiohttp.ClientTimeout,
    ) -> RawResponse:
        """Send one request and read the whole response.

        Raises:
            APITimeoutError: ``timeout`` ran out.
            APIConnectionError: no complete response arrived.
            ClientClosedError: the transport was closed.
        """
        session = await self._session_here()
        if self._owns_session and self._proxy is None and headers is self._shared_headers:
            headers = {}
        started = time.perf_counter()
        try:
            # Redirects are not followed: X-Auth-Key would go wherever they point.
            async with session.request(
                method,
                url,
                headers=headers,
                data=body,
                timeout=timeout,
                allow_redirects=False,
                proxy=self._proxy,
                raise_for_status=False,
                auto_decompress=False,
            ) as response:
                return RawResponse(
                    response.status,
                    response.reason or "",
                    response.headers,
                    await self._read(response, method, url),
                    time.perf_counter() - started,
                )
        except aiohttp.ConnectionTimeoutError as exc:
            raise APITimeoutError(
                f"timed out connecting: {exc}", method=method, url=str(url), reached_server=False
            ) from exc
        except TimeoutError as exc:
            raise APITimeoutError(
                "timed out waiting for the response",
                method=method,
                url=str(url),
                reached_server=True,
            ) from exc
        except (aiohttp.ClientSSLError, aiohttp.ServerFingerprintMismatch) as exc:
            # Trying again cannot help: the certificate will be the same.
            raise APIConnectionError(
                f"TLS handshake failed: {exc}",
                method=method,
                url=str(url),
                reached_server=False,
                retryable=False,
            ) from exc
        except aiohttp.ClientConnectorError as exc:
            raise APIConnectionError(
                f"could not connect: {exc}", method=method, url=str(url), reached_server=False
            ) from exc
        except ValueError as exc:
            # aiohttp refused to build the request (an invalid URL, a header
            # it cannot encode): nothing was sent, and nothing would be.
            raise APIConnectionError(
                f"could not send the request: {type(exc).__name__}: {exc}",
                method=method,
                url=str(url),
                reached_server=False,
                retryable=False,
            ) from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise APIConnectionError(
                f"connection failed: {type(exc).__name__}: {exc}",
                method=method,
                url=str(url),
                reached_server=True,
            ) from exc

    async def _read(self, response: aiohttp.ClientResponse, method: str, url: URL) -> bytes:
        """The body, decompressed, within :attr:`max_response_size`.

        Raises:
            APIResponseValidationError: too large, or not decodable; the
                connection is dropped, not reused with a body left unread.
        """
        try:
            return await read_body(
                response.content.iter_any(),
                content_encoding=response.headers.get("Content-Encoding", ""),
                content_length=response.content_length,
                limit=self.max_response_size,
            )
        except (BodyTooLarge, BodyUndecodable) as exc:
            response.close()
            too_large = isinstance(exc, BodyTooLarge)
            raise APIResponseValidationError(
                f"HTTP {response.status} but {exc}"
                + (f" (max_response_size is {self.max_response_size})" if too_large else ""),
                method=method,
                url=str(url),
                status_code=response.status,
                ray_id=response.headers.get("cf-ray"),
            ) from None

    async def close(self) -> None:
        """Close the session if this transport made it. Calling it again is harmless.

        Raises:
            EventLoopMismatchError: called from an event loop other than the
                session's while that one is still open; close it from there.
        """
        if self._closed:
            return
        guard, loop = self._guard, self._loop
        inherited = self._pid != this_process()
        if guard is None or loop is None:  # no session made here (none yet, or the caller's)
            self._closed = True
            return
        if not inherited and not loop.is_closed() and loop is not asyncio.get_running_loop():
            raise self._mismatch()
        self._closed = True
        if inherited:
            keep_inherited(guard, self._session)
        elif not loop.is_closed():
            await guard.aclose()
        # else its loop has shut down, and closed the session on the way
