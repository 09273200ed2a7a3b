"""The sandbox's seed data: deterministic, varied, shaped like the API's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cfaccounts._converter import converter
from cfaccounts.models import Account, Member, Policy, Role, Subscription, Token
from cfaccounts.testing import Sandbox

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def snapshot(sandbox: Sandbox) -> list[Any]:
    return [
        (r.account, r.roles, r.members, r.tokens, r.subscriptions, r.audit)
        for r in sandbox.store.accounts.values()
    ]


def test_same_seed_same_data() -> None:
    first = Sandbox(seed=7, accounts=4, now=NOW)
    second = Sandbox(seed=7, accounts=4, now=NOW)
    assert snapshot(first) == snapshot(second)
    token_ids = [t for r in first.store.accounts.values() for t in r.tokens]
    assert [first.store.secret_of(t) for t in token_ids] == [
        second.store.secret_of(t) for t in token_ids
    ]


def test_an_account_does_not_depend_on_the_counts_of_others() -> None:
    few = Sandbox(seed=7, accounts=2, now=NOW)
    many = Sandbox(seed=7, accounts=5, now=NOW)
    assert snapshot(few) == snapshot(many)[:2]


def test_other_seed_other_data() -> None:
    assert Sandbox(seed=1, now=NOW).account_ids != Sandbox(seed=2, now=NOW).account_ids


def test_counts_are_as_asked() -> None:
    sandbox = Sandbox(accounts=5, members_per_account=12, tokens_per_account=4, now=NOW)
    assert len(sandbox.account_ids) == 5
    for record in sandbox.store.accounts.values():
        assert len(record.members) == 12
        assert len(record.tokens) == 4
        assert len(record.roles) == 8


def test_refuses_negative_counts_and_half_a_key() -> None:
    with pytest.raises(ValueError, match="accounts"):
        Sandbox(accounts=-1)
    with pytest.raises(ValueError, match="api_email and api_key"):
        Sandbox(api_key="k")


def test_records_structure_into_the_sdk_models() -> None:
    sandbox = Sandbox(accounts=3, members_per_account=20, tokens_per_account=20, now=NOW)
    for record in sandbox.store.accounts.values():
        converter.structure(record.account, Account)
        for role in record.roles.values():
            converter.structure(role, Role)
        for member in record.members.values():
            assert not converter.structure(member, Member).extra
        for token in record.tokens.values():
            assert not converter.structure(token, Token).extra
        for subscription in record.subscriptions.values():
            converter.structure(subscription, Subscription)


SUPER = "Super Administrator - All Privileges"


def _policy_grants(member: dict[str, Any], group: str, where: str, access: str) -> bool:
    """Whether a member policy of ``access`` grants ``group`` over the account or one zone."""
    return any(
        policy["access"] == access
        and any(g["name"] == group for g in policy["permission_groups"])
        and any(
            (obj["key"] == "*") == (where == "*")
            for rg in policy["resource_groups"]
            # One object as the API sends it today, a list as it once was.
            for scope in (rg["scope"] if isinstance(rg["scope"], list) else [rg["scope"]])
            for obj in scope["objects"]
        )
        for policy in member["policies"]
    )


def _wildcard(resources: dict[str, Any]) -> bool:
    return any(
        key.endswith("*") or (isinstance(value, dict) and _wildcard(value))
        for key, value in resources.items()
    )


def test_data_covers_what_an_audit_looks_for() -> None:
    sandbox = Sandbox(accounts=20, members_per_account=30, tokens_per_account=20, now=NOW)
    records = list(sandbox.store.accounts.values())
    members = [m for r in records for m in r.members.values()]
    tokens = [t for r in records for t in r.tokens.values()]
    soon = (NOW + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    stamp = NOW.strftime("%Y-%m-%dT%H:%M:%SZ")
    found = {
        "owner first, super admin": all(
            next(iter(r.members.values()))["email"] == "owner@sandbox.example" for r in records
        ),
        "without 2fa": any(
            m["status"] == "accepted" and not m["user"]["two_factor_authentication_enabled"]
            for m in members
        ),
        "with 2fa": any(m["user"]["two_factor_authentication_enabled"] for m in members),
        "pending": any(m["status"] == "pending" for m in members),
        "policies instead of roles": any(m["policies"] and not m["roles"] for m in members),
        "several super admins": any(
            sum(
                any(role["name"].startswith("Super Administrator") for role in m["roles"])
                for m in r.members.values()
            )
            > 1
            for r in records
        ),
        "no ip condition": any("condition" not in t for t in tokens),
        "ip condition": any("condition" in t for t in tokens),
        "never expires": any(t["expires_on"] is None for t in tokens),
        "expired, not disabled": any(
            t["expires_on"] and t["expires_on"] < stamp and t["status"] != "disabled"
            for t in tokens
        ),
        "expiring soon": any(t["expires_on"] and stamp < t["expires_on"] < soon for t in tokens),
        "never used": any(t["last_used_on"] is None for t in tokens),
        "wildcard resources": any(_wildcard(p["resources"]) for t in tokens for p in t["policies"]),
        "specific resources": any(
            not _wildcard(p["resources"]) for t in tokens for p in t["policies"]
        ),
        "subscriptions": any(r.subscriptions for r in records),
        "pending invitations logged, except gaps": any(
            e["resource"]["id"] == m["id"] and e["action"]["type"] == "create"
            for r in records
            for e in r.audit
            for m in r.members.values()
            if m["status"] == "pending"
        ),
        "a gap where an invitation was, a view of the member after": any(
            e["action"]["type"] == "view" for r in records for e in r.audit
        ),
        "super administrator by policy": any(
            _policy_grants(m, SUPER, "*", "allow") for m in members
        ),
        "administrator by policy": any(
            _policy_grants(m, "Administrator", "*", "allow") for m in members
        ),
        "super administrator of one zone": any(
            _policy_grants(m, SUPER, "zone", "allow") for m in members
        ),
        "super administrator narrowed by a deny": any(
            _policy_grants(m, SUPER, "zone", "deny") for m in members
        ),
        "not_before in the future": any(
            t["not_before"] and t["not_before"] > stamp and t["status"] == "active" for t in tokens
        ),
        "deny list only": any(
            "condition" in t and "in" not in t["condition"]["request_ip"] for t in tokens
        ),
        "allowlist of every address": any(
            "0.0.0.0/0" in t.get("condition", {}).get("request_ip", {}).get("in", [])
            for t in tokens
        ),
        "a deny narrowing a wildcard": any(
            p["effect"] == "deny" and _wildcard(p["resources"])
            for t in tokens
            for p in t["policies"]
        ),
        "R2 bucket resources": any(
            key.startswith("com.cloudflare.edge.r2.bucket.")
            for t in tokens
            for p in t["policies"]
            for key in p["resources"]
        ),
    }
    assert [name for name, present in found.items() if not present] == []


def test_token_permission_groups_fit_their_resources() -> None:
    sandbox = Sandbox(accounts=20, members_per_account=2, tokens_per_account=20, now=NOW)
    scopes = {group["name"]: group["scopes"][0] for group in _groups(sandbox)}
    for record in sandbox.store.accounts.values():
        for token in record.tokens.values():
            for policy in token["policies"]:
                for key, value in policy["resources"].items():
                    where = (
                        "com.cloudflare.api.account.zone"
                        if isinstance(value, dict) or ".zone." in key
                        else "com.cloudflare.edge.r2.bucket"
                        if ".r2.bucket." in key
                        else "com.cloudflare.api.account"
                    )
                    assert {scopes[g["name"]] for g in policy["permission_groups"]} == {where}


def _groups(sandbox: Sandbox) -> list[dict[str, Any]]:
    with sandbox as running, running.sync_client() as client:
        account_id = running.account_ids[0]
        return [
            {"name": g.name, "scopes": list(g.scopes or ())}
            for g in client.accounts.tokens.permission_groups.list(account_id=account_id)
        ]


def test_the_audit_log_keeps_30_days() -> None:
    sandbox = Sandbox(accounts=20, members_per_account=30, tokens_per_account=0, now=NOW)
    oldest = min(e["action"]["time"] for r in sandbox.store.accounts.values() for e in r.audit)
    assert oldest >= (NOW - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")


async def test_member_policies_take_role_named_groups_and_keep_their_scope() -> None:
    async with Sandbox(accounts=1, members_per_account=1, tokens_per_account=0) as sandbox:
        account_id = sandbox.account_ids[0]
        scope = {
            "key": f"com.cloudflare.api.account.{account_id}",
            "objects": [{"key": "com.cloudflare.api.account.zone.abc"}],
        }
        policy = converter.structure(
            {
                "access": "allow",
                "permission_groups": [{"id": sandbox.permission_groups[SUPER]}],
                "resource_groups": [{"id": "rg", "scope": [scope]}],
            },
            Policy,
        )
        async with sandbox.client() as client:
            member = await client.accounts.members.create(
                account_id=account_id, email="zone.admin@example.com", policies=[policy]
            )
            assert member.id
            read = await client.accounts.members.get(member.id, account_id=account_id)
    [granted] = read.policies or []
    assert [g.name for g in granted.permission_groups or []] == [SUPER]
    assert converter.unstructure((granted.resource_groups or [])[0].scope) == [scope]


async def test_tests_can_punch_gaps_in_the_audit_log_and_amend_records() -> None:
    async with Sandbox(accounts=1, members_per_account=1, tokens_per_account=0) as sandbox:
        account_id = sandbox.account_ids[0]
        async with sandbox.client() as client:
            kept = await client.accounts.members.create(account_id=account_id, email="a@x.example")
            lost = await client.accounts.members.create(account_id=account_id, email="b@x.example")
            assert kept.id and lost.id
            assert sandbox.punch_audit_log_gap(account_id, resource_id=lost.id) == 1
            assert sandbox.punch_audit_log_gap(account_id, resource_id=lost.id) == 0
            since = datetime.now(UTC) - timedelta(days=1)
            logged = [
                entry.resource.id if entry.resource else None
                async for entry in client.accounts.logs.audit.list(
                    account_id=account_id, since=since, before=since + timedelta(days=2)
                )
            ]
            assert logged == [kept.id]
            sandbox.amend(account_id, kept.id, user={"two_factor_authentication_enabled": True})
            read = await client.accounts.members.get(kept.id, account_id=account_id)
            assert read.user and read.user.two_factor_authentication_enabled
            assert read.user.email == "a@x.example"  # merged, not replaced
            assert sandbox.punch_audit_log_gap(account_id, before=NOW - timedelta(days=400)) == 0
            assert sandbox.punch_audit_log_gap(account_id) == 1
