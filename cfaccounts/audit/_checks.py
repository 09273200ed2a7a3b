"""The checks, as pure functions of what was read from one account.

Each check has an id (the ``check`` of its findings) and a severity; they
are listed, with what triggers them and the fields they read, in
:data:`CHECKS` (the table of the docs and of ``cfaccounts audit --help``).

A member's *privilege* (:mod:`._privilege`) is the most their roles and
allow policies give, less their deny policies: super administrator or
administrator of the whole account (*privileged*), *writes* something (or
administers some zones only), or *reads only*. Severities of member
findings follow it: high for privileged members, medium for those who
write, low for those who only read.

Tokens whose status is ``expired`` or ``disabled`` cannot be used and are
not reported.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime, timedelta

import attrs

from ..models import Member, Token
from ..models.tokens import ConditionRequestIP
from ._findings import Finding, Severity, SubjectKind, Thresholds, worse
from ._privilege import Grant, Level, Reach, member_email, member_level, token_grants


@attrs.frozen
class Check:
    """One check, as documented."""

    id: str
    #: Its severities and when each applies.
    severity: str
    #: What makes it report.
    trigger: str
    #: The fields of the API's answers it reads.
    reads: str


CHECKS: tuple[Check, ...] = (
    Check(
        "account_2fa_not_enforced",
        "medium; high if an accepted super administrator has no 2FA",
        "the account does not enforce two-factor authentication",
        "account settings.enforce_twofactor; members' privilege and 2FA",
    ),
    Check(
        "single_super_admin",
        "low",
        "one accepted super administrator or none: a lock-out risk",
        "members' status, roles, policies",
    ),
    Check(
        "member_without_2fa",
        "by privilege (high, medium, low); one lower if the account enforces 2FA",
        "an accepted member has no two-factor authentication",
        "members' status, user.two_factor_authentication_enabled, roles, policies;"
        " account settings.enforce_twofactor",
    ),
    Check(
        "member_outside_allowed_domain",
        "by privilege (high, medium, low)",
        "a member's email is outside --allowed-domain (checked only when given)",
        "members' email, status, roles, policies",
    ),
    Check(
        "stale_invitation",
        "low; medium for an invitation to privileged access",
        "an invitation is pending longer than --invitation-max-age",
        "members' status, roles, policies; audit log create entries of the members",
    ),
    Check(
        "invitation_age_unknown",
        "low; medium for an invitation to privileged access",
        "a pending invitation the audit log cannot date (older than its retention,"
        " a gap, or the log could not be read)",
        "members' status, roles, policies; audit log create entries of the members",
    ),
    Check(
        "too_many_super_admins",
        "medium",
        "each accepted super administrator, when more than --max-super-admins",
        "members' status, roles, policies",
    ),
    Check(
        "too_many_admins",
        "low",
        "each accepted administrator (not super), when more than --max-admins",
        "members' status, roles, policies",
    ),
    Check(
        "token_without_ip_limit",
        "medium",
        "an active token has no IP allowlist, a deny list only, or an allowlist"
        " covering every address (0.0.0.0/0, ::/0)",
        "tokens' status, condition.request_ip.in, not_in",
    ),
    Check(
        "token_never_expires",
        "low",
        "an active token has no expiry",
        "tokens' status, expires_on",
    ),
    Check(
        "token_expired_not_disabled",
        "low",
        "a token still active past its expiry",
        "tokens' status, expires_on",
    ),
    Check(
        "token_expiring_soon",
        "low",
        "an active token expires within --expiring-within",
        "tokens' status, expires_on",
    ),
    Check(
        "token_unused",
        "medium",
        "an active token was not used for --unused-for, counted from the later of"
        " issued_on and not_before when never used",
        "tokens' status, last_used_on, issued_on, not_before",
    ),
    Check(
        "token_not_rotated",
        "low",
        "an active token was issued longer ago than --token-max-age",
        "tokens' status, issued_on",
    ),
    Check(
        "token_long_lifetime",
        "low",
        "an active token is valid longer than --token-max-lifetime",
        "tokens' status, issued_on, not_before, expires_on",
    ),
    Check(
        "token_wildcard_resources",
        "high: writes over the whole account or every zone; medium: reads there"
        " without an IP allowlist, or writes over named resources; low: reads there"
        " from an allowlist; one worse without allowlist and expiry",
        "an active token's allow policies, less its deny policies, reach the whole"
        " account or every zone, or write anywhere",
        "tokens' status, policies (effect, permission_groups, resources), condition, expires_on",
    ),
)
"""Every check: its id, severities, trigger and the fields it reads."""

#: Severity of a member finding by the member's privilege.
_BY_LEVEL: dict[Level, Severity] = {
    Level.SUPER: "high",
    Level.ADMIN: "high",
    Level.WRITE: "medium",
    Level.READ: "low",
}
_LEVEL_WORDS = {
    Level.SUPER: "super administrator",
    Level.ADMIN: "administrator",
    Level.WRITE: "member who can make changes",
    Level.READ: "read-only member",
}


@attrs.frozen
class Invitations:
    """What the audit log says of the pending members' invitations.

    Args:
        sent: member id → when the invitation was sent, for the invitations
            the log holds.
        covers_days: how many days back the log was read (its retention).
        unreadable: why the log could not be read, if it could not.
    """

    sent: Mapping[str, datetime] = attrs.field(factory=dict)
    covers_days: int = 30
    unreadable: str | None = None


def _finder(
    account: tuple[str, str], kind: SubjectKind
) -> Callable[[str, str, str, Severity, str], Finding]:
    account_id, account_name = account

    def finding(
        subject_id: str, subject_name: str, check: str, severity: Severity, detail: str
    ) -> Finding:
        return Finding(
            account_id=account_id,
            account_name=account_name,
            subject_kind=kind,
            subject_id=subject_id,
            subject_name=subject_name,
            check=check,
            severity=severity,
            detail=detail,
        )

    return finding


def _has_2fa(member: Member) -> bool:
    return bool(member.user and member.user.two_factor_authentication_enabled)


def _outside(email: str, allowed: tuple[str, ...]) -> bool:
    domain = email.rpartition("@")[2].lower()
    return not any(domain == ok or domain.endswith(f".{ok}") for ok in allowed)


def member_findings(
    account: tuple[str, str],
    members: list[Member],
    *,
    invitations: Invitations,
    enforces_2fa: bool | None,
    thresholds: Thresholds,
    now: datetime,
) -> Iterator[Finding]:
    """Findings about an account's members, and the account's own 2FA and super administrators.

    Args:
        account: (id, name).
        members: every member of the account.
        invitations: what the audit log says of pending invitations.
        enforces_2fa: the account's ``settings.enforce_twofactor``;
            ``None`` when unknown (no account finding, the member findings
            worded as for an account that does not enforce it).
        thresholds: the limits.
        now: the time of the audit.
    """
    account_id, account_name = account
    finding = _finder(account, "member")
    levels = {id(member): member_level(member, account_id) for member in members}
    accepted = [m for m in members if m.status == "accepted"]
    supers = [m for m in accepted if levels[id(m)] is Level.SUPER]
    admins = [m for m in accepted if levels[id(m)] is Level.ADMIN]

    for member in members:
        level, email = levels[id(member)], member_email(member)

        def found(check: str, severity: Severity, detail: str, member: Member = member) -> Finding:
            return finding(member.id or "", member_email(member), check, severity, detail)

        if member.status == "accepted" and not _has_2fa(member):
            who = _LEVEL_WORDS[level]
            if enforces_2fa:
                yield found(
                    "member_without_2fa",
                    worse(_BY_LEVEL[level], -1),
                    f"{who}: the account enforces two-factor authentication,"
                    " not set up by this member yet",
                )
            else:
                yield found(
                    "member_without_2fa",
                    _BY_LEVEL[level],
                    f"{who} without two-factor authentication",
                )
        if thresholds.allowed_domains and email and _outside(email, thresholds.allowed_domains):
            yield found(
                "member_outside_allowed_domain",
                _BY_LEVEL[level],
                f"{_LEVEL_WORDS[level]} ({member.status}) outside the allowed domains"
                f" ({', '.join(thresholds.allowed_domains)})",
            )
        if member.status == "pending":
            yield from _invitation_findings(
                member, level, found, invitations=invitations, thresholds=thresholds, now=now
            )

    account_finding = _finder(account, "account")
    if enforces_2fa is False:
        unprotected = [m for m in supers if not _has_2fa(m)]
        yield account_finding(
            account_id,
            account_name,
            "account_2fa_not_enforced",
            "high" if unprotected else "medium",
            "the account does not enforce two-factor authentication"
            + (f"; {len(unprotected)} super administrator(s) without it" if unprotected else ""),
        )
    if len(supers) <= 1:
        yield account_finding(
            account_id,
            account_name,
            "single_super_admin",
            "low",
            f"{len(supers)} super administrator(s): losing that access locks the account's"
            " membership",
        )
    too_many: tuple[tuple[list[Member], int, str, Severity, str], ...] = (
        (supers, thresholds.max_super_admins, "too_many_super_admins", "medium", "super "),
        (admins, thresholds.max_admins, "too_many_admins", "low", ""),
    )
    for group, limit, check, severity, noun in too_many:
        if len(group) > limit:
            for member in group:
                yield finding(
                    member.id or "",
                    member_email(member),
                    check,
                    severity,
                    f"one of {len(group)} {noun}administrators (more than {limit})",
                )


def _invitation_findings(
    member: Member,
    level: Level,
    found: Callable[[str, Severity, str], Finding],
    *,
    invitations: Invitations,
    thresholds: Thresholds,
    now: datetime,
) -> Iterator[Finding]:
    severity: Severity = "medium" if level.privileged else "low"
    to = f"invitation ({_LEVEL_WORDS[level]})"
    sent = invitations.sent.get(member.id or "")
    if sent is not None:
        if now - sent > timedelta(days=thresholds.invitation_max_age_days):
            yield found("stale_invitation", severity, f"{to} pending for {(now - sent).days} days")
    elif invitations.unreadable is not None:
        yield found(
            "invitation_age_unknown",
            severity,
            f"{to} pending since an unknown date: {invitations.unreadable}",
        )
    else:
        yield found(
            "invitation_age_unknown",
            severity,
            f"{to} pending since an unknown date: not in the audit log's"
            f" {invitations.covers_days} days (sent earlier, or the log has a gap)",
        )


# -- tokens ----------------------------------------------------------------------------------


def _networks(
    cidrs: Iterable[str],
) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    networks = []
    for cidr in cidrs:
        try:
            networks.append(ipaddress.ip_network(cidr.strip(), strict=False))
        except ValueError:
            continue  # the API refuses these; one that slipped through allows nothing
    return networks


def _covers_every_address(networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> bool:
    """Whether the networks together hold every IPv4 or every IPv6 address."""
    v4 = [n for n in networks if isinstance(n, ipaddress.IPv4Network)]
    v6 = [n for n in networks if isinstance(n, ipaddress.IPv6Network)]
    return ipaddress.IPv4Network("0.0.0.0/0") in ipaddress.collapse_addresses(
        v4
    ) or ipaddress.IPv6Network("::/0") in ipaddress.collapse_addresses(v6)


def ip_allowlist_gap(request_ip: ConditionRequestIP | None) -> str | None:
    """Why a token's IP condition is no allowlist, or ``None`` when it is one."""
    allowed = _networks(request_ip.in_ or ()) if request_ip else []
    denied = (request_ip.not_in or ()) if request_ip else ()
    if allowed and not _covers_every_address(allowed):
        return None
    if allowed:
        return f"its IP allowlist ({', '.join(request_ip.in_ or ())}) covers every address"  # type: ignore[union-attr]
    if denied:
        return (
            f"no IP allowlist, only a deny list ({', '.join(denied)}):"
            " usable from every other address"
        )
    return "usable from any IP address"


