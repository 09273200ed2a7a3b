"""Shapes of the structured arguments the API methods accept.

Plain dicts of these shapes, or the matching models read from the API, may
be passed. Python-keyword keys may be spelled either way: ``in`` or ``in_``,
``not`` or ``not_``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Literal, Required, TypedDict

from .models.accounts import ManagedBy, Settings
from .models.audit import ActorContext, ActorType
from .models.members import Policy
from .models.roles import Role
from .models.subscriptions import RatePlan
from .models.tokens import Condition, TokenPolicy


class IDParam(TypedDict):
    """A reference to an object by its id."""

    id: str


class TenantUnitParam(TypedDict, total=False):
    """The tenant unit to create an account in."""

    id: str


class ManagedByParam(TypedDict, total=False):
    """Parent organization details of an account."""

    parent_org_id: str
    parent_org_name: str


class SettingsParam(TypedDict, total=False):
    """Account settings."""

    abuse_contact_email: str
    enforce_twofactor: bool


class MemberPolicyParam(TypedDict):
    """An access policy for a membership."""

    access: Literal["allow", "deny"]
    permission_groups: Iterable[IDParam]
    resource_groups: Iterable[IDParam]


class PermissionGrantParam(TypedDict, total=False):
    """Read/write access to one area."""

    read: bool
    write: bool


class RoleParam(TypedDict, total=False):
    """A role assigned to a member (``members.update``)."""

    id: Required[str]
    description: str
    name: str
    permissions: Mapping[str, PermissionGrantParam]


class RatePlanParam(TypedDict, total=False):
    """The rate plan of a subscription."""

    id: str
    currency: str
    externally_managed: bool
    is_contract: bool
    public_name: str
    scope: str
    sets: Sequence[str]


class PermissionGroupParam(TypedDict, total=False):
    """A permission group of a token policy."""

    id: Required[str]
    meta: Mapping[str, str]


class TokenPolicyParam(TypedDict, total=False):
    """An access policy of a token."""

    id: str
    effect: Required[Literal["allow", "deny"]]
    permission_groups: Required[Iterable[PermissionGroupParam]]
    resources: Required[Mapping[str, str | Mapping[str, str]]]


RequestIPParam = TypedDict(
    "RequestIPParam",
    {"in": Sequence[str], "in_": Sequence[str], "not_in": Sequence[str]},
    total=False,
)
"""Client IP restrictions, as CIDRs: ``in`` (or ``in_``) and ``not_in``."""


class ConditionParam(TypedDict, total=False):
    """Conditions under which a token may be used."""

    request_ip: RequestIPParam


NotFilter = TypedDict("NotFilter", {"not": Sequence[str], "not_": Sequence[str]}, total=False)
"""An audit-log filter that leaves out entries with these values."""

IntNotFilter = TypedDict("IntNotFilter", {"not": Sequence[int], "not_": Sequence[int]}, total=False)
"""An audit-log filter on numbers (``raw_status_code``)."""

ActionResult = Literal["success", "failure"]
ActionType = Literal["create", "delete", "view", "update"]
ResourceScope = Literal["accounts", "user", "zones", "memberships"]

# One shape per set of values the API knows (the keyword ``not`` rules out
# a generic class); unknown values are sent too, as the API adds them.
ActionResultFilter = TypedDict(
    "ActionResultFilter",
    {"not": Sequence[ActionResult], "not_": Sequence[ActionResult]},
    total=False,
)
"""An audit-log filter on ``action.result``."""
ActionTypeFilter = TypedDict(
    "ActionTypeFilter", {"not": Sequence[ActionType], "not_": Sequence[ActionType]}, total=False
)
"""An audit-log filter on ``action.type``."""
ActorContextFilter = TypedDict(
    "ActorContextFilter",
    {"not": Sequence[ActorContext], "not_": Sequence[ActorContext]},
    total=False,
)
"""An audit-log filter on ``actor.context``."""
ActorTypeFilter = TypedDict(
    "ActorTypeFilter", {"not": Sequence[ActorType], "not_": Sequence[ActorType]}, total=False
)
"""An audit-log filter on ``actor.type``."""
ResourceScopeFilter = TypedDict(
    "ResourceScopeFilter",
    {"not": Sequence[ResourceScope], "not_": Sequence[ResourceScope]},
    total=False,
)
"""An audit-log filter on ``resource.scope``."""

ManagedByInput = ManagedByParam | ManagedBy
"""A ``managed_by`` argument: a dict, or the model read from the API."""
SettingsInput = SettingsParam | Settings
"""A ``settings`` argument: a dict, or the model read from the API."""
MemberPolicyInput = MemberPolicyParam | Policy
"""One of a member's ``policies``: a dict, or the model read from the API."""
RoleInput = RoleParam | Role
"""A role to give a member: a dict with its ``id``, or the model read from the API."""
RatePlanInput = RatePlanParam | RatePlan
"""A ``rate_plan`` argument: a dict, or the model read from the API."""
TokenPolicyInput = TokenPolicyParam | TokenPolicy
"""One of a token's ``policies``: a dict, or the model read from the API."""
ConditionInput = ConditionParam | Condition
"""A token's ``condition``: a dict, or the model read from the API."""

__all__ = [
    "ActionResultFilter",
    "ActionTypeFilter",
    "ActorContextFilter",
    "ActorTypeFilter",
    "ConditionInput",
    "ConditionParam",
    "IDParam",
    "IntNotFilter",
    "ManagedByInput",
    "ManagedByParam",
    "MemberPolicyInput",
    "MemberPolicyParam",
    "NotFilter",
    "PermissionGrantParam",
    "PermissionGroupParam",
    "RatePlanInput",
    "RatePlanParam",
    "RequestIPParam",
    "ResourceScopeFilter",
    "RoleInput",
    "RoleParam",
    "SettingsInput",
    "SettingsParam",
    "TenantUnitParam",
    "TokenPolicyInput",
    "TokenPolicyParam",
]
