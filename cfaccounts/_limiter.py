"""Rate limiters: keeping a credential under its quota, and pausing every request on a 429.

Cloudflare's quota is per user, shared by every process, tool and person
using the credential, and going over it locks the user out for five
minutes. So a limiter paces by two rules, and the stricter wins at every
moment:

- **Local**: at most ``limit`` requests in any window of ``per`` seconds,
  counted from when each answer *arrives*. The server counts a request
  when it arrives, between our sending it and the answer, so a request
  admitted only when fewer than ``limit`` were in flight or answered within
  the last ``per`` seconds can never be the ``limit + 1``-th in any window
  the server sees, whatever the latency. It knows only this process.
- **Headers**: every answer's ``Ratelimit`` says what is left of the quota
  (whoever spent it) and when the window resets. Two rules apply to it.
  The *line*: everyone's spending together (what the headers say was
  spent, plus what others were seen spending per second since the answer,
  plus our own requests since) is held to an even spread of the quota,
  less a small reserve, over the window; so N processes starting together
  do not each spend at a pace meant for all of them, and a consumer that
  is not paced (the dashboard) is in the count like everyone else. Until
  it has measured the others, a process that finds others' requests in a
  window begun that second takes them for processes started with it, each
  about to do just what it does. The
  *pace*: this process spreads what is left, less its requests in flight,
  over the time left, with a small burst. When the window the headers
  described has ended, one request at a time goes out until an answer
  describes the new one.

By default (``"learn"``) the local rule starts at Cloudflare's documented
1,200 per 300 s and takes the quota and window from ``Ratelimit-Policy``
once an answer carries them (a raised Enterprise quota needs no setting).
An explicit :class:`~cfaccounts.RateLimit` is kept as given. ``None`` turns
the local rule off; the headers still pace when the server sends them.
Answers without the headers (other APIs, proxies) leave the local rule
alone in charge; malformed ones are logged once at debug and ignored.
"""

from __future__ import annotations

import abc
import asyncio
import logging
import math
import threading
import time
from collections import deque
from collections.abc import Mapping
from typing import Literal, TypeAlias

import attrs

from ._exceptions import RateLimitPausedError
from ._logging import logger
from ._quota_headers import QuotaReport, parse_quota_headers
from ._ratelimit import CLOUDFLARE_RATE_LIMIT, RateLimit

# Looked up at call time, so tests can run the limiter on a fake clock.
_monotonic = time.monotonic
_sleep = asyncio.sleep

LEARN: Literal["learn"] = "learn"
"""``rate_limit="learn"`` (the default): start from Cloudflare's documented 1,200
requests per 300 s, then keep to the quota and window the API's
``Ratelimit-Policy`` header states."""
RateLimitSetting: TypeAlias = RateLimit | Literal["learn"] | None

#: While an ended window's successor is unknown, how often a waiting request looks again.
_PROBE_POLL = 0.05
#: A wait shorter than this goes now: sleeping it would only meet float rounding.
_NOT_WORTH_WAITING = 0.001
#: The longest a waiting request sleeps on the headers' word before looking
#: again: answers to others' requests keep changing what it should do.
_RECHECK = 0.5
#: The share of a window's quota that may go at once while the window is fresh
#: and two answers showed nobody else spending it.
_FRESH_SHARE = 0.2
#: The most requests that may run ahead of the headers' pace at any time.
_STEADY_BURST = 5
#: The longest a 429's ``Retry-After`` pauses requests: a lying header must
#: not stop a client (or a fleet) for years.
LONGEST_PAUSE = 86_400.0
#: The most senders the estimate counts.
_MAX_SENDERS = 32
#: How long, at least, between two estimates of how fast others spend the quota.
_OTHERS_SAMPLE = 0.5


@attrs.frozen
class QuotaStatus:
    """What a limiter knows of its credential's quota, for metrics and progress lines.

    Attributes:
        source: ``"headers"`` when the API's ``Ratelimit`` headers describe
            the current window, ``"local"`` when only the configured (or
            learned) limit paces, ``"none"`` when nothing does.
        quota: requests per window, if known.
        window: the window's length in seconds, if known.
        remaining: requests left in the current window, less this client's
            requests since the last answer (``None`` unless ``source`` is
            ``"headers"``).
        reset: seconds until the window resets (``None`` unless ``source``
            is ``"headers"``).
    """

    source: Literal["headers", "local", "none"]
    quota: int | None
    window: float | None
    remaining: int | None = None
    reset: float | None = None


