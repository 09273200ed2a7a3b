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

Ctrl-C reaches the main thread's call only (:class:`_CtrlC`), and closing
ends every call in flight with :class:`ClientClosedError` before the loop is
closed, once (:meth:`LoopRunner.shutdown`).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import queue
import threading

# signal's own functions, not the signal module's wrappers around them, which
# turn each handler into an enum member by raising and catching ValueError:
# 5x the cost, paid by every blocking call from the main thread.
from _signal import SIGINT, default_int_handler, getsignal, signal  # type: ignore[import-not-found]
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from types import FrameType, TracebackType
from typing import Any, Generic, Literal, TypeVar

from ._exceptions import ClientClosedError

T = TypeVar("T")

_Wake = Literal["done", "drive"]


class _Call(Generic[T]):
    """One blocking call: its coroutine, and its task once started."""

    __slots__ = ("coroutine", "never_started", "task", "wake")

    def __init__(self, coroutine: Coroutine[Any, Any, T]) -> None:
        self.coroutine = coroutine
        self.task: asyncio.Task[T] | None = None
        #: Cancelled before its task was created.
        self.never_started = False
        #: Where a sleeping caller is told its call is done, or to drive.
        self.wake: queue.SimpleQueue[_Wake] = queue.SimpleQueue()

    def outcome(self) -> T:
        """The result of the finished call; raises its error, or CancelledError."""
        if self.task is None:
            raise asyncio.CancelledError
        return self.task.result()


def _is_asyncio_run_handler(handler: object) -> bool:
    # asyncio.run() (asyncio.Runner) installs a partial of its _on_sigint: it
    # cancels the task that is blocked in this call, which cannot react
    # before the call returns.
    on_sigint = getattr(asyncio.Runner, "_on_sigint", None)
    return isinstance(handler, functools.partial) and (
        getattr(handler.func, "__func__", None) is on_sigint is not None
    )


