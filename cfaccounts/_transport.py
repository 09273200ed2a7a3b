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
"""

from __future__ import annotations

from collections.abc import Mapping

import aiohttp
from yarl import URL

from ._body import BodyTooLarge, BodyUndecodable, read_body
from ._exceptions import (
    APIConnectionError,
    APIResponseValidationError,
    APITimeoutError,
    ClientClosedError,
)
from ._response import RawResponse


def _no_silent_resend(session: aiohttp.ClientSession) -> aiohttp.ClientSession:
    # A private switch (aiohttp >= 3.11, also used by aiohttp.test_utils);
    # tests/test_fault_matrix.py fails if a token roll is ever sent twice.
    session._retry_connection = False
    return session


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

    def _get_session(self) -> aiohttp.ClientSession:
        if self._closed:
            raise ClientClosedError()
        if self._session is None:
            # aiohttp copies a session's default headers into the headers it
            # sends the proxy, Authorization becoming Proxy-Authorization: with
            # a proxy, the credentials travel with each request only.
            shared = self._shared_headers if self._proxy is None else None
            self._session = _no_silent_resend(aiohttp.ClientSession(headers=shared))
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
        if self._owns_session and self._proxy is None and headers is self._shared_headers:
            headers = {}
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
        """Close the session if this transport created it. Calling it again is harmless."""
        if self._closed:
            return
        self._closed = True
        if self._owns_session and self._session is not None:
            await self._session.close()
