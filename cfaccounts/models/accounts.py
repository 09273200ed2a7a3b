"""Accounts: ``client.accounts.*``."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import attrs

from ._base import Model

AccountType = Literal["standard", "enterprise"]
"""An account's type."""


@attrs.frozen(kw_only=True)
class ManagedBy(Model):
    """The parent organization that manages an account."""

    parent_org_id: str | None = None
    parent_org_name: str | None = None


@attrs.frozen(kw_only=True)
class Settings(Model):
    """Account settings."""

    abuse_contact_email: str | None = None
    enforce_twofactor: bool | None = None


@attrs.frozen(kw_only=True)
class Account(Model):
    """A Cloudflare account."""

    id: str
    name: str
    type: AccountType
    created_on: datetime | None = None
    managed_by: ManagedBy | None = None
    settings: Settings | None = None


@attrs.frozen(kw_only=True)
class AccountDeleteResponse(Model):
    """What ``accounts.delete`` returns: the id of the deleted account."""

    id: str
