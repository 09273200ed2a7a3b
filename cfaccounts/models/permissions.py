"""Permission groups: shared by member policies, token policies and
``client.accounts.tokens.permission_groups.*``."""

from __future__ import annotations

from typing import Literal

import attrs

from ._base import Model

PermissionGroupScope = Literal[
    "com.cloudflare.api.account",
    "com.cloudflare.api.account.zone",
    "com.cloudflare.api.user",
    "com.cloudflare.edge.r2.bucket",
]


@attrs.frozen(kw_only=True)
class Meta(Model):
    """A key/value attribute attached to a permission or resource group."""

    key: str | None = None
    value: str | None = None


@attrs.frozen(kw_only=True)
class PermissionGroup(Model):
    """A permission group referenced by a policy."""

    id: str
    meta: Meta | None = None
    name: str | None = None


@attrs.frozen(kw_only=True)
class PermissionGroupListResponse(Model):
    """A permission group that account-owned tokens can be given."""

    id: str | None = None
    name: str | None = None
    scopes: list[PermissionGroupScope] | None = None


PermissionGroupGetResponseItem = PermissionGroupListResponse
"""One permission group, as ``permission_groups.get`` returns it."""
PermissionGroupGetResponse = list[PermissionGroupGetResponseItem]
"""What ``permission_groups.get`` returns: the matching permission groups."""
