"""One quota for a fleet: a rate limiter whose count lives in Redis.

When many processes on many hosts share one credential, each pacing on its
own can only guess at what the others spend. :class:`RedisRateLimiter`
counts every request of every process once, in one Redis hash per
credential, and spaces the fleet's requests evenly over what is left of
the window (once an answer showed nobody outside the fleet spending a
window, its first fifth goes at once, so a short script is not slowed
down). The API's ``Ratelimit`` headers still correct it: the count is
raised to what the API says was spent (this process's requests in flight
added), so use by the dashboard or other tools is counted once, not once
per process that saw it.

Every step is one Lua script, run atomically by Redis on Redis's clock (so
hosts' clocks do not matter), and it carries this process's latest
observation and 429 pause with it: one round trip per request.

Install with ``pip install 'cfaccounts[redis]'`` (redis-py, asyncio).
"""

from __future__ import annotations

import asyncio
import math
import threading
import weakref
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from yarl import URL

from . import _limiter
from ._exceptions import RateLimitPausedError, RateLimitStoreError
from ._limiter import (
    LEARN,
    LONGEST_PAUSE,
    BaseRateLimiter,
    QuotaStatus,
    RateLimitSetting,
)
from ._quota_headers import QuotaReport, parse_quota_headers
from ._ratelimit import CLOUDFLARE_RATE_LIMIT, RateLimit
from ._secrets import Secret

if TYPE_CHECKING:
    import redis.asyncio
    from redis.commands.core import AsyncScript

# Looked up at call time, so tests can record waits.
_sleep = asyncio.sleep

#: Admit one request or say how long to wait. KEYS[1]: the credential's hash;
#: KEYS[2]: when each request under this explicit limit was admitted (a
#: sorted set). ARGV: the quota and window assumed until an answer states
#: them, the explicit limit and its window (0 and 0: none), the reserve
#: share, then an observation (remaining, reset, quota, window, our requests
#: in flight then, seconds since its answer arrived; remaining -1 when none),
#: a pause in seconds (0 when none) and whether to admit a request (1/0: 0
#: only records the observation and pause). Returns, as strings:
#: admitted (1/0), seconds to wait, quota, window, remaining, seconds to reset,
#: seconds the fleet's pause after a 429 has left.
_ACQUIRE = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) + tonumber(now_parts[2]) / 1e6
local state = redis.call('HMGET', KEYS[1], 'reset_at', 'used', 'quota', 'window',
                         'next_at', 'paused_until', 'alone', 'outside', 'seen_at',
                         'sample_at', 'sampled', 'measured', 'admissions')
local reset_at = tonumber(state[1])
local used = tonumber(state[2]) or 0
local quota = tonumber(state[3]) or tonumber(ARGV[1])
local window = tonumber(state[4]) or tonumber(ARGV[2])
local next_at = tonumber(state[5]) or 0
local paused_until = tonumber(state[6]) or 0
-- 1 once an answer of this window showed only the fleet spending it.
local alone = tonumber(state[7]) or 0
-- Requests per second spent outside the fleet (the dashboard, other tools),
-- measured over stretches of a second or more: what the API counted beyond
-- the fleet's own count. Spent since the last observation, they are unseen.
local outside = tonumber(state[8]) or 0
local seen_at = tonumber(state[9]) or now
local sample_at = tonumber(state[10]) or now
local sampled = tonumber(state[11]) or 0
local measured = tonumber(state[12]) or 0
local admissions = tonumber(state[13]) or 0
-- An explicit limit is its own count, over its own window: at most that many
-- requests admitted in any stretch that long, whatever the API's window.
local cap, cap_window = tonumber(ARGV[3]), tonumber(ARGV[4])
local share = tonumber(ARGV[5])
local remaining = tonumber(ARGV[6])
-- An answer is carried by this process's next request, maybe seconds later:
-- it speaks of the moment it arrived. One about a window that has ended
-- since says nothing of this one (nor of the quota: a newer may differ).
local answered_at = now - tonumber(ARGV[11])
local obs_reset_at = answered_at + tonumber(ARGV[7])
if remaining >= 0 and obs_reset_at > now then
  local obs_quota, obs_window = tonumber(ARGV[8]), tonumber(ARGV[9])
  if obs_quota > 0 then quota, window = obs_quota, obs_window end
  local obs_used = quota - remaining + tonumber(ARGV[10])
  if reset_at == nil or now >= reset_at or obs_reset_at > reset_at + 1 then
    reset_at, used, alone = obs_reset_at, obs_used, 0
    sample_at, sampled, seen_at = answered_at, 0, answered_at
  else
    alone = (obs_used <= used and alone >= 0) and 1 or -1
    sampled = sampled + math.max(0, obs_used - used)
    used = math.max(used, obs_used)
    reset_at = math.min(reset_at, obs_reset_at)
    if answered_at - sample_at >= 1 then
      local rate = sampled / (answered_at - sample_at)
      -- A first measurement is taken whole: halved, it would guess others
      -- spend half what they do just when the fleet starts.
      outside = measured == 1 and (outside + rate) / 2 or rate
      sample_at, sampled, measured = answered_at, 0, 1
    end
    seen_at = math.max(seen_at, answered_at)
  end