def _access_severity(grants: list[Grant], allowlisted: bool) -> tuple[Severity, str] | None:
    """The ``token_wildcard_resources`` rating of a token's grants, before its expiry."""
    broad = [g for g in grants if g.reach >= Reach.ALL_ZONES]
    broad_writes = [g for g in broad if g.writes]
    if broad_writes:
        return "high", _describe("writes", broad_writes)
    if broad:
        return ("low" if allowlisted else "medium"), _describe("reads", broad)
    narrow_writes = [g for g in grants if g.writes]
    if narrow_writes:
        return "medium", _describe("writes", narrow_writes)
    return None


def _describe(verb: str, grants: list[Grant]) -> str:
    where = {
        Reach.ACCOUNT: "the whole account",
        Reach.ALL_ZONES: "every zone",
        Reach.SOME: "some resources",
    }[max(g.reach for g in grants)]
    groups = ", ".join(sorted({g.group for g in grants}))
    resources = ", ".join(sorted({g.resource for g in grants}))
    return f"{verb} over {where} ({groups} on {resources})"


def _later(*moments: datetime | None) -> datetime | None:
    known = [moment for moment in moments if moment is not None]
    return max(known) if known else None


def token_findings(
    account: tuple[str, str], tokens: Iterable[Token], *, thresholds: Thresholds, now: datetime
) -> Iterator[Finding]:
    """Findings about an account's API tokens (``account`` is (id, name))."""
    finding = _finder(account, "token")
    expiring = timedelta(days=thresholds.expiring_within_days)
    unused = timedelta(days=thresholds.unused_for_days)
    for token in tokens:
        if token.status != "active":
            continue  # expired or disabled: the API refuses it

        def found(check: str, severity: Severity, detail: str, token: Token = token) -> Finding:
            return finding(token.id or "", token.name or "", check, severity, detail)

        if token.expires_on is not None and token.expires_on <= now:
            yield found(
                "token_expired_not_disabled",
                "low",
                f"expired on {token.expires_on:%Y-%m-%d} but is still active, not disabled",
            )
            continue
        gap = ip_allowlist_gap(token.condition.request_ip if token.condition else None)
        if gap is not None:
            yield found("token_without_ip_limit", "medium", gap)
        if token.expires_on is None:
            yield found("token_never_expires", "low", "has no expiry date")
        elif token.expires_on - now <= expiring:
            yield found(
                "token_expiring_soon",
                "low",
                f"expires on {token.expires_on:%Y-%m-%d}, in {(token.expires_on - now).days} days",
            )
        yield from _use_and_age(token, found, thresholds, now, unused)
        rating = _access_severity(token_grants(token), allowlisted=gap is None)
        if rating is not None:
            severity, detail = rating
            if gap is not None and token.expires_on is None:
                severity, detail = worse(severity), f"{detail}; no IP allowlist, no expiry"
            yield found("token_wildcard_resources", severity, detail)


def _use_and_age(
    token: Token,
    found: Callable[[str, Severity, str], Finding],
    thresholds: Thresholds,
    now: datetime,
    unused: timedelta,
) -> Iterator[Finding]:
    valid_from = _later(token.issued_on, token.not_before)
    if token.last_used_on is not None:
        if now - token.last_used_on > unused:
            yield found(
                "token_unused", "medium", f"last used {(now - token.last_used_on).days} days ago"
            )
    elif valid_from is None or now - valid_from > unused:
        since = "" if valid_from is None else f", valid since {valid_from:%Y-%m-%d}"
        yield found("token_unused", "medium", f"never used{since}")
    if token.issued_on is not None and (now - token.issued_on).days > thresholds.token_max_age_days:
        yield found(
            "token_not_rotated",
            "low",
            f"issued {(now - token.issued_on).days} days ago"
            f" (more than {thresholds.token_max_age_days})",
        )
    if token.expires_on is not None and valid_from is not None:
        lifetime = (token.expires_on - valid_from).days
        if lifetime > thresholds.token_max_lifetime_days:
            yield found(
                "token_long_lifetime",
                "low",
                f"valid for {lifetime} days (more than {thresholds.token_max_lifetime_days})",
            )
