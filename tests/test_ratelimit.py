"""The client's rate limiter: pacing within a window, coordinated 429 pauses, sharing."""

from __future__ import annotations

import asyncio

import pytest

from cfaccounts import AsyncCloudflare, RateLimit, RateLimiter, RateLimitError, RateLimitPausedError
from cfaccounts.testing import Fault, Sandbox


def test_rate_limit_is_validated() -> None:
    assert RateLimit(1200, per=300).rate == 4.0
    with pytest.raises(ValueError, match="limit"):
        RateLimit(0, per=1)
    with pytest.raises(ValueError, match="per"):
        RateLimit(1, per=0)
    with pytest.raises(TypeError):
        RateLimit(1.5, per=1)  # type: ignore[arg-type]


async def test_a_full_window_waits_for_the_oldest_answer_to_expire(waits: list[float]) -> None:
    limiter = RateLimiter(RateLimit(3, per=10))
    await limiter.acquire()
    limiter.release()  # answered at t=0: leaves the window at t=10
    for _ in range(2):
        await limiter.acquire()
    assert waits == []
    await asyncio.sleep(0)
    fourth = asyncio.create_task(limiter.acquire())
    await asyncio.sleep(0)
    assert not fourth.done()
    await fourth
    assert waits[0] == 10
    assert (limiter.requests, limiter.delayed) == (4, 1)


async def test_a_request_in_flight_holds_its_slot(waits: list[float]) -> None:
    limiter = RateLimiter(RateLimit(1, per=5))
    await limiter.acquire()
    waiting = asyncio.create_task(limiter.acquire())
    await asyncio.sleep(0)
    # No answer yet to count from: a slot frees no sooner than `per` from now.
    assert waits == [5]
    limiter.release()  # answered at t=5: the slot frees at t=10
    await waiting
    assert waits == [5, 5]


async def test_pause_holds_everyone_once() -> None:
    limiter = RateLimiter(RateLimit(100, per=1))
    loop = asyncio.get_running_loop()
    started = loop.time()
    limiter.pause(0.2)
    limiter.pause(0.1)  # within the first pause: no second one

    async def admitted_after() -> float:
        await limiter.acquire()
        limiter.release()
        return loop.time() - started

    assert min(await asyncio.gather(admitted_after(), admitted_after())) >= 0.2
    assert (limiter.pauses, limiter.delayed) == (1, 2)


async def test_cancelled_waiter_gives_up_its_place(waits: list[float]) -> None:
    limiter = RateLimiter(RateLimit(1, per=60))
    await limiter.acquire()
    limiter.release()
    first = asyncio.create_task(limiter.acquire())
    second = asyncio.create_task(limiter.acquire())
    await asyncio.sleep(0)
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    await second
    assert limiter.requests == 2
    assert "requests=2" in repr(limiter)


@pytest.mark.cloudflare_sandbox(rate_limit=RateLimit(8, per=0.3), accounts=1)
async def test_paced_client_never_meets_a_429(cloudflare_sandbox: Sandbox) -> None:
    account_id = cloudflare_sandbox.account_ids[0]
    limiter = RateLimiter(RateLimit(8, per=0.3))
    loop = asyncio.get_running_loop()
    started = loop.time()
    async with (
        cloudflare_sandbox.client(rate_limit=limiter, max_retries=0) as first,
        cloudflare_sandbox.client(rate_limit=limiter, max_retries=0) as second,
    ):
        await asyncio.gather(
            *(
                client.accounts.roles.list(account_id=account_id)
                for _ in range(10)
                for client in (first, second)
            )
        )
    assert cloudflare_sandbox.counters.responses == {200: 20}
    assert loop.time() - started >= 2 * 0.3
    assert limiter.requests == 20


@pytest.mark.cloudflare_sandbox(rate_limit=RateLimit(20, per=1), accounts=1)
async def test_a_client_locked_out_by_others_waits_429s_out_together_and_loses_nothing(
    cloudflare_sandbox: Sandbox,
) -> None:
    account_id = cloudflare_sandbox.account_ids[0]
    # Someone else went over the quota: the user is locked out for a window.
    assert cloudflare_sandbox.spend_quota(21) == 20
    async with cloudflare_sandbox.client(rate_limit=None, max_concurrency=8) as client:
        pages = await asyncio.gather(
            *(client.accounts.roles.list(account_id=account_id) for _ in range(30))
        )
        pauses = client.rate_limiter.pauses
    assert all(page.result for page in pages)
    responses = cloudflare_sandbox.counters.responses
    assert responses[200] == 30
    # Each pause meets at most the requests already in flight, not a storm.
    assert pauses >= 1
    assert 1 <= responses[429] <= pauses * 8


