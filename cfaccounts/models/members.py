"""Members: ``client.accounts.members.*``."""

from __future__ import annotations

from typing import Literal

import attrs

from ._base import Model
from .permissions import Meta, PermissionGroup
from .roles import Role

MemberStatus = Literal["accepted", "pending"]
"""Whether a member accepted the invitation."""
PolicyAccess = Literal["allow", "deny"]


@attrs.frozen(kw_only=True)
class ScopeObject(Model):
    """A scope object, such as one zone, inside a resource group's scope."""

    key: str


@attrs.frozen(kw_only=True)
class Scope(Model):
    """The scope of a resource group: an account and, optionally, objects in it."""

    key: str
    objects: list[ScopeObject]


@attrs.frozen(kw_only=True)
class ResourceGroup(Model):
    """A set of resources a member policy applies to.

    ``scope`` is one :class:`Scope` as the API sends it today, or a list of
    them as it did before; it is kept in the shape it came in.
    """

    id: str
    scope: Scope | list[Scope]
    meta: Meta | None = None
    name: str | None = None


@attrs.frozen(kw_only=True)
class Policy(Model):
    """An access policy of a membership."""

    id: str | None = None
    access: PolicyAccess | None = None
    permission_groups: list[PermissionGroup] | None = None
    resource_groups: list[ResourceGroup] | None = None


@attrs.frozen(kw_only=True)
class User(Model):
    """The user behind a membership."""

    email: str
    id: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    two_factor_authentication_enabled: bool | None = None


@attrs.frozen(kw_only=True)
class Member(Model):
    """A member of an account: a user, their status, roles and policies."""

    id: str | None = None
    email: str | None = None
    policies: list[Policy] | None = None
    roles: list[Role] | None = None
    status: MemberStatus | None = None
    user: User | None = None


@attrs.frozen(kw_only=True)
class MemberDeleteResponse(Model):
    """What ``members.delete`` returns: the id of the removed membership."""

    id: str
