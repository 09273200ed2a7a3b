"""``client.accounts.subscriptions``: what an account is billed for."""

from __future__ import annotations

from typing import TYPE_CHECKING, Unpack

from .._endpoint import Endpoint
from .._pagination import AsyncPaginator, AsyncSinglePage
from .._request import RequestOptions
from ..models.subscriptions import Frequency, Subscription, SubscriptionDeleteResponse
from ..params import RatePlanInput
from ._base import RawResponses, Resource

if TYPE_CHECKING:
    from .._raw_api import AsyncSubscriptionsResourceWithRawResponse

_PATH = "/accounts/{account_id}/subscriptions"
_ONE = _PATH + "/{subscription_identifier}"
_LIST = Endpoint("GET", _PATH, Subscription)
_CREATE = Endpoint("POST", _PATH, Subscription)
_UPDATE = Endpoint("PUT", _ONE, Subscription)
_DELETE = Endpoint("DELETE", _ONE, SubscriptionDeleteResponse)


class SubscriptionsResource(Resource):
    """List, create, change and cancel an account's subscriptions."""

    __slots__ = ()
    with_raw_response: RawResponses[AsyncSubscriptionsResourceWithRawResponse] = RawResponses()

    def get(
        self, *, account_id: str, **options: Unpack[RequestOptions]
    ) -> AsyncPaginator[Subscription, AsyncSinglePage[Subscription]]:
        """List an account's subscriptions, in one page (``GET .../subscriptions``)."""
        params = {"account_id": account_id}
        return self._core.paginate(AsyncSinglePage[Subscription], _LIST, params, options)

    async def create(
        self,
        *,
        account_id: str,
        frequency: Frequency | None = None,
        rate_plan: RatePlanInput | None = None,
        **options: Unpack[RequestOptions],
    ) -> Subscription:
        """Create a subscription (``POST /accounts/{account_id}/subscriptions``). Never retried."""
        params = {"account_id": account_id, "frequency": frequency, "rate_plan": rate_plan}
        return await self._core.call(_CREATE, params, options)

    async def update(
        self,
        subscription_identifier: str,
        *,
        account_id: str,
        frequency: Frequency | None = None,
        rate_plan: RatePlanInput | None = None,
        **options: Unpack[RequestOptions],
    ) -> Subscription:
        """Change a subscription (``PUT .../subscriptions/{subscription_identifier}``)."""
        params = {
            "account_id": account_id,
            "subscription_identifier": subscription_identifier,
            "frequency": frequency,
            "rate_plan": rate_plan,
        }
        return await self._core.call(_UPDATE, params, options)

    async def delete(
        self, subscription_identifier: str, *, account_id: str, **options: Unpack[RequestOptions]
    ) -> SubscriptionDeleteResponse:
        """Cancel a subscription (``DELETE .../subscriptions/{subscription_identifier}``)."""
        params = {"account_id": account_id, "subscription_identifier": subscription_identifier}
        return await self._core.call(_DELETE, params, options)
