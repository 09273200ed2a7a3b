"""Each audit check, on hand-made members and tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from cfaccounts._converter import converter
from cfaccounts.audit import Finding, Thresholds
from cfaccounts.audit._checks import member_findings, token_findings
from cfaccounts.models import Member, Permissions, Role, Token

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
ACCOUNT = ("acc1", "Example")
SUPER = Role(
    id="r-super",
    name="Super Administrator - All Privileges",
    description="",
    permissions=Permissions(),
)
ADMIN = Role(id="r-admin", name="Administrator", description="", permissions=Permissions())


def member(
    member_id: str, *, status: str = "accepted", two_fa: bool = True, role: Role = ADMIN
) -> Member:
    return converter.structure(
        {
            "id": member_id,
            "email": f"{member_id}@example.com",
            "status": status,
            "roles": [converter.unstructure(role)],
            "user": {
                "email": f"{member_id}@example.com",
                "two_factor_authentication_enabled": two_fa,
            },
        },
        Member,
    )


def checks_of(
    members: list[Member], invited_on: dict[str, datetime] | None = None, **limits: int
) -> list[tuple[str, str, str]]:
    findings = member_findings(
        ACCOUNT,
        members,
        roles=[SUPER, ADMIN],
        invited_on=invited_on or {},
        thresholds=Thresholds(**limits),
        now=NOW,
    )
    return [(f.subject_id, f.check, f.severity) for f in findings]


def test_member_without_2fa_is_worse_for_a_super_admin() -> None:
    members = [
        member("ok"),
        member("plain", two_fa=False),
        member("boss", two_fa=False, role=SUPER),
        member("invitee", status="pending", two_fa=False),
    ]
    assert checks_of(members, {"invitee": NOW})[:2] == [
        ("plain", "member_without_2fa", "medium"),
        ("boss", "member_without_2fa", "high"),
    ]
    assert len(checks_of(members, {"invitee": NOW})) == 2


def test_stale_invitations_by_age_and_by_absence_from_the_window() -> None:
    members = [member(name, status="pending") for name in ("fresh", "old", "unlogged")]
    invited = {"fresh": NOW - timedelta(days=29), "old": NOW - timedelta(days=31)}
    findings = member_findings(
        ACCOUNT, members, roles=[], invited_on=invited, thresholds=Thresholds(), now=NOW
    )
    assert [(f.subject_id, f.detail) for f in findings] == [
        ("old", "invitation pending for 31 days"),
        ("unlogged", "invitation pending for more than 30 days"),
    ]


def test_too_many_super_admins_reports_each_of_them() -> None:
    supers = [member(f"s{i}", role=SUPER) for i in range(3)]
    assert checks_of(supers, max_super_admins=3) == []
    assert checks_of(supers, max_super_admins=2) == [
        (f"s{i}", "too_many_super_admins", "medium") for i in range(3)
    ]


def token(**fields: Any) -> Token:
    base: dict[str, Any] = {
        "id": "t1",
        "name": "deploy",
        "status": "active",
        "expires_on": (NOW + timedelta(days=200)).isoformat(),
        "last_used_on": (NOW - timedelta(days=1)).isoformat(),
        "condition": {"request_ip": {"in": ["192.0.2.0/24"]}},
        "policies": [
            {
                "id": "p",
                "effect": "allow",
                "permission_groups": [{"id": "g"}],
                "resources": {"com.cloudflare.api.account.acc1": "*"},
            }
        ],
    }
    return converter.structure({**base, **fields}, Token)


def token_checks(tok: Token, **limits: int) -> list[str]:
    found: list[Finding] = list(
        token_findings(ACCOUNT, [tok], thresholds=Thresholds(**limits), now=NOW)
    )
    assert all(f.subject_kind == "token" and f.subject_name == "deploy" for f in found)
    return [f.check for f in found]


def test_a_well_kept_token_has_no_findings() -> None:
    assert token_checks(token()) == []


def test_each_token_check() -> None:
    assert token_checks(token(condition=None)) == ["token_without_ip_limit"]
    assert token_checks(token(condition={"request_ip": {"not_in": ["192.0.2.1/32"]}})) == [
        "token_without_ip_limit"
    ]
    assert token_checks(token(expires_on=None)) == ["token_never_expires"]
    soon = (NOW + timedelta(days=10)).isoformat()
    assert token_checks(token(expires_on=soon)) == ["token_expiring_soon"]
    assert token_checks(token(expires_on=soon), expiring_within_days=5) == []
    assert token_checks(token(last_used_on=None)) == ["token_unused"]
    stale = (NOW - timedelta(days=91)).isoformat()
    assert token_checks(token(last_used_on=stale)) == ["token_unused"]
    assert token_checks(token(last_used_on=stale), unused_for_days=100) == []
    nested = {"com.cloudflare.api.account.acc1": {"com.cloudflare.api.account.zone.*": "*"}}
    policy = {"id": "p", "effect": "allow", "permission_groups": [{"id": "g"}], "resources": nested}
    assert token_checks(token(policies=[policy])) == ["token_wildcard_resources"]
    assert token_checks(token(policies=[{**policy, "effect": "deny"}])) == []


def test_expired_tokens_only_matter_until_disabled() -> None:
    past = (NOW - timedelta(days=3)).isoformat()
    assert token_checks(token(expires_on=past, status="expired", condition=None)) == [
        "token_expired_not_disabled"
    ]
    assert token_checks(token(expires_on=past, status="disabled")) == []
    assert token_checks(token(status="disabled", condition=None, expires_on=None)) == []
