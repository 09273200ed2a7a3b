"""Each audit check, table-driven: cases that must produce it (with its severity) and
near misses that must not, each built in a fresh sandbox through its public API.

A case sets up one member or one token (or the account) and names the exact
findings its subject must get: ``{(check, severity), ...}``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cfaccounts import AsyncCloudflare
from cfaccounts._converter import converter
from cfaccounts.audit import CHECKS, Audit, Finding, Thresholds
from cfaccounts.audit._checks import ip_allowlist_gap
from cfaccounts.models import Condition, ConditionRequestIP, Policy, TokenPolicy
from cfaccounts.testing import Fault, Sandbox

SUPER = "Super Administrator - All Privileges"
ADMIN = "Administrator"
AUDIT_LOG = "GET /accounts/{account_id}/logs/audit"

Expected = set[tuple[str, str]]
DEFAULTS = Thresholds()


@attrs.frozen
class Grant:
    """A member policy: ``groups`` over the whole account, or over ``zone``."""

    groups: tuple[str, ...]
    access: str = "allow"
    zone: str | None = None


@attrs.frozen
class MemberCase:
    name: str
    expected: Expected
    roles: tuple[str, ...] = ()
    grants: tuple[Grant, ...] = ()
    status: str = "accepted"
    two_fa: bool = False
    email: str = "person@corp.example"
    enforce_2fa: bool = False
    thresholds: Thresholds = DEFAULTS
    #: Days after the invitation the audit runs.
    days_later: float = 0
    #: Remove the invitation's audit-log entry.
    gap: bool = False
    #: How the audit log answers, if it fails.
    log_fault: Fault | None = None


def case_id(case: Any) -> str:
    return str(case.name)


async def add_member(sandbox: Sandbox, client: AsyncCloudflare, case: MemberCase) -> str:
    account_id = sandbox.account_ids[0]
    roles = [role async for role in client.accounts.roles.list(account_id=account_id)]
    account = f"com.cloudflare.api.account.{account_id}"
    policies = [
        converter.structure(
            {
                "access": grant.access,
                "permission_groups": [{"id": sandbox.permission_groups[g]} for g in grant.groups],
                "resource_groups": [
                    {
                        "id": f"rg-{index}",
                        "scope": [{"key": account, "objects": [{"key": grant.zone or "*"}]}],
                    }
                ],
            },
            Policy,
        )
        for index, grant in enumerate(case.grants)
    ]
    member = await client.accounts.members.create(
        account_id=account_id,
        email=case.email,
        roles=[role.id for role in roles if role.name in case.roles],
        policies=policies,
        status=case.status,  # type: ignore[arg-type]
    )
    assert member.id
    sandbox.amend(account_id, member.id, user={"two_factor_authentication_enabled": case.two_fa})
    return member.id


async def audit(
    sandbox: Sandbox, *, thresholds: Thresholds = DEFAULTS, now: datetime | None = None
) -> tuple[Audit, list[Finding]]:
    async with sandbox.client(max_retries=0) as client:
        run = Audit(client, thresholds=thresholds, now=now)
        return run, [finding async for finding in run]


def fresh_sandbox() -> Sandbox:
    # One account; its only member is the sandbox's owner, a super administrator with 2FA.
    return Sandbox(accounts=1, members_per_account=1, tokens_per_account=0, rate_limit=None)


async def member_findings_of(case: MemberCase) -> tuple[str, list[Finding], Audit]:
    async with fresh_sandbox() as sandbox:
        account_id = sandbox.account_ids[0]
        sandbox.amend(account_id, settings={"enforce_twofactor": case.enforce_2fa})
        async with sandbox.client() as client:
            member_id = await add_member(sandbox, client, case)
        if case.gap:
            assert sandbox.punch_audit_log_gap(account_id, resource_id=member_id) == 1
        if case.log_fault is not None:
            sandbox.inject(case.log_fault, AUDIT_LOG, times=None)
        now = datetime.now(UTC) + timedelta(days=case.days_later)
        run, findings = await audit(sandbox, thresholds=case.thresholds, now=now)
    return member_id, findings, run


def of(subject: str, findings: Iterable[Finding]) -> Expected:
    return {(f.check, f.severity) for f in findings if f.subject_id == subject}


ZONE = "com.cloudflare.api.account.zone.023e105f4ecef8ad9ca31a8372d0c353"

MEMBER_CASES = [
    # member_without_2fa: severity by privilege, from roles or policies, less denies.
    MemberCase("2fa: administrator role", {("member_without_2fa", "high")}, roles=(ADMIN,)),
    MemberCase(
        "2fa: super administrator by policy",
        {("member_without_2fa", "high")},
        grants=(Grant((SUPER,)),),
    ),
    MemberCase(
        "2fa: administrator by policy", {("member_without_2fa", "high")}, grants=(Grant((ADMIN,)),)
    ),
    MemberCase(
        "2fa: super administrator of one zone only writes",
        {("member_without_2fa", "medium")},
        grants=(Grant((SUPER,), zone=ZONE),),
    ),
    MemberCase(
        "2fa: super administrator narrowed by a deny on one zone is an administrator",
        {("member_without_2fa", "high")},
        grants=(Grant((SUPER,)), Grant((SUPER,), access="deny", zone=ZONE)),
    ),
    MemberCase(
        "2fa: super administrator denied over the whole account reads only",
        {("member_without_2fa", "low")},
        grants=(Grant((SUPER,)), Grant((SUPER,), access="deny")),
    ),
    MemberCase("2fa: a role that writes", {("member_without_2fa", "medium")}, roles=("DNS",)),
    MemberCase("2fa: a read-only role", {("member_without_2fa", "low")}, roles=("Analytics",)),
    MemberCase(
        "2fa: read-only groups by policy",
        {("member_without_2fa", "low")},
        grants=(Grant(("Zone Read", "DNS Read"), zone=ZONE),),
    ),
    MemberCase(
        "2fa: account enforces it, one step lower",
        {("member_without_2fa", "medium")},
        roles=(ADMIN,),
        enforce_2fa=True,
    ),
    MemberCase("near miss: administrator with 2FA", set(), roles=(ADMIN,), two_fa=True),
    MemberCase(
        "near miss: a pending administrator has no 2FA to report",
        set(),
        roles=(ADMIN,),
        status="pending",
    ),
    # member_outside_allowed_domain: by privilege, pending members too.
    MemberCase(
        "domain: administrator outside",
        {("member_outside_allowed_domain", "high")},
        roles=(ADMIN,),
        two_fa=True,
        email="admin@gmail.example",
        thresholds=Thresholds(allowed_domains=("corp.example",)),
    ),
    MemberCase(
        "domain: pending member who writes, outside",
        {("member_outside_allowed_domain", "medium")},
        roles=("DNS",),
        status="pending",
        email="contractor@vendor.example",
        thresholds=Thresholds(allowed_domains=("corp.example",)),
    ),
    MemberCase(
        "domain: read-only member outside",
        {("member_outside_allowed_domain", "low")},
        roles=("Analytics",),
        two_fa=True,
        email="viewer@corp.example.evil.example",
        thresholds=Thresholds(allowed_domains=("corp.example",)),
    ),
    MemberCase(
        "near miss: a subdomain, any case",
        set(),
        roles=(ADMIN,),
        two_fa=True,
        email="ops@EU.Corp.Example",
        thresholds=Thresholds(allowed_domains=("@corp.example",)),
    ),
    MemberCase(
        "near miss: no allowed domains given",
        set(),
        roles=(ADMIN,),
        two_fa=True,
        email="admin@gmail.example",
    ),
    # stale_invitation and invitation_age_unknown: the log dates invitations, or cannot.
    MemberCase(
        "stale: pending longer than the limit",
        {("stale_invitation", "low")},
        roles=("DNS",),
        status="pending",
        days_later=20,
    ),
    MemberCase(
        "stale: an invitation to privileged access",
        {("stale_invitation", "medium")},
        grants=(Grant((SUPER,)),),
        status="pending",
        days_later=20,
    ),
    MemberCase(
        "near miss: pending within the limit",
        set(),
        roles=(ADMIN,),
        status="pending",
        days_later=10,
    ),
    MemberCase(
        "unknown: the log has a gap where the invitation was",
        {("invitation_age_unknown", "low")},
        roles=("DNS",),
        status="pending",
        gap=True,
    ),
    MemberCase(
        "unknown: older than the log's retention",
        {("invitation_age_unknown", "medium")},
        roles=(ADMIN,),
        status="pending",
        days_later=40,
    ),
    MemberCase(
        "stale: a longer retention dates it",
        {("stale_invitation", "medium")},
        roles=(ADMIN,),
        status="pending",
        days_later=40,
        thresholds=Thresholds(audit_log_retention_days=60),
    ),
    MemberCase(
        "unknown: the log could not be read",
        {("invitation_age_unknown", "low")},
        roles=("DNS",),
        status="pending",
        log_fault=Fault.error(500),
    ),
]


@pytest.mark.parametrize("case", MEMBER_CASES, ids=case_id)
async def test_member_checks(case: MemberCase) -> None:
    member_id, findings, run = await member_findings_of(case)
    assert of(member_id, findings) == case.expected
    assert run.failures == []


async def test_a_failed_log_read_leaves_the_other_findings() -> None:
    case = MemberCase("", set(), roles=(ADMIN,), status="pending", two_fa=False)
    member_id, findings, _ = await member_findings_of(
        attrs.evolve(case, log_fault=Fault.error(502))
    )
    [unknown] = [f for f in findings if f.subject_id == member_id]
    assert unknown.check == "invitation_age_unknown"
    assert "the audit log could not be read" in unknown.detail
    _, healthy, _ = await member_findings_of(case)
    others = {(f.check, f.severity) for f in healthy if f.subject_id != member_id}
    assert others and {(f.check, f.severity) for f in findings if f.subject_id != member_id} == (
        others
    )


# -- account checks ----------------------------------------------------------------------------


@attrs.frozen
class AccountCase:
    name: str
    expected: Expected
    members: tuple[MemberCase, ...] = ()
    enforce_2fa: bool = True
    thresholds: Thresholds = DEFAULTS
    #: Which check's findings, of the members, to compare instead of the account's.
    members_check: str | None = None


def someone(
    *,
    roles: tuple[str, ...] = (),
    grants: tuple[Grant, ...] = (),
    status: str = "accepted",
    two_fa: bool = True,
) -> MemberCase:
    return MemberCase("", set(), roles=roles, grants=grants, status=status, two_fa=two_fa, email="")


ACCOUNT_CASES = [
    AccountCase(
        "2fa not enforced",
        {("account_2fa_not_enforced", "medium")},
        members=(someone(grants=(Grant((SUPER,)),)),),
        enforce_2fa=False,
    ),
    AccountCase(
        "2fa not enforced, a super administrator without it",
        {("account_2fa_not_enforced", "high")},
        members=(someone(grants=(Grant((SUPER,)),), two_fa=False),),
        enforce_2fa=False,
    ),
    AccountCase(
        "near miss: 2fa enforced",
        set(),
        members=(someone(grants=(Grant((SUPER,)),), two_fa=False),),
    ),
    AccountCase("single super administrator", {("single_super_admin", "low")}),
    AccountCase(
        "single super administrator: a pending one does not count",
        {("single_super_admin", "low")},
        members=(someone(roles=(SUPER,), status="pending"),),
    ),
    AccountCase(
        "single super administrator: one of one zone only does not count",
        {("single_super_admin", "low")},
        members=(someone(grants=(Grant((SUPER,), zone=ZONE),)),),
    ),
    AccountCase(
        "near miss: a second super administrator, by policy",
        set(),
        members=(someone(grants=(Grant((SUPER,)),)),),
    ),
    AccountCase(
        "too many super administrators, by role and policy",
        {("too_many_super_admins", "medium")},
        members=(
            someone(roles=(SUPER,)),
            someone(grants=(Grant((SUPER,)),)),
            someone(grants=(Grant((SUPER,)),)),
        ),
        members_check="too_many_super_admins",
    ),
    AccountCase(
        "near miss: pending and narrowed super administrators do not count",
        set(),
        members=(
            someone(roles=(SUPER,)),
            someone(grants=(Grant((SUPER,)),)),
            someone(roles=(SUPER,), status="pending"),
            someone(grants=(Grant((SUPER,)), Grant((SUPER,), access="deny", zone=ZONE))),
        ),
        members_check="too_many_super_admins",
    ),
    AccountCase(
        "too many administrators",
        {("too_many_admins", "low")},
        members=(someone(roles=(ADMIN,)), someone(grants=(Grant((ADMIN,)),))),
        thresholds=Thresholds(max_admins=1),
        members_check="too_many_admins",
    ),
    AccountCase(
        "near miss: read-only administrators are not administrators",
        set(),
        members=(someone(roles=(ADMIN,)), someone(roles=("Administrator Read Only",))),
        thresholds=Thresholds(max_admins=1),
        members_check="too_many_admins",
    ),
]


@pytest.mark.parametrize("case", ACCOUNT_CASES, ids=case_id)
async def test_account_checks(case: AccountCase) -> None:
    async with fresh_sandbox() as sandbox:
        account_id = sandbox.account_ids[0]
        sandbox.amend(account_id, settings={"enforce_twofactor": case.enforce_2fa})
        async with sandbox.client() as client:
            for index, member in enumerate(case.members):
                await add_member(
                    sandbox, client, attrs.evolve(member, email=f"m{index}@corp.example")
                )
        _, findings = await audit(sandbox, thresholds=case.thresholds)
    if case.members_check is None:
        assert of(account_id, findings) == case.expected
    else:
        found = {(f.check, f.severity) for f in findings if f.check == case.members_check}
        assert found == case.expected
        subjects = {f.subject_kind for f in findings if f.check == case.members_check}
        assert subjects <= {"member"}


# -- token checks ------------------------------------------------------------------------------


def days(count: float) -> datetime:
    return datetime.now(UTC) + timedelta(days=count)


@attrs.frozen
class TokenCase:
    name: str
    expected: Expected
    #: Each policy: effect, group names, and where: "zone" (one zone), "all_zones",
    #: "account" or "bucket".
    policies: tuple[tuple[str, tuple[str, ...], str], ...] = (("allow", ("DNS Read",), "zone"),)
    allowed_ips: tuple[str, ...] | None = ("192.0.2.0/24",)
    denied_ips: tuple[str, ...] = ()
    expires_in: float | None = 200
    not_before_in: float | None = None
    issued_days_ago: float = 10
    used_days_ago: float | None = 1
    status: str = "active"
    thresholds: Thresholds = DEFAULTS


def resources(where: str, account_id: str) -> dict[str, Any]:
    account = f"com.cloudflare.api.account.{account_id}"
    found: dict[str, dict[str, Any]] = {
        "zone": {ZONE: "*"},
        "all_zones": {account: {"com.cloudflare.api.account.zone.*": "*"}},
        "account": {account: "*"},
        "bucket": {f"com.cloudflare.edge.r2.bucket.{account_id}_default_logs": "*"},
    }
    return found[where]


async def token_findings_of(case: TokenCase) -> set[tuple[str, str]]:
    async with fresh_sandbox() as sandbox:
        account_id = sandbox.account_ids[0]
        request_ip: dict[str, Any] = {}
        if case.allowed_ips is not None:
            request_ip["in"] = list(case.allowed_ips)
        if case.denied_ips:
            request_ip["not_in"] = list(case.denied_ips)
        async with sandbox.client() as client:
            token = await client.accounts.tokens.create(
                account_id=account_id,
                name="deploy",
                policies=[
                    converter.structure(
                        {
                            "id": f"p{index}",
                            "effect": effect,
                            "permission_groups": [
                                {"id": sandbox.permission_groups[g]} for g in groups
                            ],
                            "resources": resources(where, account_id),
                        },
                        TokenPolicy,
                    )
                    for index, (effect, groups, where) in enumerate(case.policies)
                ],
                condition=(
                    converter.structure({"request_ip": request_ip}, Condition)
                    if request_ip
                    else None
                ),
                expires_on=None if case.expires_in is None else days(case.expires_in),
                not_before=None if case.not_before_in is None else days(case.not_before_in),
            )
        assert token.id
        sandbox.amend(
            account_id,
            token.id,
            status=case.status,
            issued_on=days(-case.issued_days_ago),
            last_used_on=None if case.used_days_ago is None else days(-case.used_days_ago),
        )
        _, findings = await audit(sandbox, thresholds=case.thresholds)
    return of(token.id, findings)


WILDCARD = "token_wildcard_resources"
NO_IP = ("token_without_ip_limit", "medium")

TOKEN_CASES = [
    TokenCase("near miss: a well-kept token", set()),
    # token_without_ip_limit: parsed CIDRs.
    TokenCase("ip: no condition", {NO_IP}, allowed_ips=None),
    TokenCase("ip: a deny list only", {NO_IP}, allowed_ips=None, denied_ips=("192.0.2.1/32",)),
    TokenCase("ip: 0.0.0.0/0 and ::/0", {NO_IP}, allowed_ips=("0.0.0.0/0", "::/0")),
    TokenCase("ip: two halves of IPv4", {NO_IP}, allowed_ips=("0.0.0.0/1", "128.0.0.0/1")),
    TokenCase("ip: every IPv6 address", {NO_IP}, allowed_ips=("2001:db8::/32", "::/0")),
    TokenCase(
        "near miss: an allowlist with exceptions",
        set(),
        allowed_ips=("10.0.0.0/8", "2400:cb00::/32"),
        denied_ips=("10.0.0.1/32",),
    ),
    # Expiry.
    TokenCase("never expires", {("token_never_expires", "low")}, expires_in=None),
    TokenCase("expiring soon", {("token_expiring_soon", "low")}, expires_in=10),
    TokenCase("near miss: expiring after the window", set(), expires_in=60),
    TokenCase(
        "expired, still active",
        {("token_expired_not_disabled", "low")},
        expires_in=-3,
        allowed_ips=None,
    ),
    TokenCase(
        "near miss: status expired", set(), expires_in=-3, status="expired", allowed_ips=None
    ),
    TokenCase("near miss: disabled", set(), status="disabled", expires_in=None, allowed_ips=None),
    # token_unused: from the later of issued_on and not_before.
    TokenCase(
        "unused: never, issued long ago",
        {("token_unused", "medium")},
        used_days_ago=None,
        issued_days_ago=100,
    ),
    TokenCase(
        "unused: last used too long ago",
        {("token_unused", "medium")},
        used_days_ago=91,
        issued_days_ago=100,
    ),
    TokenCase("near miss: used within the window", set(), used_days_ago=89, issued_days_ago=100),
    TokenCase("near miss: issued a minute ago", set(), used_days_ago=None, issued_days_ago=0.001),
    TokenCase(
        "near miss: valid only from next week",
        set(),
        used_days_ago=None,
        issued_days_ago=100,
        not_before_in=7,
    ),
    TokenCase(
        "near miss: valid since recently",
        set(),
        used_days_ago=None,
        issued_days_ago=100,
        not_before_in=-30,
    ),
    # Age and lifetime.
    TokenCase(
        "not rotated",
        {("token_not_rotated", "low")},
        issued_days_ago=400,
        expires_in=60,
        thresholds=Thresholds(token_max_lifetime_days=1000),
    ),
    TokenCase("near miss: issued within the year", set(), issued_days_ago=300, expires_in=60),
    TokenCase("long lifetime", {("token_long_lifetime", "low")}, expires_in=400),
    TokenCase(
        "near miss: lifetime counted from not_before",
        set(),
        not_before_in=-5,
        issued_days_ago=100,
        expires_in=350,
    ),
    # token_wildcard_resources: what x where, one worse without allowlist and expiry.
    TokenCase(
        "wildcard: writes over the whole account",
        {(WILDCARD, "high")},
        policies=(("allow", ("Account Settings Write", "Workers Scripts Write"), "account"),),
    ),
    TokenCase(
        "wildcard: reads every zone from an allowlist",
        {(WILDCARD, "low")},
        policies=(("allow", ("Zone Read",), "all_zones"),),
    ),
    TokenCase(
        "wildcard: reads every zone from anywhere",
        {(WILDCARD, "medium"), NO_IP},
        policies=(("allow", ("Zone Read",), "all_zones"),),
        allowed_ips=None,
    ),
    TokenCase(
        "wildcard: reads the account from anywhere, forever",
        {(WILDCARD, "high"), NO_IP, ("token_never_expires", "low")},
        policies=(("allow", ("Account Settings Read",), "account"),),
        allowed_ips=None,
        expires_in=None,
    ),
    TokenCase(
        "wildcard: writes one zone",
        {(WILDCARD, "medium")},
        policies=(("allow", ("DNS Write",), "zone"),),
    ),
    TokenCase(
        "wildcard: writes one bucket from anywhere, forever",
        {(WILDCARD, "high"), NO_IP, ("token_never_expires", "low")},
        policies=(("allow", ("R2 Bucket Item Read", "Workers KV Storage Write"), "bucket"),),
        allowed_ips=None,
        expires_in=None,
    ),
    TokenCase(
        "wildcard: a deny takes the writes back, the reads stay",
        {(WILDCARD, "low")},
        policies=(
            ("allow", ("Account Settings Read", "Account Settings Write"), "account"),
            ("deny", ("Account Settings Write",), "account"),
        ),
    ),
    TokenCase(
        "near miss: a deny takes everything back",
        set(),
        policies=(
            ("allow", ("Zone Write",), "all_zones"),
            ("deny", ("Zone Write",), "account"),
        ),
    ),
    TokenCase(
        "near miss: reads one zone only", set(), policies=(("allow", ("Zone Read",), "zone"),)
    ),
]


@pytest.mark.parametrize("case", TOKEN_CASES, ids=case_id)
async def test_token_checks(case: TokenCase) -> None:
    assert await token_findings_of(case) == case.expected


def test_every_check_has_a_case() -> None:
    cases: list[Any] = [*MEMBER_CASES, *ACCOUNT_CASES, *TOKEN_CASES]
    produced = {check for case in cases for check, _ in case.expected}
    assert produced == {check.id for check in CHECKS}
    near_misses = [case for case in cases if not case.expected]
    assert len(near_misses) >= 10


# -- the IP allowlist, as a property ----------------------------------------------------------

networks_v4 = st.builds(
    lambda address, prefix: str(ipaddress.ip_network(f"{address}/{prefix}", strict=False)),
    st.ip_addresses(v=4),
    st.integers(min_value=0, max_value=32),
)


@given(st.lists(networks_v4, min_size=1, max_size=6), st.booleans())
def test_an_allowlist_counts_only_if_some_address_is_left_out(
    allowed: list[str], with_ipv6_range: bool
) -> None:
    listed = [*allowed, "2001:db8::/32"] if with_ipv6_range else allowed
    gap = ip_allowlist_gap(ConditionRequestIP(in_=listed))
    union = ipaddress.collapse_addresses(ipaddress.IPv4Network(n) for n in allowed)
    covers_all = ipaddress.IPv4Network("0.0.0.0/0") in list(union)
    assert (gap is not None) == covers_all
    if covers_all:
        assert "covers every address" in (gap or "")
