"""The sandbox's seed data: deterministic, varied, shaped like the API's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cfaccounts._converter import converter
from cfaccounts.models import Account, Member, Role, Subscription, Token
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
        "invites logged": all(
            any(e["resource"]["id"] == m["id"] for e in r.audit)
            for r in records
            for m in r.members.values()
            if m["status"] == "pending"
        ),
    }
    assert [name for name, present in found.items() if not present] == []