class _CtrlC:
    """While the main thread waits for a call, Ctrl-C cancels that call and nothing else.

    Python runs signal handlers in the main thread, between two bytecodes of
    whatever it is running. While the main thread drives the loop, that may
    be a step of another thread's call, which the default handler's
    KeyboardInterrupt would end. So for the length of a call the main thread
    answers SIGINT by cancelling its own call, and raises KeyboardInterrupt
    once the call has stopped. Only Python's default handler and asyncio.run's
    are replaced; a handler the application installed is left alone.
    """

    __slots__ = ("_call", "_previous", "_runner", "pressed")

    def __init__(self, runner: LoopRunner, call: _Call[Any]) -> None:
        self._runner = runner
        self._call = call
        self._previous: Callable[[int, FrameType | None], Any] | int | None = None
        self.pressed = False

    def __enter__(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        previous = getsignal(SIGINT)
        if previous is default_int_handler or _is_asyncio_run_handler(previous):
            signal(SIGINT, self._cancel_the_call)
            self._previous = previous

    def _cancel_the_call(self, signum: int, frame: FrameType | None) -> None:
        self.pressed = True
        self._runner.soon(self._runner.cancel, self._call)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._previous is not None:
            signal(SIGINT, self._previous)
        if self.pressed:
            raise KeyboardInterrupt from None


class LoopRunner:
    """One event loop for blocking callers in any number of threads."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._lock = threading.Lock()
        #: Notified when the loop is left without a driver.
        self._undriven = threading.Condition(self._lock)
        self._driven = False
        self._closing = False
        self._closed = threading.Event()
        #: Every call in flight, which closing ends.
        self._calls: set[_Call[Any]] = set()
        #: Calls whose threads sleep, oldest first (a dict is an ordered set).
        self._sleeping: dict[_Call[Any], None] = {}

    @property
    def closed(self) -> bool:
        """Whether :meth:`shutdown` was called."""
        return self._closing

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run ``coroutine`` on the loop and return its result, from any thread.

        In a thread that runs an event loop of its own (Jupyter, an async
        app), the call is made from a short-lived helper thread instead.
        Ctrl-C while the main thread waits cancels its call and raises
        KeyboardInterrupt once the call has stopped. A call that closing the
        runner ended raises ClientClosedError.
        """
        call = _Call(coroutine)
        with _CtrlC(self, call):
            try:
                return self._run_from_any_thread(call)
            except asyncio.CancelledError:
                if self._closing:
                    raise ClientClosedError() from None
                raise

    def shutdown(self, last: Coroutine[Any, Any, None]) -> None:
        """End every call in flight, run ``last`` (the client's own close), close the loop.

        The calls ended raise ClientClosedError in their threads; the loop is
        closed once no thread drives it. Calling it again is harmless, and
        returns once the first call is done.
        """
        if asyncio._get_running_loop() is self.loop:
            last.close()
            raise RuntimeError("closing the client inside its own event loop would deadlock")
        with self._lock:
            first, self._closing = not self._closing, True
        if not first:
            last.close()
            self._closed.wait()
            return
        try:
            self._run_from_any_thread(_Call(self._end_calls_then(last)), closing=True)
        finally:
            with self._lock:
                while self._driven:
                    self._undriven.wait()
            self.loop.close()
            self._closed.set()

    async def _end_calls_then(self, last: Coroutine[Any, Any, None]) -> None:
        this = asyncio.current_task()
        with self._lock:
            others = [call for call in self._calls if call.task is not this]
        for call in others:
            self.cancel(call)
        started = [call.task for call in others if call.task is not None]
        if started:
            await asyncio.wait(started)
        await last

    def _run_from_any_thread(self, call: _Call[T], *, closing: bool = False) -> T:
        running = asyncio._get_running_loop()
        if running is None:
            return self._run(call, closing=closing)
        if running is self.loop:
            call.coroutine.close()
            raise RuntimeError("a blocking call inside the client's own event loop would deadlock")
        with ThreadPoolExecutor(1, thread_name_prefix="cfaccounts-sync") as helper:
            return helper.submit(self._run, call, closing=closing).result()

    def _run(self, call: _Call[T], *, closing: bool) -> T:
        with self._lock:
            if self._closing and not closing:
                call.coroutine.close()
                raise ClientClosedError()
            self._calls.add(call)
            queued = self._driven
            if queued:
                self._sleeping[call] = None
                self.loop.call_soon_threadsafe(self._start, call)
            else:
                self._driven = True
        try:
            if queued and self._sleep(call) == "done":
                return call.outcome()
            try:  # this thread drives the loop now, and hands it over whatever happens
                if not queued:
                    call.task = self.loop.create_task(call.coroutine)
                elif call.task is None:
                    # Handed over before its _start ran: that is next in the loop's queue.
                    self.loop.run_until_complete(asyncio.sleep(0))
                if call.task is None:  # cancelled before it started
                    return call.outcome()
                return self._drive(call.task)
            finally:
                self._hand_over()
        finally:
            with self._lock:
                self._calls.discard(call)

    def soon(self, callback: Callable[[_Call[Any]], None], call: _Call[Any]) -> None:
        """From any thread, even a signal handler: run ``callback(call)`` on the loop."""
        with contextlib.suppress(RuntimeError):  # the loop is closed: nothing left to do
            self.loop.call_soon_threadsafe(callback, call)

    def cancel(self, call: _Call[Any]) -> None:
        """On the loop: stop ``call``, started or not."""
        if call.task is not None:
            call.task.cancel()
        elif not call.never_started:
            call.never_started = True
            call.coroutine.close()
            if self._stop_sleeping(call):
                call.wake.put("done")

    def _start(self, call: _Call[Any]) -> None:
        if call.never_started:
            return
        call.task = self.loop.create_task(call.coroutine)
        call.task.add_done_callback(lambda _: self._finished(call))

    def _finished(self, call: _Call[Any]) -> None:
        if self._stop_sleeping(call):
            call.wake.put("done")

    def _sleep(self, call: _Call[Any]) -> _Wake:
        """Wait to be woken; should a signal handler raise here, cancel the call.

        The loop stays driven: a hand-over that comes meanwhile is passed on.
        """
        try:
            return call.wake.get()
        except BaseException:
            if self._stop_sleeping(call):
                self.soon(self.cancel, call)
            elif call.wake.get() == "drive":
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
        except BaseException:
            if not task.done():  # a signal handler raised here: the call stops too
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
                self._undriven.notify_all()
