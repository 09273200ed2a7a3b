"""cfaccounts: an async-first, fully typed SDK for the Cloudflare Accounts API.

>>> from cfaccounts import AsyncCloudflare
>>> async with AsyncCloudflare() as client:          # doctest: +SKIP
...     async for member in client.accounts.members.list(account_id="..."):
...         print(member.email)
"""

from ._api_response import APIResponse, AsyncAPIResponse
from ._client import AsyncCloudflare
from ._exceptions import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ClientClosedError,
    CloudflareError,
    ConfigurationError,
    ConflictError,
    CredentialsError,
    DeadlineExceededError,
    EventLoopMismatchError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RateLimitPausedError,
    RateLimitStoreError,
    UnprocessableEntityError,
)
from ._limiter import LEARN, BaseRateLimiter, QuotaStatus, RateLimiter
from ._pagination import (
    AsyncCursorPaginationAfter,
    AsyncPaginator,
    AsyncSinglePage,
    AsyncV4PagePaginationArray,
    BasePage,
)
from ._ratelimit import CLOUDFLARE_RATE_LIMIT, RateLimit
from ._request import RequestOptions
from ._sync import Cloudflare, SyncPage
from ._version import __version__

__all__ = [
    "CLOUDFLARE_RATE_LIMIT",
    "LEARN",
    "APIConnectionError",
    "APIError",
    "APIResponse",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncAPIResponse",
    "AsyncCloudflare",
    "AsyncCursorPaginationAfter",
    "AsyncPaginator",
    "AsyncSinglePage",
    "AsyncV4PagePaginationArray",
    "AuthenticationError",
    "BadRequestError",
    "BasePage",
    "BaseRateLimiter",
    "ClientClosedError",
    "Cloudflare",
    "CloudflareError",
    "ConfigurationError",
    "ConflictError",
    "CredentialsError",
    "DeadlineExceededError",
    "EventLoopMismatchError",
    "InternalServerError",
    "NotFoundError",
    "PermissionDeniedError",
    "QuotaStatus",
    "RateLimit",
    "RateLimitError",
    "RateLimitPausedError",
    "RateLimitStoreError",
    "RateLimiter",
    "RequestOptions",
    "SyncPage",
    "UnprocessableEntityError",
    "__version__",
]