class BaseRateLimiter(abc.ABC):
    """What a client needs of a rate limiter; :class:`RateLimiter` is the usual one.

    The counters :attr:`requests`, :attr:`delayed` and :attr:`pauses` say
    how many requests were admitted, how many had to wait, and how many
    times a 429 paused everything.
    """

    #: Set by :meth:`pause`; a class default, so a subclass that does not call
    #: ``super().__init__()`` still answers :meth:`pause_left`.
    _paused_until = 0.0

    def __init__(self) -> None:
        self.requests = 0
        self.delayed = 0
        self.pauses = 0
        self._paused_until = 0.0

    @property
    def paused_until(self) -> float:
        """When (on :func:`time.monotonic`'s clock) the pause after a 429 ends; past if none."""
        return self._paused_until

    def pause_left(self) -> float:
        """Seconds until the pause after a 429 ends; 0 if none."""
        return max(0.0, self._paused_until - _monotonic())

    async def wait_out_pause(self, within: float = math.inf) -> float | None:
        """Wait for the pause after a 429 to end; the seconds waited.

        ``None`` as soon as the pause is seen to end more than ``within``
        seconds after the call (another 429 may lengthen it meanwhile).
        """
        started = _monotonic()
        while (left := self.pause_left()) > 0:
            if _monotonic() - started + left > within:
                return None
            await _sleep(min(left, _RECHECK))
        return _monotonic() - started

    async def share_pause(self) -> None:  # noqa: B027 - a limiter of one process has no one to tell
        """Tell the other processes sharing the limiter of a :meth:`pause` at once.

        A client calls it after a 429 it does not wait out, so that a fleet
        does not send into the lockout while this process sends nothing.
        """

    @abc.abstractmethod
    async def acquire(self) -> None:
        """Wait until a request may be sent; pair with :meth:`release`."""

    async def acquire_within(self, patience: float) -> None:
        """:meth:`acquire`, unless a 429's pause would hold the request more than ``patience`` s.

        Raises:
            RateLimitPausedError: such a pause is on, or began while the request
                waited; the request holds no place.

        Limiters that can see a pause begin while a request waits override it.
        """
        if (left := self.pause_left()) > patience:
            raise RateLimitPausedError(seconds_left=left)
        await self.acquire()

    @abc.abstractmethod
    def release(self) -> None:
        """The response of an admitted request arrived (or the attempt failed)."""

    @abc.abstractmethod
    def observe(self, headers: Mapping[str, str]) -> None:
        """Take in what an answer's ``Ratelimit`` headers say; call after :meth:`release`."""

    @abc.abstractmethod
    def pause(self, seconds: float) -> None:
        """Hold every request for ``seconds`` (a 429's ``Retry-After``), once for all."""

    @property
    @abc.abstractmethod
    def status(self) -> QuotaStatus:
        """What the limiter knows of the quota now."""

    async def aclose(self) -> None:  # noqa: B027 - most limiters hold nothing to close
        """Release what the limiter holds on the running event loop; it stays usable.

        A client calls it when it closes, so a limiter shared with other
        clients (or loops) goes on serving them.
        """


@attrs.define
class _Window:
    """The quota window the last believed answer described."""

    remaining: int
    reset_at: float
    quota: int | None
    length: float | None
    #: Requests of ours in flight when it was observed (perhaps not counted in it yet).
    in_flight: int
    #: When it was observed.
    observed_at: float
    #: Requests of ours admitted since.
    admitted: int = 0


