"""The checks, as pure functions of what was read from one account.

Each check has an id (the ``check`` of its findings) and a severity:

=============================  ========  ===========================================
check                          severity  reported when
=============================  ========  ===========================================
``member_without_2fa``         high      an accepted super administrator has no 2FA
``member_without_2fa``         medium    any other accepted member has no 2FA
``stale_invitation``           low       an invitation is pending for too long
``too_many_super_admins``      medium    each super administrator, when too many
``token_without_ip_limit``     medium    an active token has no IP allowlist
``token_never_expires``        low       an active token has no expiry
``token_expired_not_disabled`` low       a token expired but was not disabled
``token_expiring_soon``        low       an active token expires within the window
``token_unused``               medium    an active token was never or not lately used
``token_wildcard_resources``   high      an active token allows ``*`` resources
=============================  ========  ===========================================
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime, timedelta

from ..models import Member, Role, Token
from ..models.tokens import Resources
from ._findings import Finding, Severity, Thresholds

SUPER_ADMIN_PREFIX = "Super Administrator"


def _is_super_admin_role(role: Role) -> bool:
    return role.name.startswith(SUPER_ADMIN_PREFIX)


def member_findings(
    account: tuple[str, str],
    members: list[Member],
    *,
    roles: Iterable[Role],
    invited_on: Mapping[str, datetime],
    thresholds: Thresholds,
    now: datetime,
) -> Iterator[Finding]:
    """Findings about an account's members.

    Args:
        account: (id, name).
        members: every member of the account.
        roles: the account's roles (to tell the super administrator roles).
        invited_on: member id → when the invitation was sent, for the
            pending members the audit log showed within the window; a
            pending member missing here was invited before the window.
        thresholds: the limits.
        now: the time of the audit.
    """
    account_id, account_name = account
    super_roles = {role.id for role in roles if _is_super_admin_role(role)}
    supers = [m for m in members if any(role.id in super_roles for role in m.roles or ())]
    super_ids = {m.id for m in supers}

    def finding(member: Member, check: str, severity: Severity, detail: str) -> Finding:
        return Finding(
            account_id=account_id,
            account_name=account_name,
            subject_kind="member",
            subject_id=member.id or "",
            subject_name=member.email or (member.user.email if member.user else ""),
            check=check,
            severity=severity,
            detail=detail,
        )

    max_age = timedelta(days=thresholds.invitation_max_age_days)
    for member in members:
        if member.status == "accepted" and not (
            member.user and member.user.two_factor_authentication_enabled
        ):
            is_super = member.id in super_ids
            yield finding(
                member,
                "member_without_2fa",
                "high" if is_super else "medium",
                "super administrator without two-factor authentication"
                if is_super
                else "two-factor authentication is off",
            )
        if member.status == "pending":
            invited = invited_on.get(member.id or "")
            if invited is None:
                yield finding(
                    member,
                    "stale_invitation",
                    "low",
                    f"invitation pending for more than {thresholds.invitation_max_age_days} days",
                )
            elif now - invited > max_age:
                yield finding(
                    member,
                    "stale_invitation",
                    "low",
                    f"invitation pending for {(now - invited).days} days",
                )
    if len(supers) > thresholds.max_super_admins:
        for member in supers:
            yield finding(
                member,
                "too_many_super_admins",
                "medium",
                f"one of {len(supers)} super administrators"
                f" (more than {thresholds.max_super_admins})",
            )


def _wildcards(resources: Resources) -> list[str]:
    found = []
    for key, value in resources.items():
        if key.endswith("*"):
            found.append(key)
        if isinstance(value, dict):
            found.extend(k for k in value if k.endswith("*"))
    return found


def token_findings(
    account: tuple[str, str], tokens: Iterable[Token], *, thresholds: Thresholds, now: datetime
) -> Iterator[Finding]:
    """Findings about an account's API tokens (``account`` is (id, name))."""
    account_id, account_name = account
    expiring = timedelta(days=thresholds.expiring_within_days)
    unused = timedelta(days=thresholds.unused_for_days)
    for token in tokens:

        def finding(check: str, severity: Severity, detail: str, token: Token = token) -> Finding:
            return Finding(
                account_id=account_id,
                account_name=account_name,
                subject_kind="token",
                subject_id=token.id or "",
                subject_name=token.name or "",
                check=check,
                severity=severity,
                detail=detail,
            )

        expired = token.expires_on is not None and token.expires_on <= now
        if expired and token.status != "disabled":
            yield finding(
                "token_expired_not_disabled",
                "low",
                f"expired on {token.expires_on:%Y-%m-%d} but is {token.status}, not disabled",
            )
        if token.status != "active" or expired:
            continue
        request_ip = token.condition.request_ip if token.condition else None
        if not (request_ip and request_ip.in_):
            yield finding("token_without_ip_limit", "medium", "usable from any IP address")
        if token.expires_on is None:
            yield finding("token_never_expires", "low", "has no expiry date")
        elif token.expires_on - now <= expiring:
            yield finding(
                "token_expiring_soon",
                "low",
                f"expires on {token.expires_on:%Y-%m-%d}, in {(token.expires_on - now).days} days",
            )
        if token.last_used_on is None:
            yield finding("token_unused", "medium", "never used")
        elif now - token.last_used_on > unused:
            yield finding(
                "token_unused",
                "medium",
                f"last used {(now - token.last_used_on).days} days ago",
            )
        wildcards = sorted(
            {
                key
                for policy in token.policies or ()
                if policy.effect == "allow"
                for key in _wildcards(policy.resources)
            }
        )
        if wildcards:
            yield finding(
                "token_wildcard_resources",
                "high",
                f"allows wildcard resources: {', '.join(wildcards)}",
            )
