"""Audit logs (version 2): ``client.accounts.logs.audit.list``."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import attrs

from ._base import Model

ActorContext = Literal["api", "api_key", "api_token", "dash", "oauth", "origin_ca_key"]
"""How an audited action was authenticated (``api``: through the API, credential not recorded)."""
ActorType = Literal["account", "cloudflare_admin", "delegated_service", "system", "user"]
"""Who performed an audited action."""


@attrs.frozen(kw_only=True)
class AuditAccount(Model):
    """The account an audit-log entry belongs to."""

    id: str | None = None
    name: str | None = None


@attrs.frozen(kw_only=True)
class AuditAction(Model):
    """What was done."""

    description: str | None = None
    result: str | None = None
    time: datetime | None = None
    type: str | None = None


@attrs.frozen(kw_only=True)
class AuditActor(Model):
    """Who did it."""

    id: str | None = None
    context: ActorContext | None = None
    email: str | None = None
    ip_address: str | None = None
    token_id: str | None = None
    token_name: str | None = None
    type: ActorType | None = None


@attrs.frozen(kw_only=True)
class AuditRaw(Model):
    """The raw request behind the entry. The wire key ``cf_ray_id`` is ``cf_rayid``."""

    cf_rayid: str | None = None
    method: str | None = None
    status_code: int | None = None
    uri: str | None = None
    user_agent: str | None = None


@attrs.frozen(kw_only=True)
class AuditResource(Model):
    """The resource that was affected."""

    id: str | None = None
    product: str | None = None
    request: Any = None
    response: Any = None
    scope: Any = None
    type: str | None = None


@attrs.frozen(kw_only=True)
class AuditZone(Model):
    """The zone that was affected, if any."""

    id: str | None = None
    name: str | None = None


@attrs.frozen(kw_only=True)
class AuditListResponse(Model):
    """One audit-log entry."""

    id: str | None = None
    account: AuditAccount | None = None
    action: AuditAction | None = None
    actor: AuditActor | None = None
    raw: AuditRaw | None = None
    resource: AuditResource | None = None
    zone: AuditZone | None = None
