"""Shapes of the structured arguments the API methods accept.

Plain dicts of these shapes, or the matching models read from the API, may
be passed. Python-keyword keys may be spelled either way: ``in`` or ``in_``,
``not`` or ``not_``.

A dict written in the call type-checks as it is; one built first in a
variable needs its type: annotate it (``policy: TokenPolicyParam = {...}``),
call the shape (``TokenPolicyParam(effect="allow", ...)``), or use
:func:`token_policy` and :func:`member_policy`, which also take permission
and resource groups by id or as read from the API.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Literal, Required, TypedDict, TypeVar

from .models.accounts import ManagedBy, Settings
from .models.audit import ActorContext, ActorType
from .models.members import Policy, ResourceGroup
from .models.permissions import PermissionGroup, PermissionGroupListResponse
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

_Group = TypeVar("_Group")

PermissionGroupReference = (
    str | PermissionGroupParam | PermissionGroup | PermissionGroupListResponse
)
"""A permission group to grant: its id, a dict with its ``id``, or a group read from the API."""
ResourceGroupReference = str | IDParam | ResourceGroup
"""A resource group of a member policy: its id, ``{"id": ...}``, or one read from the API."""


def token_policy(
    effect: Literal["allow", "deny"],
    *,
    permission_groups: Iterable[PermissionGroupReference],
    resources: Mapping[str, str | Mapping[str, str]],
) -> TokenPolicyParam:
    """One of a token's ``policies`` (``tokens.create``, ``tokens.update``), typed.

    Args:
        effect: ``"allow"`` or ``"deny"``.
        permission_groups: the groups it grants, each by id or as listed by
            ``tokens.permission_groups.list``.
        resources: what it applies to, such as
            ``{f"com.cloudflare.api.account.{account_id}": "*"}``.

    Raises:
        TypeError: ``permission_groups`` is a single string or mapping, not
            a list of them.
        ValueError: a group read from the API has no id.
    """
    return {
        "effect": effect,
        "permission_groups": [
            group if isinstance(group, Mapping) else {"id": _id_of(group, where)}
            for where, group in _references("token_policy", "permission_groups", permission_groups)
        ],
        "resources": resources,
    }


def member_policy(
    access: Literal["allow", "deny"],
    *,
    permission_groups: Iterable[PermissionGroupReference],
    resource_groups: Iterable[ResourceGroupReference],
) -> MemberPolicyParam:
    """One of a member's ``policies`` (``members.create``, ``members.update``), typed.

    Args:
        access: ``"allow"`` or ``"deny"``.
        permission_groups: the groups it grants, each by id or as read from the API.
        resource_groups: the resource groups it applies to, each by id or as
            read from the API.

    Raises:
        TypeError: a group argument is a single string or mapping, not a list.
        ValueError: a group read from the API has no id.
    """
    return {
        "access": access,
        "permission_groups": [
            {"id": group["id"] if isinstance(group, Mapping) else _id_of(group, where)}
            for where, group in _references("member_policy", "permission_groups", permission_groups)
        ],
        "resource_groups": [
            {"id": group["id"] if isinstance(group, Mapping) else _id_of(group, where)}
            for where, group in _references("member_policy", "resource_groups", resource_groups)
        ],
    }


def _references(function: str, argument: str, groups: Iterable[_Group]) -> list[tuple[str, _Group]]:
    """Each group, with where it is (``token_policy(): permission_groups[0]``).

    A lone string or mapping is refused: iterating it would read letters or
    keys as ids.
    """
    where = f"{function}(): {argument}"
    if isinstance(groups, str | Mapping):
        raise TypeError(f"{where} must be a list of groups, got {type(groups).__name__}")
    return [(f"{where}[{position}]", group) for position, group in enumerate(groups)]


def _id_of(
    group: str | PermissionGroup | PermissionGroupListResponse | ResourceGroup, where: str
) -> str:
    if isinstance(group, str):
        return group
    if group.id is None:
        raise ValueError(f"{where} has no id: {type(group).__name__}(id=None)")
    return group.id


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
    "PermissionGroupReference",
    "RatePlanInput",
    "RatePlanParam",
    "RequestIPParam",
    "ResourceGroupReference",
    "ResourceScopeFilter",
    "RoleInput",
    "RoleParam",
    "SettingsInput",
    "SettingsParam",
    "TenantUnitParam",
    "TokenPolicyInput",
    "TokenPolicyParam",
    "member_policy",
    "token_policy",
]