end
local pause = tonumber(ARGV[12])
if pause > 0 then paused_until = math.max(paused_until, now + pause) end
if reset_at == nil or now >= reset_at then
  reset_at, used, alone = now + window, 0, 0
  seen_at, sample_at, sampled = now, now, 0
end
local cap_wait = 0
if cap > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - cap_window)
  local counted = redis.call('ZCARD', KEYS[2])
  if counted >= cap then
    local frees = redis.call('ZRANGE', KEYS[2], counted - cap, counted - cap, 'WITHSCORES')
    cap_wait = tonumber(frees[2]) + cap_window - now
  end
end
local admitted, wait = 0, 0
local reserve = math.max(1, math.ceil(quota * share))
-- Guessed no further than the reserve again: a fleet that stops sending
-- stops observing, and must not wait on its own guess for ever.
local unseen = math.min(outside * (now - seen_at), reserve)
local left = quota - used - reserve - unseen
if ARGV[13] == '0' then
  wait = 0
elseif now < paused_until then
  wait = paused_until - now
elseif cap_wait > 0 then
  wait = cap_wait
elseif left + unseen < 1 then
  wait = reset_at - now
elseif left < 1 then
  wait = math.min(reset_at - now, 0.5)  -- only the guess holds it: look again soon
elseif next_at > now and not (alone == 1 and outside < 0.01 and used < quota * 0.2) then
  -- A fresh window nobody outside the fleet spends: its first fifth goes at
  -- once, so a short script's calls are not spaced out.
  wait = next_at - now
else
  admitted = 1
  used = used + 1
  next_at = now + (reset_at - now) / left
  if cap > 0 then
    admissions = admissions + 1
    -- Unique even if the hash (and its counter) expired before this set.
    redis.call('ZADD', KEYS[2], now, now_parts[1] .. '.' .. now_parts[2] .. ':' .. admissions)
    -- (At most 30,000 years: a longer expiry is not a number Redis takes.)
    redis.call('PEXPIRE', KEYS[2], math.min(math.ceil(cap_window * 1000), 1e15))
  end
end
redis.call('HSET', KEYS[1], 'reset_at', reset_at, 'used', used, 'quota', quota,
           'window', window, 'next_at', next_at, 'paused_until', paused_until,
           'alone', alone, 'outside', outside, 'seen_at', seen_at,
           'sample_at', sample_at, 'sampled', sampled, 'measured', measured,
           'admissions', admissions)
redis.call('PEXPIRE', KEYS[1], math.ceil(math.max(reset_at, paused_until) - now + window) * 1000)
return {tostring(admitted), tostring(wait), tostring(quota), tostring(window),
        tostring(quota - used), tostring(reset_at - now),
        tostring(math.max(0, paused_until - now))}
