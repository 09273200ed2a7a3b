"""``client.accounts.tokens``: account-owned API tokens, their permission
groups and their secrets."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, Unpack

from .._core import Core
from .._endpoint import Endpoint
from .._pagination import AsyncPaginator, AsyncSinglePage, AsyncV4PagePaginationArray
from .._request import RequestOptions
from ..models.permissions import PermissionGroupGetResponse, PermissionGroupListResponse
from ..models.tokens import (
    Token,
    TokenCreateResponse,
    TokenDeleteResponse,
    TokenStatus,
    TokenValue,
    TokenVerifyResponse,
)
from ..params import ConditionInput, TokenPolicyInput
from ._base import RawResponses, Resource

if TYPE_CHECKING:
    from .._raw_api import (
        AsyncPermissionGroupsResourceWithRawResponse,
        AsyncTokensResourceWithRawResponse,
        AsyncValueResourceWithRawResponse,
    )

_PATH = "/accounts/{account_id}/tokens"
_ONE = _PATH + "/{token_id}"
_LIST = Endpoint("GET", _PATH, Token)
_GET = Endpoint("GET", _ONE, Token)
_CREATE = Endpoint("POST", _PATH, TokenCreateResponse, carries_secret=True)
_UPDATE = Endpoint("PUT", _ONE, Token)
_DELETE = Endpoint("DELETE", _ONE, TokenDeleteResponse)
_VERIFY = Endpoint("GET", _PATH + "/verify", TokenVerifyResponse)
_PERMISSION_GROUPS = _PATH + "/permission_groups"
_LIST_PERMISSION_GROUPS = Endpoint("GET", _PERMISSION_GROUPS, PermissionGroupListResponse)
_GET_PERMISSION_GROUPS = Endpoint("GET", _PERMISSION_GROUPS, PermissionGroupGetResponse)
# A PUT, but rolling twice would leave the caller with a dead secret.
_ROLL = Endpoint("PUT", _ONE + "/value", TokenValue, idempotent=False, carries_secret=True)


class PermissionGroupsResource(Resource):
    """The permission groups that account-owned tokens can be given."""

    __slots__ = ()
    with_raw_response: RawResponses[AsyncPermissionGroupsResourceWithRawResponse] = RawResponses()

    def list(
        self,
        *,
        account_id: str,
        name: str | None = None,
        scope: str | None = None,
        **options: Unpack[RequestOptions],
    ) -> AsyncPaginator[PermissionGroupListResponse, AsyncSinglePage[PermissionGroupListResponse]]:
        """List permission groups, in one page (``GET .../tokens/permission_groups``)."""
        params = {"account_id": account_id, "name": name, "scope": scope}
        page = AsyncSinglePage[PermissionGroupListResponse]
        return self._core.paginate(page, _LIST_PERMISSION_GROUPS, params, options)

    async def get(
        self,
        *,
        account_id: str,
        name: str | None = None,
        scope: str | None = None,
        **options: Unpack[RequestOptions],
    ) -> PermissionGroupGetResponse:
        """The permission groups as a plain list (``GET .../tokens/permission_groups``)."""
        params = {"account_id": account_id, "name": name, "scope": scope}
        return await self._core.call(_GET_PERMISSION_GROUPS, params, options)


class ValueResource(Resource):
    """A token's secret."""

    __slots__ = ()
    with_raw_response: RawResponses[AsyncValueResourceWithRawResponse] = RawResponses()

    async def update(
        self,
        token_id: str,
        *,
        account_id: str,
        body: Mapping[str, Any] | None = None,
        **options: Unpack[RequestOptions],
    ) -> TokenValue:
        """Roll a token's secret (``PUT .../tokens/{token_id}/value``) and return the new one.

        ``body`` may be left out: without it, ``{}`` is sent, as with ``body={}``.
        The old secret stops working. Never retried once the request may
        have reached the server. The returned :class:`TokenValue` is a
        ``str`` whose repr hides it.
        """
        params = {"account_id": account_id, "token_id": token_id}
        return await self._core.call(_ROLL, params, options, body=body)


class TokensResource(Resource):
    """List, read, create, change, delete and verify account-owned API tokens."""

    __slots__ = ("permission_groups", "value")
    with_raw_response: RawResponses[AsyncTokensResourceWithRawResponse] = RawResponses()

    def __init__(self, core: Core) -> None:
        super().__init__(core)
        self.permission_groups = PermissionGroupsResource(core)
        self.value = ValueResource(core)

    def list(
        self,
        *,
        account_id: str,
        direction: Literal["asc", "desc"] | None = None,
        include_expired: bool | None = None,
        page: float | None = None,
        per_page: float | None = None,
        **options: Unpack[RequestOptions],
    ) -> AsyncPaginator[Token, AsyncV4PagePaginationArray[Token]]:
        """List an account's tokens (``GET /accounts/{account_id}/tokens``).

        Recently expired tokens are left out unless ``include_expired=True``.
        """
        params = {
            "account_id": account_id,
            "direction": direction,
            "include_expired": include_expired,
            "page": page,
            "per_page": per_page,
        }
        return self._core.paginate(AsyncV4PagePaginationArray[Token], _LIST, params, options)

    async def get(
        self, token_id: str, *, account_id: str, **options: Unpack[RequestOptions]
    ) -> Token:
        """Get one token, without its secret (``GET /accounts/{account_id}/tokens/{token_id}``)."""
        return await self._core.call(
            _GET, {"account_id": account_id, "token_id": token_id}, options
        )

    async def create(
        self,
        *,
        account_id: str,
        name: str,
        policies: Iterable[TokenPolicyInput],
        condition: ConditionInput | None = None,
        expires_on: str | datetime | None = None,
        not_before: str | datetime | None = None,
        **options: Unpack[RequestOptions],
    ) -> TokenCreateResponse:
        """Create a token (``POST /accounts/{account_id}/tokens``). Never retried.

        The response's ``value`` is the secret, shown once; its repr hides it.
        """
        params = {
            "account_id": account_id,
            "name": name,
            "policies": policies,
            "condition": condition,
            "expires_on": expires_on,
            "not_before": not_before,
        }
        return await self._core.call(_CREATE, params, options)

    async def update(
        self,
        token_id: str,
        *,
        account_id: str,
        name: str,
        policies: Iterable[TokenPolicyInput],
        condition: ConditionInput | None = None,
        expires_on: str | datetime | None = None,
        not_before: str | datetime | None = None,
        status: TokenStatus | None = None,
        **options: Unpack[RequestOptions],
    ) -> Token:
        """Change a token (``PUT /accounts/{account_id}/tokens/{token_id}``)."""
        params = {
            "account_id": account_id,
            "token_id": token_id,
            "name": name,
            "policies": policies,
            "condition": condition,
            "expires_on": expires_on,
            "not_before": not_before,
            "status": status,
        }
        return await self._core.call(_UPDATE, params, options)

    async def delete(
        self, token_id: str, *, account_id: str, **options: Unpack[RequestOptions]
    ) -> TokenDeleteResponse:
        """Delete a token (``DELETE /accounts/{account_id}/tokens/{token_id}``)."""
        params = {"account_id": account_id, "token_id": token_id}
        return await self._core.call(_DELETE, params, options)

    async def verify(
        self, *, account_id: str, **options: Unpack[RequestOptions]
    ) -> TokenVerifyResponse:
        """Check the token this client calls with (``GET .../tokens/verify``)."""
        return await self._core.call(_VERIFY, {"account_id": account_id}, options)
