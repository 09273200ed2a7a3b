"""Account-owned API tokens: ``client.accounts.tokens.*``."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import attrs

from ._base import Model
from .permissions import PermissionGroup

TokenStatus = Literal["active", "disabled", "expired"]
"""A token's status."""
PolicyEffect = Literal["allow", "deny"]
#: A policy's resources: ``{"com.cloudflare.api.account.<id>": "*"}`` or nested maps.
Resources = dict[str, str | dict[str, str]]


class TokenValue(str):
    """A token secret. It prints as itself but never shows in a ``repr``.

    ``str(value)``, ``print(value)`` and f-strings give the secret, as users
    need it; ``repr(value)`` (and so any model, log or traceback that shows
    reprs) gives ``TokenValue('****')``.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return "TokenValue('****')"


@attrs.frozen(kw_only=True)
class ConditionRequestIP(Model):
    """Client IP restrictions. The wire key ``in`` is the attribute ``in_``."""

    in_: list[str] | None = None
    not_in: list[str] | None = None


@attrs.frozen(kw_only=True)
class Condition(Model):
    """Conditions under which a token may be used."""

    request_ip: ConditionRequestIP | None = None


@attrs.frozen(kw_only=True)
class TokenPolicy(Model):
    """An access policy of a token."""

    id: str
    effect: PolicyEffect
    permission_groups: list[PermissionGroup]
    resources: Resources


@attrs.frozen(kw_only=True)
class Token(Model):
    """An account-owned API token (without its secret)."""

    id: str | None = None
    condition: Condition | None = None
    creator_email_at_creation: str | None = None
    expires_on: datetime | None = None
    issued_on: datetime | None = None
    last_used_on: datetime | None = None
    modified_on: datetime | None = None
    name: str | None = None
    not_before: datetime | None = None
    policies: list[TokenPolicy] | None = None
    provisioner_id: str | None = None
    provisioner_type: str | None = None
    status: TokenStatus | None = None


@attrs.frozen(kw_only=True)
class TokenCreateResponse(Token):
    """A newly created token, with its secret :attr:`value` (hidden from reprs)."""

    value: TokenValue | None = None


@attrs.frozen(kw_only=True)
class TokenDeleteResponse(Model):
    """What ``tokens.delete`` returns: the id of the deleted token."""

    id: str


@attrs.frozen(kw_only=True)
class TokenVerifyResponse(Model):
    """The state of the token used to make the call."""

    id: str
    status: TokenStatus
    expires_on: datetime | None = None
    not_before: datetime | None = None
