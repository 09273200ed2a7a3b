"""Many senders pacing to one quota's ``Ratelimit`` headers, in virtual time.

Each sender is a :class:`RateLimiter` of its own, as in separate processes;
they share nothing but the sandbox's quota model, which counts a request
when it arrives and answers with the headers as it stands when the answer
leaves. Time is virtual: a run of minutes takes a fraction of a second and
comes out the same every time, so the properties below can be asserted over
many fleets, latencies and outside consumers.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import math
import random
from collections.abc import Iterator

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cfaccounts import RateLimit, RateLimiter
from cfaccounts.testing._quota import Quota

QUOTA = RateLimit(60, per=10)
USER = "the user"
#: Virtual loop turns that let every runnable task reach its next wait.
_SETTLE = 30


class VirtualTime:
    """A clock that jumps to the next wake-up once every task is waiting."""

    def __init__(self) -> None:
        self.now = 1000.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, delay: float) -> None:
        wake = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + max(0.0, delay), next(self._order), wake))
        await wake

    async def run(self, *work: asyncio.Task[None]) -> None:
        while not all(task.done() for task in work):
            for _ in range(_SETTLE):
                await asyncio.sleep(0)
            while self._sleepers and self._sleepers[0][2].cancelled():
                heapq.heappop(self._sleepers)
            if not self._sleepers:
                break
            self.now, _, wake = heapq.heappop(self._sleepers)
            wake.set_result(None)
        for task in work:
            task.result()  # a sender that failed fails the test


@attrs.define
class Run:
    """What the quota saw."""

    #: Requests admitted in each window, in order.
    admitted_per_window: list[int] = attrs.Factory(list)
    refused: int = 0
    #: When the first request was refused, and whether a sender sent it.
    first_refusal: tuple[float, bool] | None = None


@contextlib.contextmanager
def virtual_time() -> Iterator[VirtualTime]:
    """The limiters and the quota model, on one virtual clock."""
    clock = VirtualTime()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("cfaccounts._limiter._monotonic", clock.monotonic)
        patch.setattr("cfaccounts._limiter._sleep", clock.sleep)
        patch.setattr("cfaccounts.testing._quota._monotonic", clock.monotonic)
        yield clock


@attrs.frozen
class Fleet:
    """``senders`` limiters, each sending ``requests_each`` requests, against one quota.

    ``concurrency`` calls of each sender wait on its limiter at once (as the
    audit's workers do); a request reaches the server about ``latency`` s
    after it is admitted, and its answer comes back about ``latency`` s later
    (from half to one and a half times it, drawn from a seeded generator:
    real networks do not keep senders in lockstep). Another consumer (the
    dashboard) spends ``outside_rate`` requests per second, evenly and
    unpaced, while the senders run.
    """

    senders: int
    requests_each: int = 12
    concurrency: int = 4
    latency: float = 0.01
    outside_rate: float = 0.0
    quota: RateLimit = QUOTA

    def share_the_quota(self) -> Run:
        with virtual_time() as clock:
            return asyncio.run(self._share(clock))

    async def _share(self, clock: VirtualTime) -> Run:
        quota = Quota(self.quota)
        jitter = random.Random(self.senders * 1000 + self.concurrency)  # noqa: S311 - not a secret
        run = Run()
        window_ends = -math.inf

        def arrive(by_sender: bool) -> None:
            nonlocal window_ends
            if clock.now >= window_ends:
                run.admitted_per_window.append(0)
            refused = quota.admit(USER) is not None
            window_ends = clock.now + quota.standing(USER).reset
            if refused:
                run.refused += 1
                run.first_refusal = run.first_refusal or (clock.now, by_sender)
            else:
                run.admitted_per_window[-1] += 1

        async def sender(limiter: RateLimiter, work: list[None]) -> None:
            while work:
                work.pop()
                await limiter.acquire()
                await clock.sleep(self.latency * jitter.uniform(0.5, 1.5))
                arrive(by_sender=True)
                await clock.sleep(self.latency * jitter.uniform(0.5, 1.5))
                limiter.release()
                limiter.observe(quota.headers(USER))

        async def outside() -> None:
            while True:
                await clock.sleep(1 / self.outside_rate)
                arrive(by_sender=False)

        loop = asyncio.get_running_loop()
        senders = []
        for _ in range(self.senders):
            limiter, work = RateLimiter(), [None] * self.requests_each
            senders += [loop.create_task(sender(limiter, work)) for _ in range(self.concurrency)]
        dashboard = loop.create_task(outside()) if self.outside_rate else None
        await clock.run(*senders)
        if dashboard is not None:
            dashboard.cancel()
        return run


def assert_never_refused(
    senders: int, concurrency: int, latency: float, outside_share: float
) -> None:
    """A fleet beside a consumer spending ``outside_share`` of the quota meets no 429."""
    fleet = Fleet(
        senders, concurrency=concurrency, latency=latency, outside_rate=QUOTA.rate * outside_share
    )
    run = fleet.share_the_quota()
    assert run.refused == 0, (run.first_refusal, run.admitted_per_window)


def test_eight_senders_leave_no_more_than_their_margins_unspent() -> None:
    run = Fleet(senders=8, requests_each=30).share_the_quota()
    assert run.refused == 0
    # 60 a window, less the 5 % reserve (3), less one request per sender:
    # at a window's end every sender's last answer is about a second old,
    # and one request each on what they last saw is all that is safe. (The
    # first window, before the senders have measured each other, is slower.)
    later_full_windows = run.admitted_per_window[1:-1]
    assert later_full_windows
    assert min(later_full_windows) >= 60 - 3 - 8 - 1, run.admitted_per_window


def test_at_cloudflares_own_quota_eight_senders_use_most_of_every_window() -> None:
    # One request per sender and the reserve are 11 of every 60 at 60 per
    # 10 s, but under 6 % of Cloudflare's 1,200 per 300 s.
    fleet = Fleet(senders=8, requests_each=300, latency=0.05, quota=RateLimit(1200, per=300))
    run = fleet.share_the_quota()
    assert run.refused == 0
    full_windows = run.admitted_per_window[:-1]
    assert full_windows
    assert min(full_windows) >= 1200 - 60 - 40, run.admitted_per_window


# Checked for every combination of these values (the simulation is
# deterministic), and again here on a sample.
@settings(max_examples=60, deadline=None)
@given(
    senders=st.integers(1, 8),
    concurrency=st.sampled_from([1, 2, 3, 4, 5, 6, 8, 16]),
    latency=st.sampled_from([0.001, 0.01, 0.05, 0.2]),
    outside_share=st.sampled_from([0.0, 0.1, 0.2, 1 / 3, 0.5]),
)
def test_no_fleet_of_up_to_eight_goes_over_the_quota(
    senders: int, concurrency: int, latency: float, outside_share: float
) -> None:
    assert_never_refused(senders, concurrency, latency, outside_share)


@pytest.mark.xfail(
    strict=True,
    reason="known limit: fleets of 9 or more senders can overrun a window beside a consumer"
    " spending half the quota, or at 200 ms latency (docs/quotas.md)",
)
@pytest.mark.parametrize(
    ("senders", "concurrency", "latency", "outside_share"),
    [(9, 5, 0.001, 0.5), (12, 8, 0.2, 0.0)],
)
def test_larger_fleets_can_still_overrun_a_window(
    senders: int, concurrency: int, latency: float, outside_share: float
) -> None:
    assert_never_refused(senders, concurrency, latency, outside_share)
