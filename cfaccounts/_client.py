"""``AsyncCloudflare``: configuration, credentials and the ``accounts`` namespace."""

from __future__ import annotations

import copy
import enum
import os
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any, Final, Self, TypedDict, TypeVar

import aiohttp
import attrs

from ._body import ACCEPT_ENCODING, DEFAULT_MAX_RESPONSE_SIZE
from ._configuration import checked_base_url, checked_session, checked_size
from ._core import Core
from ._credentials import Credentials, environment_credentials, resolve_credentials
from ._exceptions import ConfigurationError
from ._limiter import LEARN, BaseRateLimiter, RateLimiter, RateLimitSetting
from ._logging import configure_from_env
from ._proxy import ProxySetting, resolve_proxy
from ._request import (
    RequestBuilder,
    as_client_timeout,
    checked_deadline,
    checked_headers,
    checked_max_retries,
)
from ._retry import RetryPolicy
from ._secrets import conceal, conceal_headers
from ._transport import Transport
from ._version import __version__
from .resources.accounts import AccountsResource

DEFAULT_BASE_URL = "https://api.cloudflare.com/client/v4"
A = TypeVar("A")
R = TypeVar("R")


class _Unset(enum.Enum):
    # "Not given", where None means something (deadline=None: no deadline).
    UNSET = enum.auto()


_UNSET: Final = _Unset.UNSET


class ClientOptions(TypedDict, total=False):
    """The constructor arguments the sync and async clients share."""

    api_token: str | None
    api_key: str | None
    api_email: str | None
    user_service_key: str | None
    base_url: str | None
    timeout: float | aiohttp.ClientTimeout
    max_retries: int
    deadline: float | None
    default_headers: Mapping[str, str] | None
    default_query: Mapping[str, object] | None
    rate_limit: RateLimitSetting | BaseRateLimiter
    max_concurrency: int
    proxy: ProxySetting
    max_response_size: int


class ClientCopyOptions(TypedDict, total=False):
    """What :meth:`AsyncCloudflare.with_options` may change."""

    timeout: float | aiohttp.ClientTimeout
    max_retries: int
    deadline: float | None
    default_headers: Mapping[str, str]
    default_query: Mapping[str, object]


ENV_BASE_URL = "CLOUDFLARE_BASE_URL"


def concealed(options: ClientOptions) -> ClientOptions:
    """``options`` with its credentials as Secrets, for a frame that holds them."""
    return {
        **options,
        "api_token": conceal(options.get("api_token")),
        "api_key": conceal(options.get("api_key")),
        "user_service_key": conceal(options.get("user_service_key")),
    }


def _configured(check: Callable[[A], R], value: A) -> R:
    """``check(value)``, its failure raised as a ConfigurationError (a ValueError)."""
    try:
        return check(value)
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(str(exc)) from None


