"""Subscriptions: ``client.accounts.subscriptions.*``."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import attrs

from ._base import Model

Frequency = Literal["weekly", "monthly", "quarterly", "yearly"]
RatePlanID = Literal[
    "free",
    "lite",
    "pro",
    "pro_plus",
    "business",
    "enterprise",
    "partners_free",
    "partners_pro",
    "partners_business",
    "partners_enterprise",
]
SubscriptionState = Literal[
    "Trial", "Provisioned", "Paid", "AwaitingPayment", "Cancelled", "Failed", "Expired"
]


@attrs.frozen(kw_only=True)
class RatePlan(Model):
    """The rate plan a subscription is billed on."""

    id: RatePlanID | None = None
    currency: str | None = None
    externally_managed: bool | None = None
    is_contract: bool | None = None
    public_name: str | None = None
    scope: str | None = None
    sets: list[str] | None = None


@attrs.frozen(kw_only=True)
class Subscription(Model):
    """An account subscription."""

    id: str | None = None
    currency: str | None = None
    current_period_end: datetime | None = None
    current_period_start: datetime | None = None
    frequency: Frequency | None = None
    price: float | None = None
    rate_plan: RatePlan | None = None
    state: SubscriptionState | None = None


@attrs.frozen(kw_only=True)
class SubscriptionDeleteResponse(Model):
    """What ``subscriptions.delete`` returns."""

    subscription_id: str | None = None
