"""``client.accounts.logs.audit``: audit logs, version 2."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Literal, Unpack

from .._core import Core
from .._endpoint import Endpoint
from .._pagination import AsyncCursorPaginationAfter, AsyncPaginator
from .._request import RequestOptions
from ..models.audit import AuditListResponse
from ..params import (
    ActionResultFilter,
    ActionTypeFilter,
    ActorContextFilter,
    ActorTypeFilter,
    IntNotFilter,
    NotFilter,
    ResourceScopeFilter,
)
from ._base import RawResponses, Resource

if TYPE_CHECKING:
    from .._raw_api import AsyncAuditResourceWithRawResponse, AsyncLogsResourceWithRawResponse

_LIST = Endpoint("GET", "/accounts/{account_id}/logs/audit", AuditListResponse)


class AuditResource(Resource):
    """An account's audit log."""

    __slots__ = ()
    with_raw_response: RawResponses[AsyncAuditResourceWithRawResponse] = RawResponses()

    def list(
        self,
        *,
        account_id: str,
        before: str | date,
        since: str | date,
        id: NotFilter | None = None,
        account_name: NotFilter | None = None,
        action_result: ActionResultFilter | None = None,
        action_type: ActionTypeFilter | None = None,
        actor_context: ActorContextFilter | None = None,
        actor_email: NotFilter | None = None,
        actor_id: NotFilter | None = None,
        actor_ip_address: NotFilter | None = None,
        actor_token_id: NotFilter | None = None,
        actor_token_name: NotFilter | None = None,
        actor_type: ActorTypeFilter | None = None,
        audit_log_id: NotFilter | None = None,
        cursor: str | None = None,
        direction: Literal["desc", "asc"] | None = None,
        limit: float | None = None,
        product_category: Sequence[str] | None = None,
        raw_cf_rayid: NotFilter | None = None,
        raw_method: NotFilter | None = None,
        raw_status_code: IntNotFilter | None = None,
        raw_uri: NotFilter | None = None,
        resource_id: NotFilter | None = None,
        resource_product: NotFilter | None = None,
        resource_scope: ResourceScopeFilter | None = None,
        resource_type: NotFilter | None = None,
        zone_id: NotFilter | None = None,
        zone_name: NotFilter | None = None,
        **options: Unpack[RequestOptions],
    ) -> AsyncPaginator[AuditListResponse, AsyncCursorPaginationAfter[AuditListResponse]]:
        """List audit-log entries between ``since`` and ``before`` (``GET .../logs/audit``).

        ``before`` and ``since`` take a date (UTC), a datetime (naive ones
        are UTC) or an RFC 3339 string. Each filter leaves out entries
        whose field has one of the given values: ``actor_email={"not":
        ["bot@example.com"]}`` (``not_`` works too). ``product_category``
        keeps the entries of these product categories (``["dns_and_zones"]``),
        on top of any ``resource_product`` filter. ``async for`` follows the
        cursor across every page.
        """
        params = {
            "account_id": account_id,
            "before": before,
            "since": since,
            "id": id,
            "account_name": account_name,
            "action_result": action_result,
            "action_type": action_type,
            "actor_context": actor_context,
            "actor_email": actor_email,
            "actor_id": actor_id,
            "actor_ip_address": actor_ip_address,
            "actor_token_id": actor_token_id,
            "actor_token_name": actor_token_name,
            "actor_type": actor_type,
            "audit_log_id": audit_log_id,
            "cursor": cursor,
            "direction": direction,
            "limit": limit,
            "product_category": product_category,
            "raw_cf_rayid": raw_cf_rayid,
            "raw_method": raw_method,
            "raw_status_code": raw_status_code,
            "raw_uri": raw_uri,
            "resource_id": resource_id,
            "resource_product": resource_product,
            "resource_scope": resource_scope,
            "resource_type": resource_type,
            "zone_id": zone_id,
            "zone_name": zone_name,
        }
        page = AsyncCursorPaginationAfter[AuditListResponse]
        return self._core.paginate(page, _LIST, params, options)


class LogsResource(Resource):
    """An account's logs."""

    __slots__ = ("audit",)
    with_raw_response: RawResponses[AsyncLogsResourceWithRawResponse] = RawResponses()

    def __init__(self, core: Core) -> None:
        super().__init__(core)
        self.audit = AuditResource(core)
