"""Audits against the sandbox: what they find, and how they survive failing accounts."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from cfaccounts import APIConnectionError, AsyncCloudflare, AuthenticationError
from cfaccounts.audit import CHECK_SOURCES, CHECKS, SOURCES, Audit, Finding, _run
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
            allowed = token.get("condition", {}).get("request_ip", {}).get("in", [])
            assert ((token["id"], "token_without_ip_limit") in found) == (
                usable and (not allowed or "0.0.0.0/0" in allowed)
            )
    names = {record.id: record.name for record in records}
    assert all(names[f.account_id] == f.account_name for f in findings)
    # Every check the default thresholds can trigger finds something in the seeded data.
    assert {f.check for f in findings} >= {check.id for check in CHECKS} - {
        "member_outside_allowed_domain",  # only with allowed domains
        "single_super_admin",  # most seeded accounts have several
        "stale_invitation",  # only invitations from 14 to 30 days old, not in every seed
    }


@pytest.mark.cloudflare_sandbox(accounts=2, members_per_account=5, tokens_per_account=0)
async def test_invitation_age_comes_from_the_audit_log(cloudflare_sandbox: Sandbox) -> None:
    account_id = cloudflare_sandbox.account_ids[0]
    async with cloudflare_sandbox.client() as client:
        new = await client.accounts.members.create(account_id=account_id, email="new@example.com")
    _, findings = await run_audit(cloudflare_sandbox, account_ids=[account_id])
    assert new.id not in {f.subject_id for f in findings}
    _, later = await run_audit(
        cloudflare_sandbox, account_ids=[account_id], now=datetime.now(UTC) + timedelta(days=15)
    )
    assert new.id in {f.subject_id for f in later if f.check == "stale_invitation"}
    # Past the log's 30 days of retention, the entry is gone: the age is unknown.
    _, much_later = await run_audit(
        cloudflare_sandbox, account_ids=[account_id], now=datetime.now(UTC) + timedelta(days=31)
    )
    assert {(f.subject_id, f.check) for f in much_later if f.subject_id == new.id} == {
        (new.id, "invitation_age_unknown")
    }


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


AUDIT_LOG = "GET /accounts/{account_id}/logs/audit"


def pending_accounts(sandbox: Sandbox) -> set[str]:
    return {
        record.id
        for record in sandbox.store.accounts.values()
        if any(member["status"] == "pending" for member in record.members.values())
    }


@pytest.mark.cloudflare_sandbox(accounts=3, members_per_account=25, tokens_per_account=12)
async def test_forbidden_audit_log_leaves_only_invitation_age_not_checked(
    cloudflare_sandbox: Sandbox,
) -> None:
    _, full = await run_audit(cloudflare_sandbox)
    cloudflare_sandbox.inject(Fault.error(403), AUDIT_LOG, times=None)
    run, findings = await run_audit(cloudflare_sandbox)
    assert run.failures == []
    assert run.accounts_audited == 3
    # Every other check still reports exactly what it reported with the audit log readable.
    assert findings
    invitation_checks = {"stale_invitation", "invitation_age_unknown"}
    assert sorted(map(repr, findings)) == sorted(
        repr(f) for f in full if f.check not in invitation_checks
    )
    with_pending = pending_accounts(cloudflare_sandbox)
    assert with_pending  # the seed has pending invitations, so the log is read
    assert {(n.account_id, n.check) for n in run.not_checked} == {
        (account_id, check) for account_id in with_pending for check in invitation_checks
    }
    for item in run.not_checked:
        assert item.permission == SOURCES["audit_log"].permission
        assert item.request == AUDIT_LOG
        assert "403" in item.error
        assert item.account_name


@pytest.mark.cloudflare_sandbox(accounts=2, members_per_account=10, tokens_per_account=8)
async def test_forbidden_tokens_leave_the_member_checks_running(
    cloudflare_sandbox: Sandbox,
) -> None:
    cloudflare_sandbox.inject(Fault.error(403), "GET /accounts/{account_id}/tokens", times=None)
    run, findings = await run_audit(cloudflare_sandbox)
    assert run.failures == []
    assert {f.subject_kind for f in findings} == {"account", "member"}
    token_checks = {check for check, needs in CHECK_SOURCES.items() if "tokens" in needs}
    assert {(n.account_id, n.check) for n in run.not_checked} == {
        (account_id, check)
        for account_id in cloudflare_sandbox.account_ids
        for check in token_checks
    }
    assert {n.permission for n in run.not_checked} == {"Account API Tokens Read"}


async def test_a_forbidden_account_leaves_only_its_settings_check_not_checked(
    cloudflare_sandbox: Sandbox,
) -> None:
    chosen = cloudflare_sandbox.account_ids[0]
    # The account does not enforce 2FA: its settings are what a 403 hides.
    cloudflare_sandbox.amend(chosen, settings={"enforce_twofactor": False})
    _, full = await run_audit(cloudflare_sandbox, account_ids=[chosen])
    assert "account_2fa_not_enforced" in {f.check for f in full}
    cloudflare_sandbox.inject(Fault.error(403), "GET /accounts/{account_id}", times=None)
    run, findings = await run_audit(cloudflare_sandbox, account_ids=[chosen])
    assert run.failures == []
    assert [(n.check, n.request) for n in run.not_checked] == [
        ("account_2fa_not_enforced", "GET /accounts/{account_id}")
    ]
    assert [(f.subject_id, f.check, f.severity) for f in findings] == [
        (f.subject_id, f.check, f.severity) for f in full if f.check != "account_2fa_not_enforced"
    ]
    assert {f.account_name for f in findings} == {""}  # and the name


def test_every_check_says_what_it_reads() -> None:
    assert [check.id for check in CHECKS] == list(CHECK_SOURCES)
    assert {source for needs in CHECK_SOURCES.values() for source in needs} <= set(SOURCES)


@pytest.mark.cloudflare_sandbox(accounts=3, members_per_account=6, tokens_per_account=4)
async def test_a_long_retry_after_is_waited_out_within_max_wait(
    cloudflare_sandbox: Sandbox, waits: list[float]
) -> None:
    # Longer than the client's own retries wait (60 s): the audit waits it out
    # itself, and the other accounts' reads, held meanwhile, wait with it.
    cloudflare_sandbox.inject(
        Fault.rate_limited(250),
        "GET /accounts/{account_id}/members",
        account_id=cloudflare_sandbox.account_ids[0],
    )
    async with cloudflare_sandbox.client(max_retries=0) as client:
        run = Audit(client, max_wait=300)
        findings = [finding async for finding in run]
        assert client.rate_limiter.pauses >= 1
    assert run.failures == []
    assert {f.account_id for f in findings} == set(cloudflare_sandbox.account_ids)
    assert sum(waits) >= 249  # the hold was waited out, looked at every 0.5 s
    assert run.retry_after is not None and 0 < run.retry_after <= 250.001


@pytest.mark.cloudflare_sandbox(accounts=3, members_per_account=6, tokens_per_account=4)
async def test_a_retry_after_beyond_max_wait_fails_the_account_saying_so(
    cloudflare_sandbox: Sandbox, waits: list[float]
) -> None:
    slow = cloudflare_sandbox.account_ids[1]
    cloudflare_sandbox.inject(
        Fault.rate_limited(200), "GET /accounts/{account_id}/tokens", account_id=slow, times=None
    )
    async with cloudflare_sandbox.client(max_retries=0) as client:
        run = Audit(client, max_wait=300)
        findings = [finding async for finding in run]
    [failure] = run.failures
    assert failure.account_id == slow
    assert failure.status_code == 429
    # One wait of 200 s fits in 300; a second would not.
    assert "Retry-After 200 s" in failure.error
    assert "200 s waited of at most 300 s" in failure.error
    assert {f.account_id for f in findings} == set(cloudflare_sandbox.account_ids) - {slow}


async def test_a_refused_credential_ends_the_audit(cloudflare_sandbox: Sandbox) -> None:
    chosen = cloudflare_sandbox.account_ids[:2]
    cloudflare_sandbox.inject(Fault.error(401), "*", times=None)
    with pytest.raises(AuthenticationError):
        await run_audit(cloudflare_sandbox, account_ids=chosen)


async def test_an_unreachable_api_ends_the_audit() -> None:
    async with Sandbox() as sandbox:
        base_url = sandbox.base_url
        token = sandbox.api_token
    # The sandbox is closed: nothing listens on its port any more.
    async with AsyncCloudflare(
        api_token=token, base_url=base_url, max_retries=0, proxy=False
    ) as client:
        with pytest.raises(APIConnectionError):
            _ = [f async for f in Audit(client, account_ids=["a" * 32, "b" * 32])]


@pytest.mark.parametrize("bad", ["", " ", "abc ", "a/b", ".."])
def test_unusable_account_ids_are_refused_before_anything_is_sent(bad: str) -> None:
    client = AsyncCloudflare(api_token="t", proxy=False)
    with pytest.raises(ValueError, match="account_ids"):
        Audit(client, account_ids=["0" * 32, bad])


@pytest.mark.cloudflare_sandbox(accounts=5, members_per_account=2, tokens_per_account=2)
async def test_a_failing_check_ends_the_audit_instead_of_hanging(
    cloudflare_sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug in a check")

    monkeypatch.setattr(_run, "token_findings", broken)
    async with cloudflare_sandbox.client() as client:
        run = Audit(client, accounts_in_parallel=1)
        # The worker dies on the first account; the others must not wait for it forever.
        with pytest.raises(RuntimeError, match="a bug in a check"):
            await asyncio.wait_for(_collect(run), 60)


async def _collect(run: Audit) -> list[Finding]:
    return [finding async for finding in run]


async def test_a_view_of_a_member_does_not_date_the_invitation() -> None:
    async with Sandbox(
        seed="audit", accounts=20, members_per_account=25, tokens_per_account=0, rate_limit=None
    ) as sandbox:
        # Seeded gaps: the invitation's entry is missing, a later view of the member is not.
        only_viewed = {
            member_id
            for record in sandbox.store.accounts.values()
            for member_id in record.members
            if {e["action"]["type"] for e in record.audit if e["resource"]["id"] == member_id}
            == {"view"}
        }
        assert only_viewed
        _, findings = await run_audit(sandbox)
    checks = {(f.subject_id, f.check) for f in findings if f.subject_id in only_viewed}
    assert checks == {(member_id, "invitation_age_unknown") for member_id in only_viewed}


@pytest.mark.cloudflare_sandbox(accounts=120, members_per_account=1, tokens_per_account=1)
async def test_a_lockout_met_by_the_listing_is_waited_out_too(
    cloudflare_sandbox: Sandbox, waits: list[float]
) -> None:
    # The listing's next page meets a 429 holding every request for 100 s,
    # longer than the client's retries wait: it is fetched again when the
    # lockout ends, within max_wait, rather than ending the audit.
    async with cloudflare_sandbox.client() as client:
        run = Audit(client, max_wait=300, accounts_in_parallel=2)
        findings: list[Finding] = []
        async for finding in run:
            if not findings:  # page 1 is read; the next pages are not yet
                cloudflare_sandbox.inject(Fault.rate_limited(100), "GET /accounts")
            findings.append(finding)
    assert run.failures == []
    assert run.accounts_audited == 120
    assert cloudflare_sandbox.counters.responses[429] == 1
    assert sum(waits) >= 100  # the hold was waited out


@pytest.mark.cloudflare_sandbox(accounts=2, members_per_account=2, tokens_per_account=1)
async def test_a_read_held_by_another_read_s_lockout_is_charged_the_whole_of_it(
    cloudflare_sandbox: Sandbox,
) -> None:
    # A's 429 holds every request for 300 s. B, read next, would itself only
    # be asked to wait 5 s, but it can be read again only when A's hold ends:
    # more than its max_wait, so it fails at once, unsent, rather than waiting.
    first, second = cloudflare_sandbox.account_ids
    for account_id, seconds in ((first, 300), (second, 5)):
        cloudflare_sandbox.inject(
            Fault.rate_limited(seconds), "GET /accounts/{account_id}", account_id=account_id
        )
    async with cloudflare_sandbox.client(max_retries=0) as client:
        run = Audit(client, account_ids=[first, second], accounts_in_parallel=1, max_wait=100)
        async with asyncio.timeout(10):
            _ = [finding async for finding in run]
    failures = {failure.account_id: failure for failure in run.failures}
    assert set(failures) == {first, second}
    assert "not sent" in failures[second].error
    assert cloudflare_sandbox.counters.responses == {429: 1}
