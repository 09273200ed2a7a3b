"""``client.accounts.roles``: the roles members can be given."""

from __future__ import annotations

from typing import TYPE_CHECKING, Unpack

from .._endpoint import Endpoint
from .._pagination import AsyncPaginator, AsyncV4PagePaginationArray
from .._request import RequestOptions
from ..models.roles import Role
from ._base import RawResponses, Resource

if TYPE_CHECKING:
    from .._raw_api import AsyncRolesResourceWithRawResponse

_LIST = Endpoint("GET", "/accounts/{account_id}/roles", Role)
_GET = Endpoint("GET", "/accounts/{account_id}/roles/{role_id}", Role)


class RolesResource(Resource):
    """List and read the roles available in an account."""

    __slots__ = ()
    with_raw_response: RawResponses[AsyncRolesResourceWithRawResponse] = RawResponses()

    def list(
        self,
        *,
        account_id: str,
        page: float | None = None,
        per_page: float | None = None,
        **options: Unpack[RequestOptions],
    ) -> AsyncPaginator[Role, AsyncV4PagePaginationArray[Role]]:
        """List the roles of an account (``GET /accounts/{account_id}/roles``)."""
        params = {"account_id": account_id, "page": page, "per_page": per_page}
        return self._core.paginate(AsyncV4PagePaginationArray[Role], _LIST, params, options)

    async def get(
        self, role_id: str, *, account_id: str, **options: Unpack[RequestOptions]
    ) -> Role:
        """Get one role (``GET /accounts/{account_id}/roles/{role_id}``)."""
        return await self._core.call(_GET, {"account_id": account_id, "role_id": role_id}, options)
