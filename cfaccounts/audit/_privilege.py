"""What a member or an API token may do, and where: the privilege the checks rate by.

A member's access is the union of their roles and their ``allow`` policies,
less what their ``deny`` policies take away. A token's access is the union of
its ``allow`` policies less the grants a ``deny`` policy covers.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from ..models import Member, PermissionGrant, Permissions, Role, Token
from ..models.members import Policy, ResourceGroup

SUPER_ADMIN_PREFIX = "Super Administrator"
#: Role and permission-group names that give administrator access to the whole account.
ADMIN_NAMES = frozenset({"Administrator", "Account Administrator"})
_ACCOUNT = "com.cloudflare.api.account"
_ZONE = "com.cloudflare.api.account.zone"
#: Name endings of permission groups that only read.
_READ_ENDINGS = ("Read", "Read Only", "Viewer")


class Level(enum.IntEnum):
    """How much a member may do, least first."""

    #: Only reads (Analytics, Audit Logs Viewer, Administrator Read Only, "... Read" groups).
    READ = 0
    #: May change something, or administers only some zones.
    WRITE = 1
    #: Administrator of the whole account (role or policy), not a super administrator.
    ADMIN = 2
    #: Super administrator of the whole account.
    SUPER = 3

    @property
    def privileged(self) -> bool:
        """An administrator or super administrator of the whole account."""
        return self >= Level.ADMIN


def _is_super(name: str | None) -> bool:
    return bool(name) and str(name).startswith(SUPER_ADMIN_PREFIX)


def _reads_only(name: str | None) -> bool:
    # A group without a name is unknown: assumed to write.
    return bool(name) and str(name).endswith(_READ_ENDINGS)


def _named_level(name: str | None) -> Level | None:
    """The level a role or permission group's name alone says, if it says one."""
    if _is_super(name):
        return Level.SUPER
    if name in ADMIN_NAMES:
        return Level.ADMIN
    return None


def _role_level(role: Role) -> Level:
    named = _named_level(role.name)
    if named is not None:
        return named
    grants = (getattr(role.permissions, field.name) for field in attrs.fields(Permissions))
    writes = any(isinstance(grant, PermissionGrant) and grant.write for grant in grants)
    return Level.WRITE if writes else Level.READ


def covers_account(groups: Iterable[ResourceGroup], account_id: str) -> bool:
    """Whether resource groups reach the whole account (every zone, every resource).

    A scope on the account (or on every account) with no objects, or with
    the ``*`` object, does; a scope listing zones does not.
    """
    for group in groups:
        # One object as the API sends it today, a list as the reference has it.
        scopes = group.scope if isinstance(group.scope, list) else [group.scope]
        for scope in scopes:
            if scope.key not in (f"{_ACCOUNT}.{account_id}", f"{_ACCOUNT}.*"):
                continue
            if not scope.objects or any(obj.key in ("*", f"{_ACCOUNT}.*") for obj in scope.objects):
                return True
    return False


def member_level(member: Member, account_id: str) -> Level:
    """The most a member may do in the account, after their deny policies.

    Super administrator and administrator come from a role of that name or
    an ``allow`` policy with the permission group of that name over the
    whole account; over some zones only, such a grant is :attr:`Level.WRITE`.
    A ``deny`` policy with that permission group takes the grant away (over
    the whole account) or narrows it one level (over part of it).
    """
    granted: list[Level] = [_role_level(role) for role in member.roles or ()]
    allows = [p for p in member.policies or () if p.access != "deny"]
    denies = [p for p in member.policies or () if p.access == "deny"]
    for policy in allows:
        whole = covers_account(policy.resource_groups or (), account_id)
        for group in policy.permission_groups or ():
            named = _named_level(group.name)
            if named is not None:
                granted.append(named if whole else Level.WRITE)
            else:
                granted.append(Level.READ if _reads_only(group.name) else Level.WRITE)
    return max((_after_denies(level, denies, account_id) for level in granted), default=Level.READ)


def _after_denies(level: Level, denies: list[Policy], account_id: str) -> Level:
    if level < Level.ADMIN:
        return level
    for policy in denies:
        if any(_named_level(g.name) == level for g in policy.permission_groups or ()):
            if covers_account(policy.resource_groups or (), account_id):
                return Level.READ
            return Level(level - 1)
    return level


def member_email(member: Member) -> str:
    """The member's email, from the membership or its user."""
    return member.email or (member.user.email if member.user else "") or ""


# -- tokens ----------------------------------------------------------------------------------


class Reach(enum.IntEnum):
    """Where a token's grant applies, narrowest first."""

    #: Named zones, buckets or other resources.
    SOME = 0
    #: Every zone of an account (or of every account).
    ALL_ZONES = 1
    #: The whole account (or every account).
    ACCOUNT = 2


def _reaches(resources: Mapping[str, Any]) -> list[tuple[str, Reach]]:
    """Each resource key of a policy, with how far it reaches."""
    found: list[tuple[str, Reach]] = []
    for key, value in resources.items():
        if key.startswith(f"{_ZONE}."):
            found.append((key, Reach.ALL_ZONES if key == f"{_ZONE}.*" else Reach.SOME))
        elif key.startswith(f"{_ACCOUNT}."):
            if isinstance(value, dict):
                # Resources within the account: "all zones" is a zone wildcard.
                found.extend(
                    (f"{key}/{inner}", Reach.ALL_ZONES if inner.endswith("*") else Reach.SOME)
                    for inner in value
                )
            else:
                found.append((key, Reach.ACCOUNT))
        else:
            found.append((key, Reach.ALL_ZONES if key.endswith("*") else Reach.SOME))
    return found


@attrs.frozen
class Grant:
    """One permission group of a token over one resource key."""

    group: str
    writes: bool
    resource: str
    reach: Reach


def token_grants(token: Token) -> list[Grant]:
    """What a token may do, where: its allow grants no deny policy covers.

    A deny covers a grant when it names the same permission group (by id)
    over the same resource, or over the whole account.
    """
    policies = token.policies or ()
    denied: set[tuple[str, str]] = set()
    denied_everywhere: set[str] = set()
    for policy in policies:
        if policy.effect != "deny":
            continue
        for resource, reach in _reaches(policy.resources):
            for group in policy.permission_groups:
                if reach is Reach.ACCOUNT:
                    denied_everywhere.add(group.id)
                denied.add((group.id, resource))
    grants = []
    for policy in policies:
        if policy.effect != "allow":
            continue
        for resource, reach in _reaches(policy.resources):
            for group in policy.permission_groups:
                if group.id in denied_everywhere or (group.id, resource) in denied:
                    continue
                name = group.name or group.id
                grants.append(Grant(name, not _reads_only(group.name), resource, reach))
    return grants