@pytest.mark.cloudflare_sandbox(rate_limit=RateLimit(20, per=1), accounts=1)
async def test_without_a_local_limit_the_headers_still_keep_the_user_under(
    cloudflare_sandbox: Sandbox,
) -> None:
    account_id = cloudflare_sandbox.account_ids[0]
    async with cloudflare_sandbox.client(rate_limit=None, max_concurrency=8) as client:
        await client.accounts.roles.list(account_id=account_id)  # learns the quota
        await asyncio.gather(
            *(client.accounts.roles.list(account_id=account_id) for _ in range(40))
        )
    assert cloudflare_sandbox.counters.responses == {200: 41}


def test_client_checks_max_concurrency() -> None:
    with pytest.raises(ValueError, match="max_concurrency"):
        AsyncCloudflare(api_token="t", max_concurrency=0)
    with pytest.raises(TypeError, match="max_concurrency"):
        AsyncCloudflare(api_token="t", max_concurrency=2.5)  # type: ignore[arg-type]


@pytest.mark.cloudflare_sandbox(accounts=1)
async def test_a_lockout_longer_than_a_retry_waits_holds_every_request_without_sending_it(
    cloudflare_sandbox: Sandbox, waits: list[float]
) -> None:
    account_id = cloudflare_sandbox.account_ids[0]
    cloudflare_sandbox.inject(Fault.rate_limited(300), "GET /accounts/{account_id}/roles")
    async with cloudflare_sandbox.client() as client:
        with pytest.raises(RateLimitError) as first:
            await client.accounts.roles.list(account_id=account_id)
        assert first.value.retry_after == 300
        # Every other request would meet the same lockout: refused here, not sent.
        with pytest.raises(RateLimitError, match="not sent") as second:
            await client.accounts.members.list(account_id=account_id)
        assert 299 <= (second.value.retry_after or 0) <= 300.001
        assert second.value.status_code == 429
        assert cloudflare_sandbox.counters.responses == {429: 1}
        await client.rate_limiter.wait_out_pause()
        await client.accounts.members.list(account_id=account_id)
    assert cloudflare_sandbox.counters.responses == {429: 1, 200: 1}
    assert sum(waits) == pytest.approx(300, abs=1)


async def test_a_request_waiting_when_a_long_pause_begins_is_refused_at_the_next_look(
    waits: list[float],
) -> None:
    limiter = RateLimiter()
    await limiter.acquire()
    limiter.release()
    limiter.observe({"Ratelimit": '"default";r=1;t=10', "Ratelimit-Policy": "default;q=60;w=10"})
    waiting = asyncio.create_task(limiter.acquire_within(60))
    await asyncio.sleep(0)  # it waits for the window, looking again every 0.5 s
    assert not waiting.done()
    limiter.pause(300)
    with pytest.raises(RateLimitPausedError):
        await waiting
    assert sum(waits) < 2  # not the 300 s of the pause
    # It gave up its place: a request after the pause goes first.
    await limiter.wait_out_pause()
    await asyncio.wait_for(limiter.acquire(), 20)


@pytest.mark.cloudflare_sandbox(accounts=1)
async def test_refused_calls_do_not_move_the_lockout_s_end(
    cloudflare_sandbox: Sandbox, waits: list[float]
) -> None:
    account_id = cloudflare_sandbox.account_ids[0]
    cloudflare_sandbox.inject(Fault.rate_limited(300), "GET /accounts/{account_id}/roles")
    async with cloudflare_sandbox.client() as client:
        with pytest.raises(RateLimitError):
            await client.accounts.roles.list(account_id=account_id)
        ends = client.rate_limiter.paused_until
        for _ in range(200):
            with pytest.raises(RateLimitError, match="not sent") as refused:
                await client.accounts.members.list(account_id=account_id)
        assert refused.value.attempts == 0  # nothing was sent
        assert client.rate_limiter.paused_until == ends
    assert cloudflare_sandbox.counters.responses == {429: 1}


async def test_a_request_waiting_on_the_local_limit_gives_up_when_a_long_pause_begins(
    waits: list[float],
) -> None:
    limiter = RateLimiter(RateLimit(1, per=300))
    await limiter.acquire()
    limiter.release()
    waiting = asyncio.create_task(limiter.acquire_within(60))  # due in 300 s
    await asyncio.sleep(0)
    limiter.pause(600)
    with pytest.raises(RateLimitPausedError):
        await waiting
    assert sum(waits) <= 1  # not the 300 s it was due in, nor the pause