"""


class _Answer(NamedTuple):
    """An answer's ``Ratelimit`` report, until this process's next request carries it."""

    report: QuotaReport
    #: When it arrived, on this process's clock.
    arrived_at: float
    #: This process's requests in flight then (perhaps not counted in it yet).
    in_flight: int


class RedisRateLimiter(BaseRateLimiter):
    """A rate limiter shared by every process that uses the same Redis ``key``.

    Give every client that uses one credential, in every process, a limiter
    with the same ``url`` and ``key``::

        limiter = RedisRateLimiter("redis://cache:6379/0", key="ci-audit-token")
        async with AsyncCloudflare(rate_limit=limiter) as client:
            ...
        await limiter.aclose()

    Args:
        url: the Redis server, ``redis://[:password@]host[:port][/db]`` (or
            ``rediss://``, ``unix://``).
        key: names the credential's count; one key per credential (never the
            credential itself). Stored as ``cfaccounts:quota:<key>`` (and
            ``cfaccounts:quota:<key>:cap:<limit>/<per>`` under an explicit
            ``limit``).
        limit: as for :class:`~cfaccounts.RateLimiter`: ``"learn"`` (the
            default) starts at 1,200 per 300 s and follows the API's
            ``Ratelimit-Policy``; a :class:`~cfaccounts.RateLimit` is kept
            too: at most that many requests admitted, by all the limiters on
            the key with that same limit, in any stretch of that many
            seconds, whatever the API's window (the API's quota still
            applies, assumed to be 1,200 per 300 s until an answer states
            it; the stricter wins); ``None`` is the same as ``"learn"``
            here, since the fleet's count is the point.
        reserve: the share of each window's quota left unspent (at least one
            request).

    Raises:
        RateLimitStoreError: (from calls) Redis could not be reached or
            failed; no request is sent unpaced instead.

    Redis connections belong to one event loop, so the limiter keeps one per
    loop: it may be shared by async clients and the sync client alike.
    """

    def __init__(
        self,
        url: str,
        *,
        key: str = "default",
        limit: RateLimitSetting = LEARN,
        reserve: float = 0.05,
    ) -> None:
        url = Secret(url)  # this frame's locals show no password
        super().__init__()
        try:
            import redis.asyncio  # noqa: PLC0415 - an optional dependency
        except ImportError as exc:  # pragma: no cover - the extra is installed in tests
            raise ImportError(
                "RedisRateLimiter needs redis-py: pip install 'cfaccounts[redis]'"
            ) from exc
        self._redis_module = redis.asyncio
        parsed = URL(url)
        if parsed.scheme not in ("redis", "rediss", "unix"):
            raise ValueError(
                f"url must be a redis://, rediss:// or unix:// URL, got {parsed.scheme!r}"
            )
        if not key or not key.isprintable():
            raise ValueError("key must be a non-empty printable string")
        if not 0 <= reserve < 1:
            raise ValueError(f"reserve must be a share from 0 to below 1, got {reserve!r}")
        self._url = url
        #: The URL for messages: without its password (in the user part or the query).
        self.display_url = _without_password(url, url)
        self.key = f"cfaccounts:quota:{key}"
        cap = self._cap = limit if isinstance(limit, RateLimit) else None
        # One count per explicit limit: limiters on the key with another
        # limit (or none) neither prune it nor count in it.
        self._cap_key = f"{self.key}:cap:{cap.limit}/{cap.per}" if cap else f"{self.key}:cap"
        local = cap if cap is not None else CLOUDFLARE_RATE_LIMIT
        self.reserve = reserve
        self._lock = threading.Lock()
        self._in_flight = 0
        self._observation: _Answer | None = None
        self._pause = 0.0
        self._status = QuotaStatus("local", local.limit, local.per)
        self._saw_headers = False
        self._scripts: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, tuple[redis.asyncio.Redis, AsyncScript]
        ] = weakref.WeakKeyDictionary()

    def __repr__(self) -> str:
        if not hasattr(self, "key"):  # construction failed: a traceback shows it too
            return "<RedisRateLimiter (not constructed)>"
        return (
            f"<RedisRateLimiter {self.display_url} key={self.key!r} requests={self.requests}"
            f" delayed={self.delayed} pauses={self.pauses}>"
        )

    @property
    def status(self) -> QuotaStatus:
        return self._status

    def _script(self) -> AsyncScript:
        """The acquire script on this event loop's connection (made on first use)."""
        loop = asyncio.get_running_loop()
        bound = self._scripts.get(loop)
        if bound is None:
            connection = self._redis_module.from_url(
                self._url, socket_connect_timeout=5, socket_timeout=5
            )
            bound = self._scripts[loop] = (connection, connection.register_script(_ACQUIRE))
        return bound[1]

    async def acquire(self) -> None:
        await self.acquire_within(math.inf)

    async def share_pause(self) -> None:
        with self._lock:
            if not self._pause:
                return  # the answer waits for the next request to carry it
            observation, self._observation = self._observation, None
            pause, self._pause = self._pause, 0.0
        try:
            reply = await self._run(observation, pause, admit=False)
        except RateLimitStoreError:
            return  # kept: the next request carries it, and says the store failed
        self._note_fleet_pause(float(reply[6]))

    async def acquire_within(self, patience: float) -> None:
        waited = False
        # The script, not this process's own pause, decides: it carries that
        # pause to the fleet first.
        while True:
            with self._lock:
                observation, self._observation = self._observation, None
                pause, self._pause = self._pause, 0.0
            reply = await self._run(observation, pause)
            admitted, wait = reply[0] == "1", float(reply[1])
            quota, window, remaining, reset, paused = (float(value) for value in reply[2:])
            self._status = QuotaStatus(
                "headers" if self._saw_headers else "local",
                int(quota),
                window,
                max(0, int(remaining)),
                max(0.0, reset),
            )
            if admitted:
                with self._lock:
                    self._in_flight += 1
                    self.requests += 1
                return
            self._note_fleet_pause(paused)
            if paused > patience:
                raise RateLimitPausedError(seconds_left=paused)
            if not waited:
                waited = True
                self.delayed += 1
            await _sleep(max(wait, 0.001))

    def _note_fleet_pause(self, seconds: float) -> None:
        """What a process of the fleet (this one too) paused for after a 429, known here too."""
        if seconds > 0:
            with self._lock:
                self._paused_until = max(self._paused_until, _limiter._monotonic() + seconds)

    async def _run(
        self,
        observation: _Answer | None,
        pause: float,
        *,
        admit: bool = True,
    ) -> list[str]:
        if observation is None:
            seen: list[Any] = [-1, 0, 0, 0, 0, 0]
        else:
            report = observation.report
            seen = [
                report.remaining,
                report.reset,
                report.quota or 0,
                report.window or 0,
                observation.in_flight,
                max(0.0, _limiter._monotonic() - observation.arrived_at),
            ]
        assumed, cap = CLOUDFLARE_RATE_LIMIT, self._cap
        arguments = [
            assumed.limit,
            assumed.per,
            cap.limit if cap is not None else 0,
            cap.per if cap is not None else 0,
            self.reserve,
            *seen,
        ]
        # Shielded: redis-py can swallow a cancellation that lands while the
        # script runs, and a cancelled call must not go on to be sent. A
        # request counted but never sent only makes the fleet more careful.
        running = asyncio.ensure_future(
            self._script()(keys=[self.key, self._cap_key], args=[*arguments, pause, int(admit)])
        )
        try:
            reply = await asyncio.shield(running)
        except asyncio.CancelledError:
            running.add_done_callback(_no_one_waits)
            raise
        except self._redis_module.RedisError as exc:
            if observation is not None or pause:  # not lost: the next attempt carries them
                with self._lock:
                    self._observation = self._observation or observation
                    self._pause = max(self._pause, pause)
            raise RateLimitStoreError(
                f"the rate-limit store {self.display_url} failed: {type(exc).__name__}: "
                f"{_without_password(str(exc), self._url)}"
            ) from None
        return [value.decode() if isinstance(value, bytes) else str(value) for value in reply]

    def release(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def observe(self, headers: Mapping[str, str]) -> None:
        report = parse_quota_headers(headers)
        if report is None:
            return
        with self._lock:
            self._saw_headers = True
            self._observation = _Answer(report, _limiter._monotonic(), self._in_flight)

    def pause(self, seconds: float) -> None:
        if not seconds > 0:  # nothing to hold (NaN too)
            return
        seconds = min(seconds, LONGEST_PAUSE)
        with self._lock:
            # What this process knows of the fleet-wide pause, for progress lines.
            self._paused_until = max(self._paused_until, _limiter._monotonic() + seconds)
            if seconds > self._pause:
                if self._pause == 0:
                    self.pauses += 1
                self._pause = math.ceil(seconds * 1000) / 1000

    async def aclose(self) -> None:
        """Close this event loop's connection to Redis; the limiter stays usable (reconnects)."""
        bound = self._scripts.pop(asyncio.get_running_loop(), None)
        if bound is not None:
            await bound[0].aclose()


def _no_one_waits(task: asyncio.Future[Any]) -> None:
    # The answer (or failure) of a script whose caller was cancelled: read, so
    # that asyncio does not report it as never retrieved.
    if not task.cancelled():
        task.exception()


def _without_password(text: str, url: str) -> str:
    """``text`` with the password of ``url`` (``:pw@`` or ``?password=pw``) masked."""
    parsed = URL(url)
    for password in (parsed.password, parsed.query.get("password")):
        if password:
            text = text.replace(password, "***")
    return text
