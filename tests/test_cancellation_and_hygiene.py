"""Cancelled tasks and long runs leave nothing behind: no connection, no task, no warning.

Warnings are errors in this suite (``filterwarnings = error``), so an unclosed
session, transport or generator fails the test that leaked it.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import logging
import sys
from collections import Counter
from collections.abc import AsyncIterator

import aiohttp
import pytest

from cfaccounts import APIError, AsyncCloudflare, ClientClosedError
from cfaccounts._logging import logger
from cfaccounts.testing import Fault, Sandbox

from .conftest import SecretsGuard, eventually

MEMBERS = "GET /accounts/{account_id}/members"
MEMBER = "GET /accounts/{account_id}/members/{member_id}"


def _connector(client: AsyncCloudflare) -> aiohttp.BaseConnector:
    session = client._core.transport._session
    assert session is not None and session.connector is not None
    return session.connector


def _connections(client: AsyncCloudflare) -> tuple[int, int]:
    """(in use, idle in the pool) of the client's connector."""
    connector = _connector(client)
    idle = sum(len(conns) for conns in connector._conns.values())
    return len(connector._acquired), idle


async def _no_other_tasks() -> None:
    """No task is left but this test's and the sandbox server's own."""
    for _ in range(5):  # let the finalizers a cancellation or a GC schedules run
        await asyncio.sleep(0)
    others = [
        task
        for task in asyncio.all_tasks()
        if task is not asyncio.current_task()
        and not getattr(task.get_coro(), "__qualname__", "").startswith("RequestHandler.")
    ]
    assert others == []


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with Sandbox(seed="hygiene", accounts=1, members_per_account=12) as running:
        yield running


def _ids(sandbox: Sandbox) -> tuple[str, str]:
    account_id = sandbox.account_ids[0]
    return account_id, next(iter(sandbox.store.accounts[account_id].members))


async def test_a_request_cancelled_in_flight_leaves_nothing_and_the_client_works(
    sandbox: Sandbox,
) -> None:
    account_id, member_id = _ids(sandbox)
    async with sandbox.client() as client:
        await client.accounts.members.get(member_id, account_id=account_id)
        sandbox.inject(Fault.latency(1), MEMBER)
        call = asyncio.create_task(client.accounts.members.get(member_id, account_id=account_id))
        await eventually(lambda: sandbox.counters.in_flight > 0)
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call
        assert _connections(client)[0] == 0
        await _no_other_tasks()
        member = await client.accounts.members.get(member_id, account_id=account_id)
        assert member.id == member_id
        assert _connections(client)[0] == 0


async def test_an_iteration_cancelled_between_pages_leaves_nothing(sandbox: Sandbox) -> None:
    account_id, _ = _ids(sandbox)
    async with sandbox.client() as client:
        seen: list[str | None] = []

        async def iterate() -> None:
            async for member in client.accounts.members.list(account_id=account_id, per_page=5):
                seen.append(member.id)
                if len(seen) == 5:
                    sandbox.inject(Fault.latency(1), MEMBERS)

        task = asyncio.create_task(iterate())
        await eventually(lambda: sandbox.counters.in_flight > 0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert len(seen) == 5
        assert _connections(client)[0] == 0
        await _no_other_tasks()
        assert len([m async for m in client.accounts.members.list(account_id=account_id)]) == 12


async def test_leaving_an_iteration_early_leaves_nothing(sandbox: Sandbox) -> None:
    account_id, _ = _ids(sandbox)
    async with sandbox.client() as client:
        async for _ in client.accounts.members.list(account_id=account_id, per_page=5):
            break
        page = await client.accounts.members.list(account_id=account_id, per_page=5)
        async for _ in page.iter_pages():
            break
        gc.collect()
        await _no_other_tasks()
        assert _connections(client)[0] == 0
    assert sandbox.received(MEMBERS) == 2


async def test_closing_a_client_with_calls_in_flight_ends_them(sandbox: Sandbox) -> None:
    account_id, member_id = _ids(sandbox)
    client = sandbox.client()
    # A first answer: until one arrives, the rate limiter sends one request at a time.
    await client.accounts.members.get(member_id, account_id=account_id)
    sandbox.inject(Fault.latency(1), MEMBER, times=3)
    calls = [
        asyncio.create_task(client.accounts.members.get(member_id, account_id=account_id))
        for _ in range(3)
    ]
    await eventually(lambda: sandbox.counters.in_flight == 3)
    await client.close()
    results = await asyncio.gather(*calls, return_exceptions=True)
    assert [type(result) for result in results] == [ClientClosedError] * 3
    await _no_other_tasks()


#: What fails, one call in ten, round robin: every kind of answer the core handles.
FAULTS = [
    Fault.error(503),
    Fault.disconnect("before_read"),
    Fault.disconnect("mid_body"),
    Fault.truncated(),
    Fault.body(200, b"<html>maintenance</html>", content_type="text/html"),
    Fault.unsuccessful(),
    Fault.rate_limited(1),
    Fault.latency(0.3),
]


@pytest.mark.usefixtures("waits")
async def test_ten_thousand_calls_with_failures_leak_no_connection_and_no_memory(
    secrets_guard: SecretsGuard, monkeypatch: pytest.MonkeyPatch
) -> None:
    # pytest keeps every log record it captures: that would be the memory measured.
    monkeypatch.setattr(logger, "level", logging.WARNING)
    async with Sandbox(
        seed="hygiene", accounts=1, members_per_account=12, rate_limit=None
    ) as sandbox:
        account_id, member_id = _ids(sandbox)
        outcomes: Counter[str] = Counter()
        faults = itertools.cycle(FAULTS)
        async with sandbox.client(timeout=0.2, rate_limit=None, max_concurrency=32) as client:

            async def call() -> None:
                try:
                    await client.accounts.members.get(member_id, account_id=account_id)
                    outcomes["ok"] += 1
                except APIError as error:
                    outcomes[type(error).__name__] += 1

            async def run(calls: int) -> None:
                numbers = iter(range(calls))

                async def worker() -> None:
                    for number in numbers:
                        if number % 10 == 0:
                            sandbox.inject(next(faults), MEMBER)
                        await call()

                await asyncio.gather(*(worker() for _ in range(32)))

            await run(1_000)
            secrets_guard.check_errors()  # the guard's list is not the client's memory
            gc.collect()
            objects, blocks = len(gc.get_objects()), sys.getallocatedblocks()
            await run(9_000)
            secrets_guard.check_errors()
            gc.collect()
            grown_objects = len(gc.get_objects()) - objects
            grown_blocks = sys.getallocatedblocks() - blocks
            in_use, idle = _connections(client)
        await eventually(lambda: sandbox.counters.in_flight == 0)
    print(f"outcomes {dict(outcomes)}; grew {grown_objects} objects, {grown_blocks} blocks")
    assert sum(outcomes.values()) == 10_000
    assert outcomes["ok"] >= 9_000  # the retried faults recover
    assert set(outcomes) >= {"ok", "APIResponseValidationError", "APIStatusError"}
    assert in_use == 0 and idle <= 32
    # 9,000 more calls, 900 of them failed, and the heap is where it was.
    assert grown_objects < 1_000, grown_objects
    assert grown_blocks < 5_000, grown_blocks
    await _no_other_tasks()
