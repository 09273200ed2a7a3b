"""Reading the API's ``Ratelimit`` / ``Ratelimit-Policy`` headers, and pacing to them."""

from __future__ import annotations

import asyncio
import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

import cfaccounts._limiter
from cfaccounts import (
    AsyncCloudflare,
    RateLimit,
    RateLimiter,
)
from cfaccounts._limiter import RateLimitSetting
from cfaccounts._quota_headers import QuotaReport, parse_quota_headers
from cfaccounts.testing import Sandbox
from tests.server import RecordingServer, Reply, envelope

from .conftest import TOKEN


def test_one_item_with_its_policy() -> None:
    report = parse_quota_headers(
        {"Ratelimit": '"default";r=50;t=30', "Ratelimit-Policy": '"default";q=1200;w=300'}
    )
    assert report == QuotaReport("default", 50, 30.0, 1200, 300)


def test_the_tightest_of_several_items_binds() -> None:
    headers = {
        "Ratelimit": '"default";r=900;t=200, "burst";r=3;t=2',
        "Ratelimit-Policy": '"burst";q=10;w=10, "default";q=1200;w=300',
    }
    assert parse_quota_headers(headers) == QuotaReport("burst", 3, 2.0, 10, 10)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Ratelimit": ""},
        {"Ratelimit": "garbage, ;;"},
        {"Ratelimit": '"default";r=-1;t=30'},
        {"Ratelimit": '"default";r=5;t=-3'},
        {"Ratelimit": '"default";r=5'},
        {"Ratelimit": '"default";r=5.5;t=3'},
        {"Ratelimit": '"default";r=99999999999999999999;t=3'},
        {"Ratelimit": '"default";r=5;t=1000000000000'},
        {"Ratelimit": '"default;r=5;t=3'},
        # Contradicts its own policy: more left than the quota.
        {"Ratelimit": '"default";r=50;t=3', "Ratelimit-Policy": '"default";q=10;w=10'},
    ],
)
def test_absent_malformed_or_contradictory_headers_are_ignored(headers: dict[str, str]) -> None:
    assert parse_quota_headers(headers) is None


def test_a_malformed_policy_only_leaves_the_quota_unknown() -> None:
    report = parse_quota_headers({"Ratelimit": "default;r=7;t=4", "Ratelimit-Policy": "q=;;"})
    assert report == QuotaReport("default", 7, 4.0, None, None)


@given(st.text(max_size=80), st.text(max_size=80))
def test_any_header_text_parses_or_is_ignored_without_raising(limit: str, policy: str) -> None:
    report = parse_quota_headers({"Ratelimit": limit, "Ratelimit-Policy": policy})
    if report is not None:
        assert report.remaining >= 0
        assert report.reset >= 0


def _quota_reply(remaining: int, reset: int, quota: int, window: int) -> Reply:
    return Reply(
        json=envelope({"id": "a" * 32, "name": "acme", "type": "standard"}),
        headers={
            "Ratelimit": f'"default";r={remaining};t={reset}',
            "Ratelimit-Policy": f'"default";q={quota};w={window}',
        },
    )


async def test_the_client_learns_a_raised_quota(server: RecordingServer) -> None:
    server.add("GET", "/accounts/{account_id}", _quota_reply(4999, 300, 5000, 300))
    async with AsyncCloudflare(api_token=TOKEN, base_url=server.base_url) as client:
        assert client.rate_limiter.status.quota == 1200  # assumed until told
        await client.accounts.get(account_id="a" * 32)
        status = client.rate_limiter.status
    assert (status.source, status.quota, status.window) == ("headers", 5000, 300)
    assert status.remaining == 4999
    assert status.reset is not None
    assert 299 <= status.reset <= 300
    assert isinstance(client.rate_limiter, RateLimiter)
    assert client.rate_limiter.limit == RateLimit(5000, per=300)


async def test_an_explicit_limit_is_kept_beside_the_headers(server: RecordingServer) -> None:
    server.add("GET", "/accounts/{account_id}", _quota_reply(4999, 300, 5000, 300))
    limit = RateLimit(10, per=60)
    async with AsyncCloudflare(
        api_token=TOKEN, base_url=server.base_url, rate_limit=limit
    ) as client:
        await client.accounts.get(account_id="a" * 32)
        assert isinstance(client.rate_limiter, RateLimiter)
        assert client.rate_limiter.limit == limit


