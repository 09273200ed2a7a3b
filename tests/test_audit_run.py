"""Audits against the sandbox: what they find, and how they survive failing accounts."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from cfaccounts.audit import Audit, Finding
from cfaccounts.testing import Fault, Sandbox


async def run_audit(
    sandbox: Sandbox,
    *,
    timeout: float = 10.0,
    account_ids: list[str] | None = None,
    now: datetime | None = None,
) -> tuple[Audit, list[Finding]]:
    async with sandbox.client(max_retries=0, timeout=timeout) as client:
        run = Audit(client, account_ids=account_ids, now=now)
        return run, [finding async for finding in run]


@pytest.mark.cloudflare_sandbox(accounts=6, members_per_account=25, tokens_per_account=15)
async def test_findings_match_the_seeded_data(cloudflare_sandbox: Sandbox) -> None:
    run, findings = await run_audit(cloudflare_sandbox)
    assert run.failures == []
    assert run.accounts_done == run.accounts_total == 6
    found = {(f.subject_id, f.check) for f in findings}
    records = cloudflare_sandbox.store.accounts.values()
    for record in records:
        for member in record.members.values():
            without_2fa = (
                member["status"] == "accepted"
                and not member["user"]["two_factor_authentication_enabled"]
            )
            assert ((member["id"], "member_without_2fa") in found) == without_2fa
        for token in record.tokens.values():
            usable = token["status"] == "active" and (
                token["expires_on"] is None
                or token["expires_on"] > datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            )
            assert ((token["id"], "token_never_expires") in found) == (
                usable and token["expires_on"] is None
            )
            assert ((token["id"], "token_without_ip_limit") in found) == (
                usable and "condition" not in token
            )
    names = {record.id: record.name for record in records}
    assert all(names[f.account_id] == f.account_name for f in findings)
    assert {f.check for f in findings} >= {
        "member_without_2fa",
        "stale_invitation",
        "token_without_ip_limit",
        "token_never_expires",
        "token_expired_not_disabled",
        "token_expiring_soon",
        "token_unused",
        "token_wildcard_resources",
    }


@pytest.mark.cloudflare_sandbox(accounts=2, members_per_account=5, tokens_per_account=0)
async def test_invitation_age_comes_from_the_audit_log(cloudflare_sandbox: Sandbox) -> None:
    account_id = cloudflare_sandbox.account_ids[0]
    async with cloudflare_sandbox.client() as client:
        new = await client.accounts.members.create(account_id=account_id, email="new@example.com")
    _, findings = await run_audit(cloudflare_sandbox, account_ids=[account_id])
    stale = {f.subject_id for f in findings if f.check == "stale_invitation"}
    assert new.id not in stale
    _, later = await run_audit(
        cloudflare_sandbox, account_ids=[account_id], now=datetime.now(UTC) + timedelta(days=31)
    )
    assert new.id in {f.subject_id for f in later if f.check == "stale_invitation"}


@pytest.mark.cloudflare_sandbox(accounts=5, members_per_account=10, tokens_per_account=5)
async def test_one_account_forbidden_one_timing_out_the_rest_audited(
    cloudflare_sandbox: Sandbox,
) -> None:
    forbidden, slow, *healthy = cloudflare_sandbox.account_ids
    cloudflare_sandbox.inject(Fault.error(403), "*", account_id=forbidden, times=None)
    cloudflare_sandbox.inject(Fault.latency(1.0), "*", account_id=slow, times=None)
    run, findings = await run_audit(cloudflare_sandbox, timeout=0.3)
    failed = {failure.account_id: failure for failure in run.failures}
    assert set(failed) == {forbidden, slow}
    assert failed[forbidden].status_code == 403
    assert failed[forbidden].account_name
    assert failed[slow].status_code is None
    assert "timed out" in failed[slow].error
    assert {f.account_id for f in findings} == set(healthy)
    assert run.accounts_done == 5


async def test_explicit_accounts_only_and_unknown_ones_fail(cloudflare_sandbox: Sandbox) -> None:
    chosen = cloudflare_sandbox.account_ids[1]
    run, findings = await run_audit(cloudflare_sandbox, account_ids=[chosen, "0" * 32, chosen])
    assert run.accounts_total == 2
    assert {f.account_id for f in findings} == {chosen}
    assert [(f.account_id, f.status_code) for f in run.failures] == [("0" * 32, 404)]
    assert cloudflare_sandbox.received("GET /accounts") == 0


async def test_listing_failure_ends_the_audit_with_the_error(cloudflare_sandbox: Sandbox) -> None:
    cloudflare_sandbox.inject(Fault.error(401, code=10000, message="bad token"), "GET /accounts")
    with pytest.raises(Exception, match="bad token"):
        await run_audit(cloudflare_sandbox)


@pytest.mark.cloudflare_sandbox(accounts=20)
async def test_stopping_early_cancels_the_rest(cloudflare_sandbox: Sandbox) -> None:
    async with cloudflare_sandbox.client() as client:
        iterator = aiter(Audit(client, accounts_in_parallel=2))
        first = await anext(iterator)
        await iterator.aclose()  # type: ignore[attr-defined]
    assert isinstance(first, Finding)
    await asyncio.sleep(0)
    pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    assert pending == []
    assert cloudflare_sandbox.received("GET /accounts/{account_id}/members") < 20