@attrs.define
class _OthersEstimate:
    """How fast others spend the quota, from the remaining counts we are shown."""

    rate: float = 0.0
    #: Our own rate over the same stretches, so the two can be compared.
    ours: float = 0.0
    since: float | None = None
    remaining: int = 0
    answers: int = 0
    #: Whether a sample was taken in the current window.
    sampled: bool = False
    #: Whether anyone else was seen spending the quota in this window or the last.
    present: bool = False
    #: Whether two answers showed nobody else spending: until then, others may
    #: be starting at the same moment.
    alone: bool = False
    #: Whether a sample measured the rates yet.
    measured: bool = False
    #: Others' requests counted when we first saw a window that had just
    #: begun (and only in that window): until a sample measures them, each
    #: may be a sender like us.
    first_seen: int = 0
    _seen_this_window: bool = False

    def restart(self, now: float, remaining: int, answers: int) -> None:
        self.since, self.remaining, self.answers = now, remaining, answers

    def new_window(self, now: float, remaining: int, answers: int, starting_with_us: int) -> None:
        """A new window began. An estimate no answer confirmed in the last one
        fades: it may be what kept us from sending, and so from learning better.
        Senders taken to start with us count only in the window we started in."""
        self.first_seen = starting_with_us
        if not self.sampled:
            self.rate /= 2
        self.present, self._seen_this_window = self._seen_this_window, False
        self.sampled = False
        self.restart(now, remaining, answers)

    def sample(self, now: float, remaining: int, answers: int) -> None:
        """Update from a later answer of the same window."""
        if self.since is None:
            self.restart(now, remaining, answers)
            return
        spent_by_others = max(0, self.remaining - remaining - (answers - self.answers))
        if spent_by_others:
            self.present = self._seen_this_window = True
            self.alone = False
        elif answers > self.answers:
            self.alone = not self.present
        elapsed = now - self.since
        if elapsed < _OTHERS_SAMPLE:
            return
        rate, ours = spent_by_others / elapsed, (answers - self.answers) / elapsed
        if self.measured:  # smooth the estimate; a first sample is taken whole
            rate, ours = (self.rate + rate) / 2, (self.ours + ours) / 2
        self.rate, self.ours = rate, ours
        self.sampled = self.measured = True
        self.restart(now, remaining, answers)

    @property
    def senders(self) -> int:
        """About how many senders like us share the quota (ourselves included)."""
        if not self.measured:
            return min(_MAX_SENDERS, 1 + self.first_seen)
        if self.rate <= 0:
            return 1
        return min(
            _MAX_SENDERS, math.ceil(1 + self.rate / max(self.ours, self.rate / _MAX_SENDERS))
        )


