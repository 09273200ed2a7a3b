"""``client.accounts.members``: who belongs to an account."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Literal, Unpack

from .._endpoint import Endpoint
from .._pagination import AsyncPaginator, AsyncV4PagePaginationArray
from .._request import RequestOptions
from ..models.members import Member, MemberDeleteResponse
from ..models.roles import Role
from ..params import MemberPolicyInput, RoleInput, RoleParam
from ._base import RawResponses, Resource

if TYPE_CHECKING:
    from .._raw_api import AsyncMembersResourceWithRawResponse

_LIST = Endpoint("GET", "/accounts/{account_id}/members", Member)
_GET = Endpoint("GET", "/accounts/{account_id}/members/{member_id}", Member)
_CREATE = Endpoint("POST", "/accounts/{account_id}/members", Member)
_UPDATE = Endpoint("PUT", "/accounts/{account_id}/members/{member_id}", Member)
_DELETE = Endpoint("DELETE", "/accounts/{account_id}/members/{member_id}", MemberDeleteResponse)


def _role_reference(role: RoleInput) -> RoleParam:
    # A role's name, description and permissions are the API's to say.
    return {"id": role.id} if isinstance(role, Role) else role


class MembersResource(Resource):
    """List, read, invite, change and remove the members of an account."""

    __slots__ = ()
    with_raw_response: RawResponses[AsyncMembersResourceWithRawResponse] = RawResponses()

    def list(
        self,
        *,
        account_id: str,
        direction: Literal["asc", "desc"] | None = None,
        order: Literal["user.first_name", "user.last_name", "user.email", "status"] | None = None,
        page: float | None = None,
        per_page: float | None = None,
        status: Literal["accepted", "pending", "rejected"] | None = None,
        **options: Unpack[RequestOptions],
    ) -> AsyncPaginator[Member, AsyncV4PagePaginationArray[Member]]:
        """List the members of an account (``GET /accounts/{account_id}/members``).

        Await the result for the first page, or ``async for`` over it for
        every member across pages.
        """
        params = {
            "account_id": account_id,
            "direction": direction,
            "order": order,
            "page": page,
            "per_page": per_page,
            "status": status,
        }
        return self._core.paginate(AsyncV4PagePaginationArray[Member], _LIST, params, options)

    async def get(
        self, member_id: str, *, account_id: str, **options: Unpack[RequestOptions]
    ) -> Member:
        """Get one member (``GET /accounts/{account_id}/members/{member_id}``)."""
        params = {"account_id": account_id, "member_id": member_id}
        return await self._core.call(_GET, params, options)

    async def create(
        self,
        *,
        account_id: str,
        email: str,
        roles: Sequence[str] | None = None,
        policies: Iterable[MemberPolicyInput] | None = None,
        status: Literal["accepted", "pending"] | None = None,
        **options: Unpack[RequestOptions],
    ) -> Member:
        """Invite a user to an account (``POST /accounts/{account_id}/members``).

        Give either ``roles`` (role ids) or ``policies``. Not retried once
        the request may have reached the server: it would invite twice.
        """
        params = {
            "account_id": account_id,
            "email": email,
            "roles": roles,
            "policies": policies,
            "status": status,
        }
        return await self._core.call(_CREATE, params, options)

    async def update(
        self,
        member_id: str,
        *,
        account_id: str,
        roles: Iterable[RoleInput] | None = None,
        policies: Iterable[MemberPolicyInput] | None = None,
        **options: Unpack[RequestOptions],
    ) -> Member:
        """Change a member's roles or policies (``PUT .../members/{member_id}``).

        A :class:`Role` read from the API is sent as its ``id`` alone, as the API
        expects; a dict is sent as given.
        """
        params = {
            "account_id": account_id,
            "member_id": member_id,
            "roles": None if roles is None else [_role_reference(role) for role in roles],
            "policies": policies,
        }
        return await self._core.call(_UPDATE, params, options)

    async def delete(
        self, member_id: str, *, account_id: str, **options: Unpack[RequestOptions]
    ) -> MemberDeleteResponse:
        """Remove a member (``DELETE /accounts/{account_id}/members/{member_id}``)."""
        params = {"account_id": account_id, "member_id": member_id}
        return await self._core.call(_DELETE, params, options)