class AsyncCloudflare:
    """An async client for the Cloudflare Accounts API.

    Args:
        api_token: an API token (``CLOUDFLARE_API_TOKEN``).
        api_key: a global API key (``CLOUDFLARE_API_KEY``); needs ``api_email``.
        api_email: the email of the key's user (``CLOUDFLARE_EMAIL``).
        user_service_key: a user service key (``CLOUDFLARE_API_USER_SERVICE_KEY``).
        base_url: the API root (``CLOUDFLARE_BASE_URL``, else
            ``https://api.cloudflare.com/client/v4``).
        timeout: seconds per attempt (each retry has its own), or an
            :class:`aiohttp.ClientTimeout`; overridable per call.
        max_retries: retries after a transient failure (see the README);
            overridable per call.
        deadline: seconds a whole call may take, waits for the rate limiter
            and before retries included, or ``None`` (the default) for no
            bound; overridable per call. Past it,
            :class:`DeadlineExceededError` says what the call was waiting for.
        default_headers: headers sent with every request.
        default_query: query parameters sent with every request.
        rate_limit: how to pace requests (see :class:`RateLimiter` and
            the quotas page): ``"learn"`` (the default) follows the quota
            and remaining budget the API's ``Ratelimit`` headers state,
            assuming 1,200 per 300 s until the first answer; a
            :class:`RateLimit` is enforced as well as the headers (the
            stricter wins); ``None`` paces by the headers alone. Pass one
            limiter (a :class:`RateLimiter`, or a
            :class:`~cfaccounts.ratelimit_redis.RedisRateLimiter` for a
            fleet) to clients that share a credential to pace them
            together. Either way, a 429 pauses every request of the
            client for its ``Retry-After``, once, together.
        max_concurrency: requests in flight at once, at most.
        proxy: an HTTP proxy URL to send every request through. ``None``
            (the default) uses the environment's ``HTTPS_PROXY`` /
            ``HTTP_PROXY`` unless ``NO_PROXY`` exempts the base URL's host;
            ``False`` connects directly whatever the environment says.
            ``~/.netrc`` is never read.
        max_response_size: bytes a response may have, both as received and
            once decompressed (64 MiB by default); a larger one raises
            :class:`APIResponseValidationError` and its connection is dropped.
        session: an :class:`aiohttp.ClientSession` to use; it stays the
            caller's to close. Without one, the client creates its own on
            first use and closes it in :meth:`close`. aiohttp's own silent
            resend of a PUT or DELETE after a dropped connection is turned
            off on it: it would roll a token twice.

    Raises:
        CredentialsError: credentials are missing, incomplete, ambiguous or
            hold a control character (checked here, not at the first request).
        ConfigurationError: ``base_url`` is not an absolute http(s) URL
            with a host and without user information, query or fragment;
            ``session`` has a ``base_url``, ``trust_env=True`` or ``auth``;
            ``timeout``, ``deadline``, ``max_retries``, ``max_response_size``
            or ``default_headers`` is not a valid value; ``CLOUDFLARE_LOG``
            names no known level; the proxy URL is malformed.

    Use it as ``async with AsyncCloudflare() as client:``, or call
    :meth:`close` when done.
    """

    def __init__(
        self,
        *,
        api_token: str | None = None,
        api_key: str | None = None,
        api_email: str | None = None,
        user_service_key: str | None = None,
        base_url: str | None = None,
        timeout: float | aiohttp.ClientTimeout = 60.0,
        max_retries: int = 2,
        deadline: float | None = None,
        default_headers: Mapping[str, str] | None = None,
        default_query: Mapping[str, object] | None = None,
        rate_limit: RateLimitSetting | BaseRateLimiter = LEARN,
        max_concurrency: int = 50,
        proxy: ProxySetting = None,
        max_response_size: int = DEFAULT_MAX_RESPONSE_SIZE,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        # Rebound first: this frame's locals then never show a secret in a
        # traceback, whatever fails below.
        api_token, api_key, user_service_key = (
            conceal(api_token),
            conceal(api_key),
            conceal(user_service_key),
        )
        configure_from_env()
        self._credentials: Credentials = resolve_credentials(
            api_token=api_token,
            api_key=api_key,
            api_email=api_email,
            user_service_key=user_service_key,
            environ=environment_credentials(os.environ),
        )
        if isinstance(max_concurrency, bool) or not isinstance(max_concurrency, int):
            raise TypeError(f"max_concurrency must be an int, got {max_concurrency!r}")
        if max_concurrency < 1:
            raise ValueError(f"max_concurrency must be at least 1, got {max_concurrency}")
        if base_url:
            self.base_url = checked_base_url(base_url, name="base_url")
        else:
            from_env = os.environ.get(ENV_BASE_URL)
            self.base_url = (
                checked_base_url(from_env, name=ENV_BASE_URL) if from_env else DEFAULT_BASE_URL
            )
        if session is not None:
            checked_session(session)
        headers = {
            "Accept": "application/json",
            "Accept-Encoding": ACCEPT_ENCODING,
            "User-Agent": f"cfaccounts/{__version__}",
            **conceal_headers(
                checked_headers(default_headers, name="default_headers", error=ConfigurationError)
            ),
            **self._credentials.headers,
        }
        self._core = Core(
            builder=RequestBuilder(
                base_url=self.base_url,
                headers=headers,
                default_query=dict(default_query or {}),
                timeout=_configured(as_client_timeout, timeout),
                deadline=_configured(checked_deadline, deadline),
            ),
            transport=Transport(
                session,
                headers=headers,
                max_response_size=checked_size(max_response_size, name="max_response_size"),
                proxy=resolve_proxy(self.base_url, proxy),
            ),
            retry=RetryPolicy(max_retries=_configured(checked_max_retries, max_retries)),
            credentials=self._credentials,
            limiter=(
                rate_limit if isinstance(rate_limit, BaseRateLimiter) else RateLimiter(rate_limit)
            ),
            max_concurrency=max_concurrency,
        )
        self.accounts = AccountsResource(self._core)
        #: The client a :meth:`with_options` copy was made from (it owns the session).
        self._original: AsyncCloudflare | None = None

    def with_options(
        self,
        *,
        timeout: float | aiohttp.ClientTimeout | None = None,
        max_retries: int | None = None,
        deadline: float | _Unset | None = _UNSET,
        default_headers: Mapping[str, str] | None = None,
        default_query: Mapping[str, object] | None = None,
    ) -> Self:
        """A copy of this client with other defaults for its calls.

        The copy shares this client's credentials, session, rate limiter and
        concurrency bound; headers and query parameters given here are added
        to this client's. Closing the copy closes nothing: the original
        owns the session (and the copy keeps the original alive).

        Raises:
            TypeError, ValueError: a value that is not valid for the option.
        """
        core = self._core
        builder = core.builder
        changes: dict[str, Any] = {}
        if timeout is not None:
            changes["timeout"] = as_client_timeout(timeout)
        if not isinstance(deadline, _Unset):
            changes["deadline"] = checked_deadline(deadline)
        if default_headers:
            headers = checked_headers(default_headers, name="default_headers")
            changes["headers"] = {**builder.headers, **conceal_headers(headers)}
        if default_query:
            changes["default_query"] = {**builder.default_query, **default_query}
        retry = core.retry
        if max_retries is not None:
            retry = attrs.evolve(retry, max_retries=checked_max_retries(max_retries))
        clone = copy.copy(self)
        clone._core = core.derive(builder=attrs.evolve(builder, **changes), retry=retry)
        clone.accounts = AccountsResource(clone._core)
        clone._original = self._original or self
        return clone

    @property
    def credential_kind(self) -> str:
        """The kind of credential in use: ``api_token``, ``api_key`` or ``user_service_key``."""
        return self._credentials.kind

    @property
    def max_retries(self) -> int:
        """How many times a transient failure is retried."""
        return self._core.retry.max_retries

    @property
    def rate_limiter(self) -> BaseRateLimiter:
        """The limiter pacing this client; its counters say how much it waited."""
        return self._core.limiter

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._core.transport.closed

    def __repr__(self) -> str:
        if not hasattr(self, "_core"):  # construction failed: a traceback shows it too
            return "<AsyncCloudflare (not constructed)>"
        state = " closed" if self.closed else ""
        return f"<AsyncCloudflare {self.base_url} credential={self.credential_kind}{state}>"

    async def close(self) -> None:
        """Close the HTTP session this client created. Calling it again is harmless.

        A :meth:`with_options` copy closes nothing: its original owns the session.
        The rate limiter lets go of what it holds on this event loop (a Redis
        connection); a limiter shared with other clients goes on serving them.
        """
        if self._original is None:
            await self._core.transport.close()
            await self._core.limiter.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()