async def test_no_budget_left_waits_for_the_reset(waits: list[float]) -> None:
    limiter = RateLimiter(None)
    await limiter.acquire()
    limiter.release()
    # Someone else spent it: 1 left (the reserve) with 7 s to go.
    limiter.observe({"Ratelimit": '"default";r=1;t=7', "Ratelimit-Policy": "default;q=60;w=10"})
    await limiter.acquire()
    assert sum(waits) == pytest.approx(7)  # looking again now and then


async def test_what_is_left_is_spread_over_the_time_left(waits: list[float]) -> None:
    limiter = RateLimiter(None, reserve=0)
    await limiter.acquire()
    limiter.release()
    # Half the window gone, half the quota left: 30 over 5 s, about one
    # request per 1/6 s (a lone request may run ahead of the pace).
    limiter.observe({"Ratelimit": '"default";r=30;t=5', "Ratelimit-Policy": "default;q=60;w=10"})
    for _ in range(8):
        await limiter.acquire()
        limiter.release()
    assert 0.8 <= sum(waits) <= 1.5
    assert max(waits) <= 0.5  # each wait cut short to look at fresh answers


async def test_a_burst_by_others_is_made_up_before_anyone_goes_on(waits: list[float]) -> None:
    limiter = RateLimiter(None, reserve=0)
    await limiter.acquire()
    limiter.release()
    # Others spent 49 of 60 in the window's first second: whoever they are,
    # they may go on at that pace, so everyone's spending is held to an even
    # line over the window (6 per s) until it catches up, about 7 s on.
    limiter.observe({"Ratelimit": '"default";r=11;t=9', "Ratelimit-Policy": "default;q=60;w=10"})
    await limiter.acquire()
    assert 6.5 <= sum(waits) <= 7.5
    for _ in range(7):
        limiter.release()
        await limiter.acquire()
    assert sum(waits) < 9  # all before the reset


async def test_senders_starting_together_share_the_line(waits: list[float]) -> None:
    limiter = RateLimiter()
    await limiter.acquire()
    limiter.release()
    # The first answer, in a window begun this second: 7 requests besides
    # ours already counted. They may be 7 processes started with us, about to
    # do just what we do, so we take an eighth of the line (57 over 10 s).
    limiter.observe({"Ratelimit": '"default";r=52;t=10', "Ratelimit-Policy": "default;q=60;w=10"})
    sent_at = []
    for _ in range(5):
        await limiter.acquire()
        limiter.release()
        sent_at.append(sum(waits))
    gaps = [later - earlier for earlier, later in itertools.pairwise(sent_at)]
    assert sent_at[0] >= 2  # not before the line has room for all eight
    assert min(gaps) >= 8 * 10 / 57 - 0.1


async def test_senders_taken_to_start_with_us_do_not_outlive_their_window(
    waits: list[float],
) -> None:
    limiter = RateLimiter()
    policy = "default;q=60;w=10"
    await limiter.acquire()
    limiter.release()
    # Another tool spent 40 as the window began: taken for senders starting
    # with us, they hold us back in that window...
    limiter.observe({"Ratelimit": '"default";r=19;t=10', "Ratelimit-Policy": policy})
    await cfaccounts._limiter._sleep(11)  # ...which ends, on the fake clock
    waits.clear()
    await limiter.acquire()  # the probe of the next window
    limiter.release()
    limiter.observe({"Ratelimit": '"default";r=59;t=10', "Ratelimit-Policy": policy})
    for _ in range(3):
        await limiter.acquire()
        limiter.release()
    assert sum(waits) < 1  # not the whole window, waiting for room for 32 phantom senders


async def test_a_fresh_window_lets_a_short_script_go_at_once(waits: list[float]) -> None:
    limiter = RateLimiter()
    policy = "default;q=1200;w=300"
    for remaining in (1199, 1198):  # two answers: only our own requests were counted
        await limiter.acquire()
        limiter.release()
        limiter.observe({"Ratelimit": f"default;r={remaining};t=300", "Ratelimit-Policy": policy})
    for _ in range(100):
        await limiter.acquire()
        limiter.release()
    assert waits == []


