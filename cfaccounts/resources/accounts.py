"""``client.accounts``: accounts, and every namespace below them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, Unpack

from .._core import Core
from .._endpoint import Endpoint
from .._pagination import AsyncPaginator, AsyncV4PagePaginationArray
from .._request import RequestOptions
from ..models.accounts import Account, AccountDeleteResponse, AccountType
from ..params import ManagedByInput, SettingsInput, TenantUnitParam
from ._base import RawResponses, Resource

if TYPE_CHECKING:
    from .._raw_api import AsyncAccountsResourceWithRawResponse
from .logs import LogsResource
from .members import MembersResource
from .roles import RolesResource
from .subscriptions import SubscriptionsResource
from .tokens import TokensResource

_LIST = Endpoint("GET", "/accounts", Account)
_GET = Endpoint("GET", "/accounts/{account_id}", Account)
_CREATE = Endpoint("POST", "/accounts", Account, takes_idempotency_key=True)
_UPDATE = Endpoint("PUT", "/accounts/{account_id}", Account)
_DELETE = Endpoint("DELETE", "/accounts/{account_id}", AccountDeleteResponse)


class AccountsResource(Resource):
    """Accounts, and their ``members``, ``roles``, ``subscriptions``, ``tokens`` and ``logs``."""

    __slots__ = ("logs", "members", "roles", "subscriptions", "tokens")
    with_raw_response: RawResponses[AsyncAccountsResourceWithRawResponse] = RawResponses()

    def __init__(self, core: Core) -> None:
        super().__init__(core)
        self.members = MembersResource(core)
        self.roles = RolesResource(core)
        self.subscriptions = SubscriptionsResource(core)
        self.tokens = TokensResource(core)
        self.logs = LogsResource(core)

    def list(
        self,
        *,
        direction: Literal["asc", "desc"] | None = None,
        name: str | None = None,
        page: float | None = None,
        per_page: float | None = None,
        **options: Unpack[RequestOptions],
    ) -> AsyncPaginator[Account, AsyncV4PagePaginationArray[Account]]:
        """List the accounts the credential can access (``GET /accounts``)."""
        params = {"direction": direction, "name": name, "page": page, "per_page": per_page}
        return self._core.paginate(AsyncV4PagePaginationArray[Account], _LIST, params, options)

    async def get(self, *, account_id: str, **options: Unpack[RequestOptions]) -> Account:
        """Get one account (``GET /accounts/{account_id}``)."""
        return await self._core.call(_GET, {"account_id": account_id}, options)

    async def create(
        self,
        *,
        name: str,
        standalone: Literal[True] | None = None,
        type: AccountType | None = None,
        unit: TenantUnitParam | None = None,
        idempotency_key: str | None = None,
        **options: Unpack[RequestOptions],
    ) -> Account:
        """Create an account, for tenant admins (``POST /accounts``).

        Give ``unit`` to create it in an organization, or ``standalone=True``
        for a standalone free account. Without an ``idempotency_key`` it is
        not retried once the request may have reached the server; with one
        (sent as the ``Idempotency-Key`` header, which the API answers a
        repeat of with the first result) it is retried like a GET.
        """
        params = {
            "name": name,
            "standalone": standalone,
            "type": type,
            "unit": unit,
            "idempotency_key": idempotency_key,
        }
        return await self._core.call(_CREATE, params, options)

    async def update(
        self,
        *,
        account_id: str,
        id: str,
        name: str,
        type: AccountType,
        managed_by: ManagedByInput | None = None,
        settings: SettingsInput | None = None,
        **options: Unpack[RequestOptions],
    ) -> Account:
        """Change an account (``PUT /accounts/{account_id}``).

        ``managed_by`` is read-only: it is accepted, as the reference has it,
        and not sent.
        """
        params = {
            "account_id": account_id,
            "id": id,
            "name": name,
            "type": type,
            "settings": settings,
        }
        return await self._core.call(_UPDATE, params, options)

    async def delete(
        self, *, account_id: str, **options: Unpack[RequestOptions]
    ) -> AccountDeleteResponse:
        """Delete an account and all in it, for tenant admins (``DELETE .../{account_id}``)."""
        return await self._core.call(_DELETE, {"account_id": account_id}, options)
