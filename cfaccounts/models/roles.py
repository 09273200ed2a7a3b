"""Roles: ``client.accounts.roles.*``, also embedded in members."""

from __future__ import annotations

import attrs

from ._base import Model


@attrs.frozen(kw_only=True)
class PermissionGrant(Model):
    """Whether a role may read and/or write one area of the account."""

    read: bool | None = None
    write: bool | None = None


@attrs.frozen(kw_only=True)
class Permissions(Model):
    """What a role grants, area by area."""

    analytics: PermissionGrant | None = None
    billing: PermissionGrant | None = None
    cache_purge: PermissionGrant | None = None
    dns: PermissionGrant | None = None
    dns_records: PermissionGrant | None = None
    lb: PermissionGrant | None = None
    logs: PermissionGrant | None = None
    organization: PermissionGrant | None = None
    ssl: PermissionGrant | None = None
    waf: PermissionGrant | None = None
    zone_settings: PermissionGrant | None = None
    zones: PermissionGrant | None = None


@attrs.frozen(kw_only=True)
class Role(Model):
    """An account role, such as "Administrator"."""

    id: str
    description: str
    name: str
    permissions: Permissions