async def test_an_ended_window_lets_one_request_probe_it(waits: list[float]) -> None:
    limiter = RateLimiter(None)
    await limiter.acquire()
    limiter.release()
    limiter.observe({"Ratelimit": '"default";r=0;t=2'})
    await limiter.acquire()  # waits out the window
    # Nothing was left: a second more, for a server that rounds t down.
    assert sum(waits) == pytest.approx(3)
    second = asyncio.create_task(limiter.acquire())
    for _ in range(5):
        await asyncio.sleep(0)
    assert not second.done()  # the first one's answer is not in yet
    limiter.release()
    limiter.observe({"Ratelimit": '"default";r=50;t=10'})
    await second


async def test_headers_that_stop_coming_leave_the_local_rule(waits: list[float]) -> None:
    limiter = RateLimiter(RateLimit(100, per=10))
    limiter.observe({"Ratelimit": "nonsense"})
    for _ in range(20):
        await limiter.acquire()
        limiter.release()
    assert waits == []
    assert limiter.status.source == "local"


async def test_a_fresh_window_others_are_spending_is_paced(waits: list[float]) -> None:
    limiter = RateLimiter()
    policy = "default;q=1200;w=300"
    await limiter.acquire()
    limiter.release()
    limiter.observe({"Ratelimit": "default;r=1199;t=300", "Ratelimit-Policy": policy})
    await limiter.acquire()
    limiter.release()
    # One request of ours, yet 40 fewer left: other processes are spending too.
    limiter.observe({"Ratelimit": "default;r=1159;t=300", "Ratelimit-Policy": policy})
    for _ in range(10):
        await limiter.acquire()
        limiter.release()
    assert sum(waits) > 1  # spread out, not a burst that several processes would multiply


async def test_a_learned_shorter_window_does_not_stall_the_client() -> None:
    # The first answer is counted before the quota is learned: its expiry must
    # move with the learned window, not hold the local rule for 300 s.
    async with Sandbox(accounts=1, rate_limit=RateLimit(20, per=2)) as sandbox:
        account_id = sandbox.account_ids[0]
        async with sandbox.client() as client:
            async with asyncio.timeout(20):
                for _ in range(30):
                    await client.accounts.get(account_id=account_id)
        assert sandbox.counters.responses == {200: 30}


@pytest.mark.parametrize("setting", ["learn", None, RateLimit(20, per=2)])
async def test_a_quota_others_nearly_spent_is_not_overrun(setting: RateLimitSetting) -> None:
    # The dashboard left 3 of 20: the client's first requests must not be five.
    async with Sandbox(accounts=1, rate_limit=RateLimit(20, per=2)) as sandbox:
        account_id = sandbox.account_ids[0]
        assert sandbox.spend_quota(17) == 17
        async with sandbox.client(rate_limit=setting) as client:
            calls = (client.accounts.get(account_id=account_id) for _ in range(12))
            await asyncio.gather(*calls)
        assert sandbox.counters.responses == {200: 12}


async def test_a_reset_a_day_away_or_more_is_not_believed(server: RecordingServer) -> None:
    reply = Reply(
        json=envelope({"id": "a" * 32, "name": "acme", "type": "standard"}),
        headers={"Ratelimit": '"default";r=0;t=999999999'},
    )
    server.add("GET", "/accounts/{account_id}", reply)
    async with AsyncCloudflare(api_token=TOKEN, base_url=server.base_url) as client:
        async with asyncio.timeout(5):
            for _ in range(3):
                await client.accounts.get(account_id="a" * 32)
        assert client.rate_limiter.status.source == "local"


async def test_an_ended_window_s_pace_does_not_carry_into_the_next(waits: list[float]) -> None:
    limiter = RateLimiter()

    async def call(remaining: int, reset: int) -> None:
        await limiter.acquire()
        limiter.release()
        limiter.observe({"Ratelimit": f'"default";r={remaining};t={reset}'})

    await call(3, 10)  # little left: paced slowly
    await call(3, 10)
    await cfaccounts._limiter._sleep(15)  # idle past the reset, on the fake clock
    waits.clear()
    await call(1199, 300)  # the probe: a fresh window, only ours
    for remaining in range(1198, 1190, -1):
        await call(remaining, 300)
    assert waits == []


@pytest.mark.parametrize("seconds", [0, -5, float("nan")])
def test_a_pause_of_nothing_holds_nothing(seconds: float) -> None:
    limiter = RateLimiter()
    limiter.pause(seconds)
    assert limiter.pauses == 0
    assert limiter.paused_until == 0
