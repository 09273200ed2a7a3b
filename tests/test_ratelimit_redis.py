"""The fleet-wide limiter on a real Redis server: one count across processes."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis.asyncio

from cfaccounts import (
    AsyncCloudflare,
    RateLimit,
    RateLimitError,
    RateLimitPausedError,
    RateLimitStoreError,
)
from cfaccounts.ratelimit_redis import RedisRateLimiter
from cfaccounts.testing import Fault, Sandbox
from cfaccounts.testing.redis_server import running_redis

_WORKER = textwrap.dedent(
    """
    import asyncio, sys
    from cfaccounts import AsyncCloudflare, RateLimit
    from cfaccounts.ratelimit_redis import RedisRateLimiter

    async def main() -> None:
        redis_url, mode = sys.argv[1], sys.argv[2]
        limit = RateLimit(16, per=2)
        shared = mode == "redis"
        limiter = RedisRateLimiter(redis_url, key="fleet", limit=limit) if shared else limit
        async with AsyncCloudflare(rate_limit=limiter, max_retries=0) as client:
            results = await asyncio.gather(
                *(client.accounts.list() for _ in range(15)), return_exceptions=True
            )
        print(sum(isinstance(result, Exception) for result in results))

    asyncio.run(main())
    """
)


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_redis(tmp_path_factory.mktemp("redis")) as url:
        yield url


def _fleet(sandbox: Sandbox, redis_url: str, mode: str, processes: int = 3) -> list[int]:
    """Run ``processes`` workers at once; each says how many of its 15 calls failed."""
    env = {**sandbox.env, "PYTHONPATH": str(Path(__file__).parents[1])}
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, redis_url, mode],
            stdout=subprocess.PIPE,
            env=env,
            text=True,
        )
        for _ in range(processes)
    ]
    return [int(worker.communicate(timeout=60)[0]) for worker in workers]


def test_processes_sharing_redis_count_every_request_once(redis_url: str) -> None:
    with Sandbox(accounts=1, rate_limit=RateLimit(20, per=2)) as sandbox:
        started = time.monotonic()
        assert _fleet(sandbox, redis_url, "redis") == [0, 0, 0]
        elapsed = time.monotonic() - started
        assert sandbox.counters.responses[429] == 0
        assert sandbox.counters.responses[200] == 45
    # 45 requests against a fleet-wide 16 per 2 s (less its reserve): at least
    # three windows, which no process alone (15 requests each) would have waited.
    assert elapsed >= 4


async def test_a_pause_and_the_headers_reach_every_limiter_on_the_key(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits: list[float] = []

    async def record(delay: float) -> None:
        waits.append(delay)
        raise asyncio.CancelledError  # the wait itself is what this test is about

    one = RedisRateLimiter(redis_url, key="shared-pause")
    other = RedisRateLimiter(redis_url, key="shared-pause")
    try:
        await one.acquire()
        one.release()
        one.observe({"Ratelimit": '"default";r=0;t=40', "Ratelimit-Policy": '"default";q=60;w=60'})
        one.pause(30)
        monkeypatch.setattr("cfaccounts.ratelimit_redis._sleep", record)
        with pytest.raises(asyncio.CancelledError):
            await one.acquire()  # carries the observation and the pause to Redis
        with pytest.raises(asyncio.CancelledError):
            await other.acquire()  # never saw either, waits all the same
        assert waits[0] == pytest.approx(30, abs=1)
        assert waits[1] == pytest.approx(30, abs=1)
        assert other.status.quota == 60
        assert one.pauses == 1
    finally:
        await one.aclose()
        await other.aclose()


async def test_redis_unreachable_is_a_typed_error_without_the_password() -> None:
    limiter = RedisRateLimiter("redis://:hunter2secret@127.0.0.1:1/0", key="k")
    assert "hunter2secret" not in repr(limiter)
    async with AsyncCloudflare(api_token="t" * 40, rate_limit=limiter) as client:
        with pytest.raises(RateLimitStoreError) as caught:
            await client.accounts.list()
    assert "127.0.0.1:1" in str(caught.value)
    assert "hunter2secret" not in str(caught.value)
    await limiter.aclose()


async def test_redis_lost_mid_run_is_a_typed_error_not_unpaced_traffic(
    tmp_path: Path,
) -> None:
    async with Sandbox(accounts=1) as sandbox:
        with running_redis(tmp_path) as url:
            limiter = RedisRateLimiter(url, key="lost")
            client = sandbox.client(rate_limit=limiter)
            await client.accounts.list()
        sent = sum(sandbox.counters.received.values())
        with pytest.raises(RateLimitStoreError):
            await client.accounts.list()
        assert sum(sandbox.counters.received.values()) == sent
        await client.close()
        await limiter.aclose()


def test_the_sync_client_shares_the_limiter(redis_url: str) -> None:
    limiter = RedisRateLimiter(redis_url, key="sync")
    with Sandbox(accounts=2) as sandbox, sandbox.sync_client(rate_limit=limiter) as client:
        assert len(list(client.accounts.list())) == 2
    assert limiter.requests == 1


def test_a_bad_url_or_key_is_refused_at_construction() -> None:
    with pytest.raises(ValueError, match="redis://"):
        RedisRateLimiter("http://127.0.0.1:6379")
    with pytest.raises(ValueError, match="key"):
        RedisRateLimiter("redis://127.0.0.1:6379", key="")


async def test_a_password_in_the_query_is_masked_too() -> None:
    limiter = RedisRateLimiter("redis://127.0.0.1:1/0?password=qsPASSWORD42", key="q")
    assert "qsPASSWORD42" not in repr(limiter)
    assert "qsPASSWORD42" not in limiter.display_url
    with pytest.raises(RateLimitStoreError) as caught:
        await limiter.acquire()
    assert "qsPASSWORD42" not in str(caught.value)
    await limiter.aclose()


async def test_an_explicit_limit_caps_the_fleet_below_the_api_quota(redis_url: str) -> None:
    limiter = RedisRateLimiter(redis_url, key="capped", limit=RateLimit(10, per=10))
    async with Sandbox(accounts=1, rate_limit=RateLimit(100, per=20)) as sandbox:
        client = sandbox.client(rate_limit=limiter)
        account_id = sandbox.account_ids[0]
        loop = asyncio.get_running_loop()
        started = loop.time()
        answered: list[float] = []

        async def call() -> None:
            await client.accounts.get(account_id=account_id)
            answered.append(loop.time() - started)

        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(4):
                await asyncio.gather(*(call() for _ in range(30)))
        await client.close()
    # At most the cap (less its reserve) within the first 4 s, however much the API allows.
    assert 0 < len(answered) <= 10


async def test_a_short_script_on_a_fresh_window_is_not_spaced_out(redis_url: str) -> None:
    limiter = RedisRateLimiter(redis_url, key="short-script")
    async with Sandbox(accounts=1, rate_limit=RateLimit(1200, per=300)) as sandbox:
        account_id = sandbox.account_ids[0]
        async with sandbox.client(rate_limit=limiter) as client:
            for _ in range(2):  # the answers show only this fleet spending the window
                await client.accounts.get(account_id=account_id)
            started = time.monotonic()
            for _ in range(10):
                await client.accounts.get(account_id=account_id)
            # Paced over the window, ten calls would take 2.5 s.
            assert time.monotonic() - started < 1


async def test_others_spending_the_window_keeps_the_fleet_paced(redis_url: str) -> None:
    limiter = RedisRateLimiter(redis_url, key="beside-others")
    async with Sandbox(accounts=1, rate_limit=RateLimit(1200, per=300)) as sandbox:
        account_id = sandbox.account_ids[0]
        async with sandbox.client(rate_limit=limiter) as client:
            await client.accounts.get(account_id=account_id)
            sandbox.spend_quota(40)  # the dashboard, between two answers
            await client.accounts.get(account_id=account_id)
            started = time.monotonic()
            for _ in range(5):
                await client.accounts.get(account_id=account_id)
            assert time.monotonic() - started > 0.8


async def test_a_fleet_lockout_longer_than_a_retry_waits_refuses_requests_everywhere(
    redis_url: str,
) -> None:
    met_it = RedisRateLimiter(redis_url, key="fleet-lockout")
    elsewhere = RedisRateLimiter(redis_url, key="fleet-lockout")
    met_it.pause(300)  # a 429 asked for five minutes
    with pytest.raises(RateLimitPausedError):
        await met_it.acquire_within(60)  # carries the pause to the fleet, then refuses
    with pytest.raises(RateLimitPausedError) as refused:
        await elsewhere.acquire_within(60)
    assert 299 <= refused.value.seconds_left <= 300.001
    assert 299 <= elsewhere.pause_left() <= 300.001  # known here too, for progress lines
    await met_it.aclose()
    await elsewhere.aclose()


async def test_a_lockout_one_process_meets_reaches_the_fleet_before_it_sends_again(
    redis_url: str,
) -> None:
    async with Sandbox(accounts=1) as sandbox:
        account_id = sandbox.account_ids[0]
        sandbox.inject(Fault.rate_limited(300), "GET /accounts/{account_id}/roles")
        met_it = sandbox.client(rate_limit=RedisRateLimiter(redis_url, key="lockout-shared"))
        elsewhere = sandbox.client(rate_limit=RedisRateLimiter(redis_url, key="lockout-shared"))
        async with met_it, elsewhere:
            with pytest.raises(RateLimitError):
                await met_it.accounts.roles.list(account_id=account_id)
            # The process that met it sends nothing more; the other one is told anyway.
            with pytest.raises(RateLimitError, match="not sent"):
                await elsewhere.accounts.members.list(account_id=account_id)
        assert sandbox.counters.responses == {429: 1}


async def test_what_others_likely_spent_since_the_last_answer_holds_the_fleet(
    redis_url: str,
) -> None:
    limiter = RedisRateLimiter(redis_url, key="unseen-outside")
    async with Sandbox(accounts=1, rate_limit=RateLimit(60, per=5)) as sandbox:
        account_id = sandbox.account_ids[0]
        async with sandbox.client(rate_limit=limiter) as client:
            await client.accounts.get(account_id=account_id)
            await asyncio.sleep(1.05)
            sandbox.spend_quota(53)  # the dashboard, about 50 a second
            await client.accounts.get(account_id=account_id)  # 5 left, 3 of them the reserve
            await asyncio.sleep(0.5)  # at that rate, the dashboard has spent the rest since
            await client.accounts.get(account_id=account_id)
        assert sandbox.counters.responses[429] == 0
    # Held until the window reset, not sent into the dashboard's spending:
    # admitted as the first request of a new window.
    assert limiter.status.remaining == 59
    # The rate measured is the dashboard's own (53 in the second or so between
    # the answers), not half of it.
    store = redis.asyncio.Redis.from_url(redis_url)
    outside = await store.hget(limiter.key, "outside")
    assert outside is not None and float(outside) > 30
    await store.aclose()
    await limiter.aclose()


async def test_an_answer_carried_after_its_window_ended_does_not_hold_the_next(
    redis_url: str,
) -> None:
    limiter = RedisRateLimiter(redis_url, key="ended-window")
    async with Sandbox(accounts=1, rate_limit=RateLimit(60, per=2)) as sandbox:
        account_id = sandbox.account_ids[0]
        async with sandbox.client(rate_limit=limiter) as client:
            sandbox.spend_quota(56)
            await client.accounts.get(account_id=account_id)  # 3 left: the reserve
            await asyncio.sleep(2.2)  # the window resets before the next call carries it
            started = time.monotonic()
            await client.accounts.get(account_id=account_id)
            waited = time.monotonic() - started
        assert sandbox.counters.responses[429] == 0
    # The answer spoke of the window that ended, not of the one just begun.
    assert waited < 1
    await limiter.aclose()


async def _call_times(client: AsyncCloudflare, account_id: str, calls: int) -> list[float]:
    """When each of ``calls`` sequential reads was answered, from the first call."""
    started, answered = time.monotonic(), []
    for _ in range(calls):
        await client.accounts.get(account_id=account_id)
        answered.append(time.monotonic() - started)
    return answered


async def test_an_explicit_limit_longer_than_the_api_window_holds_over_its_own(
    redis_url: str,
) -> None:
    limiter = RedisRateLimiter(redis_url, key="long-cap", limit=RateLimit(5, per=3))
    sandbox = Sandbox(accounts=1, rate_limit=RateLimit(60, per=1))
    async with sandbox, sandbox.client(rate_limit=limiter) as client:
        answered = await _call_times(client, sandbox.account_ids[0], 6)
    # Five in any 3 s, though the API's window is 1 s: the sixth waits for the first.
    assert answered[4] < 1
    assert answered[5] >= 2.9
    await limiter.aclose()


async def test_an_explicit_limit_shorter_than_the_api_window_does_not_hold_it_whole(
    redis_url: str,
) -> None:
    limiter = RedisRateLimiter(redis_url, key="short-cap", limit=RateLimit(10, per=1))
    async with Sandbox(accounts=1, rate_limit=RateLimit(60, per=10)) as sandbox:
        async with sandbox.client(rate_limit=limiter) as client:
            answered = await _call_times(client, sandbox.account_ids[0], 14)
        assert sandbox.counters.responses[429] == 0
    # Ten a second, and the API's 60 per 10 s: not 10 per 10 s.
    assert answered[-1] < 5
    await limiter.aclose()


async def test_sharing_no_pause_keeps_the_answer_for_the_next_request(redis_url: str) -> None:
    limiter = RedisRateLimiter(redis_url, key="no-pause-to-share")
    limiter.observe(
        {"Ratelimit": '"default";r=0;t=300', "Ratelimit-Policy": '"default";q=1200;w=300'}
    )
    await limiter.share_pause()  # nothing to share
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.5):
            await limiter.acquire()  # carries the answer: nothing is left
    assert limiter.status.remaining == 0
    await limiter.aclose()


async def test_an_answer_about_an_ended_window_does_not_undo_a_newer_policy(
    redis_url: str,
) -> None:
    late = RedisRateLimiter(redis_url, key="stale-policy")
    fresh = RedisRateLimiter(redis_url, key="stale-policy")
    late.observe({"Ratelimit": '"default";r=50;t=1', "Ratelimit-Policy": '"default";q=60;w=1'})
    await asyncio.sleep(1.1)  # that window ends before the answer is carried
    fresh.observe({"Ratelimit": '"default";r=20;t=5', "Ratelimit-Policy": '"default";q=30;w=5'})
    await fresh.acquire()
    await late.acquire()
    assert late.status.quota == 30
    await late.aclose()
    await fresh.aclose()


async def _admitted_within(limiter: RedisRateLimiter, seconds: float) -> bool:
    """Whether ``limiter`` admits one more request within ``seconds``."""
    try:
        async with asyncio.timeout(seconds):
            await limiter.acquire()
    except TimeoutError:
        return False
    limiter.release()
    return True


async def test_an_explicit_limit_is_not_also_spread_like_the_api_quota(redis_url: str) -> None:
    # A limit of 1 once had its "reserve" taken out of it and sent nothing, ever.
    one = RedisRateLimiter(redis_url, key="limit-of-one", limit=RateLimit(1, per=10))
    assert await _admitted_within(one, 1)
    assert not await _admitted_within(one, 0.5)
    await one.aclose()


async def test_limiters_with_other_limits_on_one_key_keep_their_own_counts(
    redis_url: str,
) -> None:
    slow = RedisRateLimiter(redis_url, key="mixed-limits", limit=RateLimit(3, per=10))
    fast = RedisRateLimiter(redis_url, key="mixed-limits", limit=RateLimit(50, per=1))
    for _ in range(3):
        assert await _admitted_within(slow, 1)
    await asyncio.sleep(1.1)
    assert await _admitted_within(fast, 1)  # its 1 s window must not prune the slow count
    assert not await _admitted_within(slow, 0.5)
    await slow.aclose()
    await fast.aclose()


async def test_a_window_too_long_to_expire_in_redis_still_counts(redis_url: str) -> None:
    forever = RedisRateLimiter(redis_url, key="long-window", limit=RateLimit(2, per=1e300))
    assert await _admitted_within(forever, 1)
    assert await _admitted_within(forever, 1)
    assert not await _admitted_within(forever, 0.5)
    await forever.aclose()