class RateLimiter(BaseRateLimiter):
    """Keeps one credential under its quota: local pacing plus the API's ``Ratelimit`` headers.

    Share one between clients that use the same credential (it is safe
    across threads and event loops)::

        limiter = RateLimiter()
        a = AsyncCloudflare(rate_limit=limiter)
        b = AsyncCloudflare(rate_limit=limiter)

    Args:
        limit: ``"learn"`` (the default) starts at 1,200 requests per 300 s
            and adopts the quota and window the API's ``Ratelimit-Policy``
            states; a :class:`RateLimit` is kept as given (the headers still
            apply, the stricter wins); ``None`` paces by the headers alone.
        reserve: the share of the quota left unspent in every window, so
            that processes pacing independently never overshoot together.

    Requests wait their turn in arrival order.
    """

    def __init__(self, limit: RateLimitSetting = LEARN, *, reserve: float = 0.05) -> None:
        super().__init__()
        if limit is not None and limit != LEARN and not isinstance(limit, RateLimit):
            raise TypeError(f"limit must be a RateLimit, 'learn' or None, got {limit!r}")
        if not 0 <= reserve < 1:
            raise ValueError(f"reserve must be a share from 0 to below 1, got {reserve!r}")
        self._learns = limit == LEARN
        #: The local rule in force: given, or (when learning) the last policy seen.
        self.limit: RateLimit | None = CLOUDFLARE_RATE_LIMIT if limit == LEARN else limit
        self.reserve = reserve
        self._lock = threading.Lock()
        self._in_flight = 0
        self._answers = 0
        #: When each answered request leaves the local window, earliest first.
        self._expiries: deque[float] = deque()
        #: Requests waiting, in arrival order.
        self._queue: deque[object] = deque()
        self._window: _Window | None = None
        self._others = _OthersEstimate()
        #: When the next request is due by the headers' pace, were none sent early
        #: (the theoretical arrival time of GCRA); a burst may run ahead of it.
        self._due = -math.inf
        #: The pace the last admitted request was counted at (seconds apart).
        self._interval = 0.0
        #: Until the first answer, nothing is known of what others spent: one
        #: request at a time, as after a window ends (the dashboard may have
        #: left less than a handful).
        self._answered = False
        self._warned_malformed = False

    def __repr__(self) -> str:
        return (
            f"<RateLimiter {self.limit} requests={self.requests}"
            f" delayed={self.delayed} pauses={self.pauses}>"
        )

    @property
    def status(self) -> QuotaStatus:
        with self._lock:
            now = _monotonic()
            window = self._window
            if window is not None and now < window.reset_at:
                return QuotaStatus(
                    "headers",
                    window.quota,
                    window.length,
                    max(0, window.remaining - window.admitted),
                    window.reset_at - now,
                )
            if self.limit is None:
                return QuotaStatus("none", None, None)
            return QuotaStatus("local", self.limit.limit, self.limit.per)

    async def acquire(self) -> None:
        await self.acquire_within(math.inf)

    async def acquire_within(self, patience: float) -> None:
        ticket = object()
        delay = self._admit(ticket, patience)
        try:
            while delay is not None:
                # A longer pause may begin meanwhile (another request's 429):
                # look again often enough to give up in time.
                await _sleep(delay if patience == math.inf else min(delay, _RECHECK))
                delay = self._admit(ticket, patience)
        except BaseException:  # cancelled, or paused too long: give up the place in line
            with self._lock:
                if ticket in self._queue:
                    self._queue.remove(ticket)
            raise

    def release(self) -> None:
        with self._lock:
            self._in_flight -= 1
            self._answers += 1
            self._answered = True
            if self.limit is not None:
                self._expiries.append(_monotonic() + self.limit.per)

    def observe(self, headers: Mapping[str, str]) -> None:
        report = parse_quota_headers(headers)
        if report is None:
            if "Ratelimit" in headers and not self._warned_malformed:
                self._warned_malformed = True
                logger.debug("ignoring malformed Ratelimit headers: pacing locally")
            return
        with self._lock:
            self._take(report, _monotonic())

    def pause(self, seconds: float) -> None:
        if not seconds > 0:  # nothing to hold (NaN too)
            return
        seconds = min(seconds, LONGEST_PAUSE)
        with self._lock:
            now = _monotonic()
            until = now + seconds
            if until > self._paused_until:
                if self._paused_until <= now:
                    self.pauses += 1
                self._paused_until = until

    def _take(self, report: QuotaReport, now: float) -> None:
        """Believe ``report`` if it is news: a new window, or less left in the current one."""
        if self._learns and report.quota is not None and report.window is not None:
            learned = RateLimit(report.quota, per=report.window)
            if learned != self.limit:
                if logger.isEnabledFor(logging.DEBUG):
                    logger.debug("quota learned from Ratelimit-Policy: %s", learned)
                if self.limit is not None:
                    # Answers already counted leave the window by the new length
                    # (a uniform shift: the expiries stay in order).
                    shift = learned.per - self.limit.per
                    self._expiries = deque(expiry + shift for expiry in self._expiries)
                self.limit = learned
        reset_at = now + report.reset
        window = self._window
        # ``t`` is whole seconds: a reset within a second is the same window.
        same_window = window is not None and abs(reset_at - window.reset_at) <= 1.0
        if same_window and window is not None:
            if report.remaining > window.remaining - window.admitted:
                return  # an older answer overtaken by newer ones
            self._others.sample(now, report.remaining, self._answers)
        else:
            starting_with_us = self._starting_with_us(report) if window is None else 0
            self._others.new_window(now, report.remaining, self._answers, starting_with_us)
        self._window = _Window(
            remaining=report.remaining,
            reset_at=min(reset_at, window.reset_at) if same_window and window else reset_at,
            quota=report.quota,
            length=report.window,
            in_flight=self._in_flight,
            observed_at=now,
        )

    def _starting_with_us(self, report: QuotaReport) -> int:
        """Others' requests the first answer shows, if its window began within the last second.

        They are likely processes started with this one (a fleet, a cron
        job's workers), each about to do just what it does.
        """
        if report.quota is None or report.window is None or report.reset < report.window:
            return 0
        return max(0, report.quota - report.remaining - self.requests)

    def _reserve(self, window: _Window) -> int:
        """Requests left unspent in every window: a share of the quota.

        Each sender's view is as old as its last answer, and others' own
        requests in flight are not in it: the reserve absorbs what several
        senders acting on equally old views at the window's end add up to.
        """
        quota = window.quota if window.quota is not None else window.remaining
        return math.floor(quota * self.reserve)

    def _header_delay(self, now: float, ahead: int) -> float:
        """How long the headers say to wait (0: go now), for a request ``ahead`` places back."""
        window = self._window
        # The pace the admitted request is counted at: none, unless the
        # headers' pace below sets it (an ended window's pace must not carry
        # into the next one).
        self._interval = 0.0
        if window is None:
            if self._answered:
                return 0.0  # the API sends no Ratelimit headers: the local rule alone
            # Nothing known yet of what others spent: one request at a time
            # until the first answer.
            return 0.0 if self._in_flight == 0 and ahead == 0 else _PROBE_POLL
        if now >= window.reset_at:
            if window.remaining - window.admitted < 1 and now < window.reset_at + 1:
                # Nothing was left, and a server that rounds ``t`` down, not
                # up, may still be in that window for up to a second.
                return window.reset_at + 1 - now
            # The window we knew has ended; others may already be spending the
            # next one. One request at a time until an answer describes it.
            return 0.0 if self._in_flight == 0 and ahead == 0 else _PROBE_POLL
        quota = window.quota if window.quota is not None else window.remaining
        # What others spent since we were told is gone too: guessed at the
        # rate they were seen spending (the line keeps what they will spend).
        # Senders starting together know nothing yet of each other's pace:
        # until measured, each one seen may be doing just what we do.
        others = self._others
        if others.measured:
            unseen = others.rate * (now - window.observed_at)
        else:
            unseen = (others.senders - 1.0) * (window.in_flight + window.admitted + ahead + 1)
        known = window.remaining - window.in_flight - window.admitted - self._reserve(window)
        if (
            others.measured
            and self._in_flight == 0
            and ahead == 0
            and known - unseen >= others.senders
        ):
            # Guessing what others spent since (at a measured rate, growing
            # with time) can hold everyone back at once, each waiting on the
            # others. With nothing in flight, one request may go on what we
            # saw, to see again: enough is left that every sender doing so
            # at the same moment could not overshoot.
            unseen = 0.0
        time_left = window.reset_at - now
        left = known - unseen
        if left - ahead < 1:
            return time_left
        if self._others.alone and left - ahead > (1 - _FRESH_SHARE) * quota:
            # A fresh window nobody else is spending: a short script's calls
            # are not spaced out.
            return 0.0
        self._interval = time_left / left
        # A handful may run ahead of the pace (a web handler's few calls).
        burst = self._steady_burst(quota)
        paced = max(0.0, self._due + (ahead - burst) * self._interval - now)
        return max(paced, self._line_delay(window, time_left, ahead + unseen, burst))

    def _line_delay(self, window: _Window, time_left: float, ahead: float, burst: float) -> float:
        """How long until everyone's spending, as far as we know it, is back under the line.

        The line spreads the window's quota (less the reserve) evenly over
        it. Every sender holds the *total* to it, so N senders arriving at
        once do not each spend at the pace that was meant for all of them.
        """
        if window.quota is None or not window.length or self._others.alone:
            return 0.0
        budget = window.quota - self._reserve(window)
        spent = window.quota - window.remaining + window.in_flight + window.admitted + ahead + 1
        if spent > budget:
            return time_left
        elapsed = max(0.0, window.length - time_left)
        due = (spent - burst) * window.length / budget
        return max(0.0, due - elapsed)

    def _steady_burst(self, quota: int) -> float:
        """Requests that may run ahead of the pace at any time (a web handler's few calls)."""
        return min(_STEADY_BURST, max(1.0, quota * self.reserve / 2))

    def _local_delay(self, now: float, ahead: int) -> float:
        """How long the local rule says to wait (0: go now)."""
        limit = self.limit
        if limit is None:
            return 0.0
        expiries = self._expiries
        while expiries and expiries[0] <= now:
            expiries.popleft()
        used = self._in_flight + len(expiries) + ahead
        if used < limit.limit:
            return 0.0
        # Wait for the expiry that frees a slot for this request. A slot
        # held by a request in flight frees no sooner than ``per`` from now.
        slot = used - limit.limit
        return expiries[slot] - now if slot < len(expiries) else limit.per

    def _admit(self, ticket: object, patience: float) -> float | None:
        """Admit the request (``None``) or say how long it should wait before asking again.

        Raises:
            RateLimitPausedError: a 429's pause has more than ``patience`` s left.
        """
        with self._lock:
            now = _monotonic()
            queue = self._queue
            try:  # not an exception per request: most find the queue empty
                ahead, queued = (queue.index(ticket), True) if queue else (0, False)
            except ValueError:
                ahead, queued = len(queue), False
            if self._paused_until > now:
                delay = self._paused_until - now
                if delay > patience:
                    raise RateLimitPausedError(seconds_left=delay)
            else:
                delay = max(
                    self._local_delay(now, ahead), min(self._header_delay(now, ahead), _RECHECK)
                )
                if delay < _NOT_WORTH_WAITING:
                    if queued:
                        queue.remove(ticket)
                    self._in_flight += 1
                    self.requests += 1
                    self._due = max(self._due, now) + self._interval
                    if self._window is not None:
                        self._window.admitted += 1
                    return None
            if not queued:
                queue.append(ticket)
                self.delayed += 1
            return delay
