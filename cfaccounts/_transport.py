"""The only module that touches aiohttp: one session, send, receive.

The session is created lazily, inside the running event loop, reused for
every request and closed once. A session passed in by the caller is used as
is and never closed here. The client's own session carries the headers every
request shares, so aiohttp does not merge them into each request again.
aiohttp's exceptions become cfaccounts ones, each marked with whether the
request may have reached the server.

aiohttp resends a GET, PUT or DELETE once, silently, when the connection
drops before the response: that would roll a token twice (a PUT that is not
idempotent) and hide attempts from the retry policy, which alone decides
what is sent again. It is turned off on every session used here.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

import aiohttp
from yarl import URL

from ._exceptions import APIConnectionError, APITimeoutError, ClientClosedError
from ._response import RawResponse


def _no_silent_resend(session: aiohttp.ClientSession) -> aiohttp.ClientSession:
    # A private switch (aiohttp >= 3.11, also used by aiohttp.test_utils);
    # tests/test_fault_matrix.py fails if a token roll is ever sent twice.
    session._retry_connection = False
    return session


class Transport:
    """Sends prepared requests over one :class:`aiohttp.ClientSession`."""

    def __init__(
        self, session: aiohttp.ClientSession | None = None, *, headers: Mapping[str, str]
    ) -> None:
        if session is not None:
            _no_silent_resend(session)
        self._session = session
        self._owns_session = session is None
        self._closed = False
        #: Every request's headers, unless it adds its own (then it sends them all).
        self._shared_headers = headers

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._closed

    def _get_session(self) -> aiohttp.ClientSession:
        if self._closed:
            raise ClientClosedError()
        if self._session is None:
            self._session = _no_silent_resend(aiohttp.ClientSession(headers=self._shared_headers))
        return self._session

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
        session = self._get_session()
        if self._owns_session and headers is self._shared_headers:
            headers = {}
        started = time.perf_counter()
        try:
            # Redirects are not followed: X-Auth-Key would go wherever they point.
            async with session.request(
                method, url, headers=headers, data=body, timeout=timeout, allow_redirects=False
            ) as response:
                content = await response.read()
                return RawResponse(
                    response.status,
                    response.reason or "",
                    response.headers,
                    content,
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
        except aiohttp.ClientConnectorError as exc:
            raise APIConnectionError(
                f"could not connect: {exc}", method=method, url=str(url), reached_server=False
            ) from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise APIConnectionError(
                f"connection failed: {type(exc).__name__}: {exc}",
                method=method,
                url=str(url),
                reached_server=True,
            ) from exc

    async def close(self) -> None:
        """Close the session if this transport created it. Calling it again is harmless."""
        if self._closed:
            return
        self._closed = True
        if self._owns_session and self._session is not None:
            await self._session.close()
