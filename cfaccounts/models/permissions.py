"""Permission groups: shared by member policies, token policies and
``client.accounts.tokens.permission_groups.*``."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import attrs

from ._base import Model

PermissionGroupScope = Literal[
    "com.cloudflare.api.account",
    "com.cloudflare.api.account.zone",
    "com.cloudflare.api.user",
    "com.cloudflare.edge.r2.bucket",
]

PermissionGroupCategory = Literal[
    "developer_platform",
    "ai_and_machine_learning",
    "dns_and_zones",
    "app_security",
    "rules_and_configuration",
    "cloudflare_one_and_zero_trust",
    "analytics_and_logs",
    "network_services",
    "media",
    "email_and_messaging",
    "cache_and_performance",
    "account_and_billing",
    "other",
]
"""The product category of a permission group."""


@attrs.frozen(kw_only=True)
class Meta(Model):
    """A key/value attribute attached to a permission or resource group."""

    key: str | None = None
    value: str | None = None


@attrs.frozen(kw_only=True)
class PermissionGroupMeta(Meta):
    """What the API says about a permission group of a policy.

    ``key`` and ``value`` are the older form; the other fields the current one.
    """

    category: str | None = None
    deprecated: str | None = None
    description: str | None = None
    editable: str | None = None
    eol_at: datetime | None = None
    label: str | None = None
    scopes: str | None = None
    visibility: str | None = None


@attrs.frozen(kw_only=True)
class PermissionGroup(Model):
    """A permission group referenced by a policy."""

    id: str
    meta: PermissionGroupMeta | None = None
    name: str | None = None


@attrs.frozen(kw_only=True)
class PermissionGroupListResponse(Model):
    """A permission group that account-owned tokens can be given."""

    id: str | None = None
    category: PermissionGroupCategory | None = None
    is_selectable: bool | None = None
    name: str | None = None
    scopes: list[PermissionGroupScope] | None = None


@attrs.frozen(kw_only=True)
class PermissionGroupGetResponseItem(PermissionGroupListResponse):
    """One permission group, as ``permission_groups.get`` returns it."""


PermissionGroupGetResponse = list[PermissionGroupGetResponseItem]
"""What ``permission_groups.get`` returns: the matching permission groups."""
