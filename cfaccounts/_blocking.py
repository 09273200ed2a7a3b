"""Running coroutines for blocking callers: the waiting thread drives the loop.

A blocking call runs the client's event loop in its own thread until its
coroutine is done. A script that calls in one thread therefore never switches
threads: handing each call to a loop thread and waking the caller back costs
more CPU than the rest of the call (see ``benchmarks/compare.py``).

Many threads share one loop, one session and one connection pool: while one
thread drives, the others queue their coroutines onto the running loop and
sleep until their call is done, or until the driver, whose own call is done,
hands the loop over to one of them. The loop always has a driver while any
call is pending, and no thread waits for a call other than its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Coroutine
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Generic, Literal, TypeVar

from ._exceptions import ClientClosedError

T = TypeVar("T")

_Wake = Literal["done", "drive"]


class _Call(Generic[T]):
    """One blocking call: its coroutine, its task once started, its outcome."""

    __slots__ = ("coroutine", "outcome", "task", "wake")

    def __init__(self, coroutine: Coroutine[Any, Any, T]) -> None:
        self.coroutine = coroutine
        self.task: asyncio.Task[T] | None = None
        self.outcome: Future[T] = Future()
        #: Where a sleeping caller is told its call is done, or to drive.
        self.wake: queue.SimpleQueue[_Wake] = queue.SimpleQueue()

    def cancel(self) -> None:
        """On the loop: stop the call, started or not."""
        if self.task is None:
            self.coroutine.close()
            self.outcome.cancel()
        else:
            self.task.cancel()


class LoopRunner:
    """One event loop for blocking callers in any number of threads."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._lock = threading.Lock()
        self._driven = False
        #: Calls whose threads sleep, oldest first (a dict is an ordered set).
        self._sleeping: dict[_Call[Any], None] = {}

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run ``coroutine`` on the loop and return its result, from any thread.

        In a thread that runs an event loop of its own (Jupyter, an async
        app), the call is made from a short-lived helper thread instead.
        Ctrl-C while waiting cancels the call and raises KeyboardInterrupt.
        """
        running = asyncio._get_running_loop()
        if running is self.loop:
            coroutine.close()
            raise RuntimeError("a blocking call inside the client's own event loop would deadlock")
        if running is not None:
            with ThreadPoolExecutor(1, thread_name_prefix="cfaccounts-sync") as helper:
                return helper.submit(self.run, coroutine).result()
        call = None
        with self._lock:
            if self.loop.is_closed():
                coroutine.close()
                raise ClientClosedError()
            if self._driven:
                call = _Call(coroutine)
                self._sleeping[call] = None
                self.loop.call_soon_threadsafe(self._start, call)
            else:
                self._driven = True
        if call is not None and self._sleep(call) == "done":
            return call.outcome.result()
        try:  # this thread drives the loop now, and hands it over whatever happens
            if call is None:
                return self._drive(self.loop.create_task(coroutine))
            if call.task is None:
                # Handed over before its _start ran: that is next in the loop's queue.
                self.loop.run_until_complete(asyncio.sleep(0))
            if call.task is None:  # cancelled before it started
                return call.outcome.result()
            return self._drive(call.task)
        finally:
            self._hand_over()

    def _start(self, call: _Call[Any]) -> None:
        if call.outcome.cancelled():
            return
        call.task = self.loop.create_task(call.coroutine)
        call.task.add_done_callback(lambda task: self._finished(call, task))

    def _finished(self, call: _Call[T], task: asyncio.Task[T]) -> None:
        if task.cancelled():
            call.outcome.cancel()
        elif (error := task.exception()) is not None:
            call.outcome.set_exception(error)
        else:
            call.outcome.set_result(task.result())
        if self._stop_sleeping(call):
            call.wake.put("done")

    def _sleep(self, call: _Call[Any]) -> _Wake:
        """Wait to be woken; on Ctrl-C, cancel the call and leave the loop driven."""
        try:
            return call.wake.get()
        except KeyboardInterrupt:
            if self._stop_sleeping(call):
                self.loop.call_soon_threadsafe(call.cancel)
            elif call.wake.get() == "drive":
                # The loop was just handed to this thread: pass it on.
                self._hand_over()
            raise

    def _stop_sleeping(self, call: _Call[Any]) -> bool:
        """Take ``call`` off the sleeping list; whether it was still on it.

        Whoever takes it off sends its thread the one message it will get.
        """
        with self._lock:
            return self._sleeping.pop(call, False) is None

    def _drive(self, task: asyncio.Task[T]) -> T:
        """Run the loop until ``task`` is done; every other pending call runs meanwhile."""
        try:
            return self.loop.run_until_complete(task)
        except KeyboardInterrupt:
            task.cancel()
            with contextlib.suppress(BaseException):
                self.loop.run_until_complete(task)
            raise

    def _hand_over(self) -> None:
        """Give the loop to a sleeping caller whose call is pending, or to nobody."""
        with self._lock:
            if self._sleeping:
                successor = next(iter(self._sleeping))
                del self._sleeping[successor]
                successor.wake.put("drive")
            else:
                self._driven = False

    def close(self) -> None:
        """Close the loop once no call is running. Calling it again is harmless."""
        with self._lock:
            if self._driven:
                raise RuntimeError("cannot close the client while calls are running")
            if not self.loop.is_closed():
                self.loop.close()
