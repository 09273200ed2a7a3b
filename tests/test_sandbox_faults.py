"""The sandbox's scripted faults and rate limit, as a client meets them."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import aiohttp
import pytest

from cfaccounts import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    InternalServerError,
    PermissionDeniedError,
    RateLimitError,
)
from cfaccounts.testing import Fault, RateLimit, Sandbox

MEMBERS = "GET /accounts/{account_id}/members"
INVITE = "POST /accounts/{account_id}/members"


async def test_server_error_is_retried_and_counted(
    cloudflare_sandbox: Sandbox, waits: list[float]
) -> None:
    rule = cloudflare_sandbox.inject(Fault.error(503), MEMBERS, times=2)
    account_id = cloudflare_sandbox.account_ids[0]
    async with cloudflare_sandbox.client(max_retries=2) as client:
        page = await client.accounts.members.list(account_id=account_id)
    assert page.result
    assert rule.hits == 2
    assert len(waits) == 2
    assert cloudflare_sandbox.received(MEMBERS) == 3
    assert cloudflare_sandbox.counters.responses == {503: 2, 200: 1}


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_html_error_page_becomes_a_typed_error(
    cloudflare_sandbox: Sandbox, status: int
) -> None:
    cloudflare_sandbox.inject(Fault.error(status, html=True), MEMBERS)
    async with cloudflare_sandbox.client(max_retries=0) as client:
        with pytest.raises(InternalServerError) as caught:
            await client.accounts.members.list(account_id=cloudflare_sandbox.account_ids[0])
    assert caught.value.status_code == status
    assert caught.value.ray_id
    assert f"body is not JSON: '{status} | api.cloudflare.com | Cloudflare'" in str(caught.value)


async def test_json_error_carries_its_code(cloudflare_sandbox: Sandbox) -> None:
    cloudflare_sandbox.inject(Fault.error(500, code=8000, message="backend down"), MEMBERS)
    async with cloudflare_sandbox.client(max_retries=0) as client:
        with pytest.raises(InternalServerError) as caught:
            await client.accounts.members.list(account_id=cloudflare_sandbox.account_ids[0])
    assert [(e.code, e.message) for e in caught.value.errors] == [(8000, "backend down")]


async def test_rate_limited_fault_sends_retry_after(
    cloudflare_sandbox: Sandbox, waits: list[float]
) -> None:
    cloudflare_sandbox.inject(Fault.rate_limited(retry_after=7), MEMBERS, times=None)
    async with cloudflare_sandbox.client(max_retries=1) as client:
        with pytest.raises(RateLimitError) as caught:
            await client.accounts.members.list(account_id=cloudflare_sandbox.account_ids[0])
    assert caught.value.retry_after == 7
    assert sum(waits) == pytest.approx(7)  # the pause, looked at every 0.5 s
    assert cloudflare_sandbox.counters.responses == {429: 2}


async def test_unsuccessful_with_200_is_an_error(cloudflare_sandbox: Sandbox) -> None:
    cloudflare_sandbox.inject(Fault.unsuccessful(code=1234, message="nope"), MEMBERS)
    async with cloudflare_sandbox.client(max_retries=0) as client:
        with pytest.raises(APIStatusError) as caught:
            await client.accounts.members.list(account_id=cloudflare_sandbox.account_ids[0])
    assert caught.value.status_code == 200
    assert caught.value.errors[0].code == 1234


async def test_latency_past_the_timeout(cloudflare_sandbox: Sandbox) -> None:
    cloudflare_sandbox.inject(Fault.latency(0.5), MEMBERS)
    account_id = cloudflare_sandbox.account_ids[0]
    async with cloudflare_sandbox.client(max_retries=0, timeout=0.1) as client:
        with pytest.raises(APITimeoutError):
            await client.accounts.members.list(account_id=account_id)
        # The fault is spent: the next call is answered at once.
        assert (await client.accounts.members.list(account_id=account_id)).result


async def test_latency_within_the_timeout_only_delays(cloudflare_sandbox: Sandbox) -> None:
    cloudflare_sandbox.inject(Fault.latency(0.05), MEMBERS)
    loop = asyncio.get_running_loop()
    async with cloudflare_sandbox.client() as client:
        started = loop.time()
        await client.accounts.members.list(account_id=cloudflare_sandbox.account_ids[0])
    assert loop.time() - started >= 0.05


async def test_drop_before_read_changes_nothing_and_is_not_retried(
    cloudflare_sandbox: Sandbox, waits: list[float]
) -> None:
    account_id = cloudflare_sandbox.account_ids[0]
    members_before = len(cloudflare_sandbox.store.accounts[account_id].members)
    cloudflare_sandbox.inject(Fault.disconnect("before_read"), INVITE)
    async with cloudflare_sandbox.client(max_retries=3) as client:
        with pytest.raises(APIConnectionError):
            await client.accounts.members.create(account_id=account_id, email="a@example.com")
    assert cloudflare_sandbox.received(INVITE) == 1
    assert len(cloudflare_sandbox.store.accounts[account_id].members) == members_before
    assert cloudflare_sandbox.counters.responses == {0: 1}


async def test_drop_after_read_applies_once_and_loses_the_answer(
    cloudflare_sandbox: Sandbox, waits: list[float]
) -> None:
    account_id = cloudflare_sandbox.account_ids[0]
    cloudflare_sandbox.inject(Fault.disconnect("after_read"), INVITE)
    async with cloudflare_sandbox.client(max_retries=3) as client:
        with pytest.raises(APIConnectionError):
            await client.accounts.members.create(account_id=account_id, email="b@example.com")
    members = cloudflare_sandbox.store.accounts[account_id].members.values()
    assert [m["email"] for m in members].count("b@example.com") == 1
    assert cloudflare_sandbox.received(INVITE) == 1
    assert waits == []


async def test_drop_mid_body_on_a_get_is_retried(
    cloudflare_sandbox: Sandbox, waits: list[float]
) -> None:
    cloudflare_sandbox.inject(Fault.disconnect("mid_body"), MEMBERS)
    async with cloudflare_sandbox.client(max_retries=1) as client:
        page = await client.accounts.members.list(account_id=cloudflare_sandbox.account_ids[0])
    assert page.result
    assert cloudflare_sandbox.received(MEMBERS) == 2
    assert cloudflare_sandbox.counters.responses == {0: 1, 200: 1}


async def test_drop_mid_body_on_a_roll_is_not_repeated(cloudflare_sandbox: Sandbox) -> None:
    account_id = cloudflare_sandbox.account_ids[0]
    token_id = next(iter(cloudflare_sandbox.store.accounts[account_id].tokens))
    secret_before = cloudflare_sandbox.store.secret_of(token_id)
    route = "PUT /accounts/{account_id}/tokens/{token_id}/value"
    cloudflare_sandbox.inject(Fault.disconnect("mid_body"), route)
    async with cloudflare_sandbox.client(max_retries=3) as client:
        with pytest.raises(APIConnectionError):
            await client.accounts.tokens.value.update(token_id, account_id=account_id, body={})
    assert cloudflare_sandbox.received(route) == 1
    assert cloudflare_sandbox.store.secret_of(token_id) != secret_before


async def test_truncated_json_is_a_validation_error(cloudflare_sandbox: Sandbox) -> None:
    cloudflare_sandbox.inject(Fault.truncated(), MEMBERS)
    async with cloudflare_sandbox.client(max_retries=0) as client:
        with pytest.raises(APIResponseValidationError) as caught:
            await client.accounts.members.list(account_id=cloudflare_sandbox.account_ids[0])
    assert caught.value.status_code == 200
    assert caught.value.ray_id


async def test_faults_can_target_one_account(cloudflare_sandbox: Sandbox) -> None:
    broken, healthy = cloudflare_sandbox.account_ids[:2]
    rule = cloudflare_sandbox.inject(Fault.error(403), "*", account_id=broken, times=None)
    async with cloudflare_sandbox.client(max_retries=0) as client:
        for _ in range(2):
            with pytest.raises(PermissionDeniedError):
                await client.accounts.tokens.list(account_id=broken)
        assert (await client.accounts.tokens.list(account_id=healthy)).result
    assert rule.hits == 2


async def test_faults_apply_in_the_order_given(cloudflare_sandbox: Sandbox) -> None:
    cloudflare_sandbox.inject(Fault.error(502), MEMBERS)
    cloudflare_sandbox.inject(Fault.unsuccessful(), MEMBERS)
    async with aiohttp.ClientSession(
        headers={"Authorization": f"Bearer {cloudflare_sandbox.api_token}"}
    ) as session:
        url = f"{cloudflare_sandbox.base_url}/accounts/{cloudflare_sandbox.account_ids[0]}/members"
        statuses = []
        for _ in range(3):
            async with session.get(url) as response:
                statuses.append((response.status, (await response.json())["success"]))
    assert statuses == [(502, False), (200, False), (200, True)]


@pytest.mark.cloudflare_sandbox(rate_limit=RateLimit(3, per=0.5))
async def test_rate_limit_answers_429_with_retry_after(cloudflare_sandbox: Sandbox) -> None:
    account_id = cloudflare_sandbox.account_ids[0]

    async def list_roles() -> None:
        # A new client each time: one that read the headers would not go over.
        async with cloudflare_sandbox.client(max_retries=0) as client:
            await client.accounts.roles.list(account_id=account_id)

    for _ in range(3):
        await list_roles()
    with pytest.raises(RateLimitError) as caught:
        await list_roles()
    assert caught.value.retry_after == 1
    assert caught.value.errors[0].code == 971
    await asyncio.sleep(0.5)
    await list_roles()
    assert cloudflare_sandbox.counters.responses == {200: 4, 429: 1}


@pytest.mark.cloudflare_sandbox(
    rate_limit=RateLimit(2, per=60), api_email="ops@example.com", api_key="global-key"
)
async def test_rate_limit_is_per_user(cloudflare_sandbox: Sandbox) -> None:
    async with cloudflare_sandbox.client(max_retries=0) as by_token:
        await by_token.accounts.list()
        await by_token.accounts.list()
    # A new client, which has not read the headers that say nothing is left.
    async with cloudflare_sandbox.client(max_retries=0) as by_token:
        with pytest.raises(RateLimitError) as caught:
            await by_token.accounts.list()
        assert caught.value.retry_after == 60
    # The sandbox's key is the same user as its token: locked out too.
    async with cloudflare_sandbox.client(
        api_token=None, api_email="ops@example.com", api_key="global-key", max_retries=0
    ) as by_key:
        with pytest.raises(RateLimitError):
            await by_key.accounts.list()
    # An account-owned token is a user of its own.
    account_id = cloudflare_sandbox.account_ids[0]
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    token_id = next(
        t["id"]
        for t in cloudflare_sandbox.store.accounts[account_id].tokens.values()
        # Usable: active, valid already, not expired.
        if t["status"] == "active"
        and (t["not_before"] is None or t["not_before"] < now)
        and (t["expires_on"] is None or t["expires_on"] > now)
    )
    secret = cloudflare_sandbox.store.secret_of(token_id)
    async with cloudflare_sandbox.client(api_token=secret, max_retries=0) as by_account_token:
        assert (await by_account_token.accounts.list()).result
