"""The blocking client: same calls, plain values, a loop driven by its callers."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import io
import multiprocessing
import os
import re
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from cfaccounts import (
    AsyncCloudflare,
    ClientClosedError,
    Cloudflare,
    EventLoopMismatchError,
    NotFoundError,
    SyncPage,
)
from cfaccounts._blocking import LoopRunner
from cfaccounts.models import Account

from .conftest import ACCOUNT_ID, EXAMPLES, TOKEN, reference
from .generate_sync_stubs import RAW_STUB, STUB, render, render_raw
from .server import Recorded, RecordingServer, Reply, envelope
from .test_reference_examples import expected_output, prepare_examples


class ServerThread:
    """The recording server on its own loop, so blocking calls can reach it."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.server = RecordingServer()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self.server.start(), self.loop).result()

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.server.close(), self.loop).result()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()
        self.loop.close()


@pytest.fixture
def threaded_server() -> Iterator[RecordingServer]:
    running = ServerThread()
    yield running.server
    running.stop()


@pytest.mark.parametrize("entry", EXAMPLES, ids=[e["call"] for e in EXAMPLES])
def test_reference_example_runs_verbatim(
    entry: dict[str, Any], threaded_server: RecordingServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    prepare_examples(threaded_server, monkeypatch)
    code = entry["example"].replace("from cloudflare import", "from cfaccounts import")
    namespace: dict[str, Any] = {}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(code, namespace)  # noqa: S102 - the reference's own examples
    namespace["client"].close()
    assert len(threaded_server.requests) == 1
    assert threaded_server.requests[0].method == entry["method"]
    if entry["call"] == "accounts.tokens.permission_groups.get":
        assert out.getvalue().startswith("[PermissionGroupGetResponseItem(")
    else:
        assert out.getvalue() == expected_output(entry["example"], entry["response"]) + "\n"


def test_sixteen_threads_share_one_client(threaded_server: RecordingServer) -> None:
    threaded_server.reply_json(
        "GET", "/accounts/{account_id}", reference("accounts.get")["response"]
    )
    with (
        Cloudflare(api_token=TOKEN, base_url=threaded_server.base_url) as client,
        ThreadPoolExecutor(16) as pool,
    ):
        results = list(pool.map(lambda _: client.accounts.get(account_id=ACCOUNT_ID), range(64)))
    assert all(isinstance(a, Account) and a.id == ACCOUNT_ID for a in results)
    assert len(threaded_server.requests) == 64


async def test_works_inside_a_running_event_loop(threaded_server: RecordingServer) -> None:
    threaded_server.reply_json(
        "GET", "/accounts/{account_id}", reference("accounts.get")["response"]
    )
    client = Cloudflare(api_token=TOKEN, base_url=threaded_server.base_url)
    try:
        assert client.accounts.get(account_id=ACCOUNT_ID).id == ACCOUNT_ID
    finally:
        client.close()


def test_iteration_across_pages(threaded_server: RecordingServer) -> None:
    def page(request: Recorded) -> Reply:
        number = int(dict(request.query).get("page", "1"))
        items = [{"id": f"a{number}{i}", "name": "n", "type": "standard"} for i in range(2)]
        return Reply(json=envelope(items, {"page": number, "per_page": 2, "total_pages": 3}))

    threaded_server.add("GET", "/accounts", page)
    with Cloudflare(api_token=TOKEN, base_url=threaded_server.base_url) as client:
        first = client.accounts.list(per_page=2)
        assert isinstance(first, SyncPage)
        assert [a.id for a in first.result] == ["a10", "a11"]
        assert first.has_next_page()
        assert [a.id for a in first.get_next_page().result] == ["a20", "a21"]
        assert [len(p.result) for p in first.iter_pages()] == [2, 2, 2]
        assert [a.id for a in client.accounts.list(per_page=2)] == [
            "a10",
            "a11",
            "a20",
            "a21",
            "a30",
            "a31",
        ]


def test_errors_are_the_same_typed_exceptions(threaded_server: RecordingServer) -> None:
    threaded_server.add(
        "GET",
        "/accounts/{account_id}",
        Reply(
            status=404,
            json={"success": False, "errors": [{"code": 1003, "message": "Invalid account"}]},
        ),
    )
    with Cloudflare(api_token=TOKEN, base_url=threaded_server.base_url) as client:
        with pytest.raises(NotFoundError, match=r"\[1003\] Invalid account"):
            client.accounts.get(account_id=ACCOUNT_ID)
        with pytest.raises(ValueError, match="account_id"):
            client.accounts.get(account_id="")


def _client_after_one_call(server: RecordingServer) -> Cloudflare:
    server.reply_json("GET", "/accounts/{account_id}", reference("accounts.get")["response"])
    client = Cloudflare(api_token=TOKEN, base_url=server.base_url)
    client.accounts.get(account_id=ACCOUNT_ID)
    return client


def test_blocking_calls_start_no_thread_and_close_closes_the_loop(
    threaded_server: RecordingServer,
) -> None:
    before = threading.active_count()
    client = _client_after_one_call(threaded_server)
    assert threading.active_count() == before
    client.close()
    client.close()
    assert client.closed
    with pytest.raises(ClientClosedError):
        client.accounts.get(account_id=ACCOUNT_ID)


def test_garbage_collected_client_leaks_nothing_and_warns_nothing(
    threaded_server: RecordingServer,
) -> None:
    before = threading.active_count()
    client = _client_after_one_call(threaded_server)
    del client
    gc.collect()
    assert threading.active_count() == before


def _slow_and_fast(server: RecordingServer, slow_seconds: float) -> None:
    def reply(request: Recorded) -> Reply:
        account = request.path.rsplit("/", 1)[-1]
        result = {"id": account, "name": "n", "type": "standard"}
        return Reply(json=envelope(result), delay=slow_seconds if account == "slow" else 0.0)

    server.add("GET", "/accounts/{account_id}", reply)


def test_a_slow_call_in_one_thread_does_not_hold_back_the_others(
    threaded_server: RecordingServer,
) -> None:
    # The thread driving the loop waits for a slow call; calls made meanwhile
    # from other threads run on its loop and return as soon as they are done.
    _slow_and_fast(threaded_server, slow_seconds=1.0)
    finished: dict[str, float] = {}
    with Cloudflare(api_token=TOKEN, base_url=threaded_server.base_url) as client:
        # A first answer: until one arrives, the rate limiter sends one request at a time.
        client.accounts.get(account_id="warm-up")

        def call(account_id: str) -> None:
            client.accounts.get(account_id=account_id)
            finished[account_id] = time.monotonic()

        started = time.monotonic()
        slow = threading.Thread(target=call, args=("slow",))
        slow.start()
        while len(threaded_server.requests) < 2:
            time.sleep(0.005)
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(call, [f"fast{i}" for i in range(12)]))
        slow.join()
    assert max(t for name, t in finished.items() if name != "slow") - started < 0.5
    assert finished["slow"] - started >= 1.0


def test_the_loop_is_handed_over_when_its_driver_leaves(
    threaded_server: RecordingServer,
) -> None:
    # A slow call queued behind a fast driver: when the driver's call is
    # done, the slow call's own thread takes the loop and finishes it.
    _slow_and_fast(threaded_server, slow_seconds=0.3)
    with Cloudflare(api_token=TOKEN, base_url=threaded_server.base_url) as client:
        with ThreadPoolExecutor(8) as pool:
            names = ["slow" if i % 4 == 0 else f"fast{i}" for i in range(40)]
            results = list(pool.map(lambda n: client.accounts.get(account_id=n).id, names))
        assert results == names
        assert client.accounts.get(account_id="after").id == "after"


def _interrupt_main_thread_once(ready: Callable[[], bool], send: str = "pthread_kill") -> None:
    """Once ``ready()``, Ctrl-C as a terminal sends it: SIGINT, to the main thread."""

    def interrupt() -> None:
        deadline = time.monotonic() + 10
        while not ready() and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.1)
        if send == "kill":
            os.kill(os.getpid(), signal.SIGINT)  # to the process, as a terminal does
        else:
            main = threading.main_thread().ident
            assert main is not None
            signal.pthread_kill(main, signal.SIGINT)

    threading.Thread(target=interrupt, daemon=True).start()


def test_ctrl_c_cancels_the_call_and_the_client_stays_usable(
    threaded_server: RecordingServer,
) -> None:
    _slow_and_fast(threaded_server, slow_seconds=8)
    with Cloudflare(api_token=TOKEN, base_url=threaded_server.base_url) as client:
        _interrupt_main_thread_once(lambda: bool(threaded_server.requests))
        started = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            client.accounts.get(account_id="slow")
        assert time.monotonic() - started < 4
        assert client.accounts.get(account_id="fast").id == "fast"


PAGES, PER_PAGE = 8, 250


def _many_pages(server: RecordingServer) -> None:
    """A listing of PAGES pages: structuring them keeps the loop busy."""

    def page(request: Recorded) -> Reply:
        number = int(dict(request.query).get("page", "1"))
        items = [
            {"id": f"a{number}-{i}", "name": "n", "type": "standard", "settings": {}}
            for i in range(PER_PAGE)
        ]
        info = {"page": number, "per_page": PER_PAGE, "total_pages": PAGES}
        return Reply(json=envelope(items, info))

    server.add("GET", "/accounts", page)


@pytest.mark.parametrize("send", ["pthread_kill", "kill"])
@pytest.mark.parametrize("main_drives", [True, False], ids=["main-drives", "main-sleeps"])
def test_ctrl_c_cancels_the_main_threads_call_and_no_other(
    threaded_server: RecordingServer, send: str, main_drives: bool
) -> None:
    # Two threads list page after page while the main thread waits for a
    # slow call; whichever thread runs the loop, SIGINT ends the main
    # thread's call, promptly, and every listing in the others goes on.
    _slow_and_fast(threaded_server, slow_seconds=8)
    _many_pages(threaded_server)
    stop = threading.Event()
    listed: list[int] = []
    failures: list[BaseException] = []

    def list_until_stopped(client: Cloudflare) -> None:
        try:
            while not stop.is_set():
                listed.append(sum(1 for _ in client.accounts.list(per_page=PER_PAGE)))
        except BaseException as error:
            failures.append(error)

    def listings_received() -> int:
        return sum(r.path.endswith("/accounts") for r in list(threaded_server.requests))

    with Cloudflare(api_token=TOKEN, base_url=threaded_server.base_url) as client:
        workers = [threading.Thread(target=list_until_stopped, args=(client,)) for _ in range(2)]
        if not main_drives:  # a worker takes the loop first; the main thread's call sleeps
            workers[0].start()
            while not listings_received():
                time.sleep(0.005)
        _interrupt_main_thread_once(
            lambda: (
                any(r.path.endswith("/slow") for r in list(threaded_server.requests))
                and listings_received() > 4
            ),
            send,
        )
        started = time.monotonic()
        try:
            for worker in workers:
                if not worker.is_alive():
                    worker.start()
            with pytest.raises(KeyboardInterrupt):
                client.accounts.get(account_id="slow")
            interrupted_after = time.monotonic() - started
        finally:
            stop.set()
            for worker in workers:
                worker.join(30)
        assert failures == []
        assert listed and set(listed) == {PAGES * PER_PAGE}
        assert interrupted_after < 6  # the slow call takes 8 s
        assert client.accounts.get(account_id="fast").id == "fast"


@pytest.mark.parametrize("run", ["asyncio.run", "loop.run_until_complete"])
def test_ctrl_c_in_a_running_loop_stops_the_call_promptly(
    threaded_server: RecordingServer, run: str
) -> None:
    # As in Jupyter: a loop runs in the main thread, the call is made from a
    # helper thread. Ctrl-C ends the call, not only the wait for it.
    _slow_and_fast(threaded_server, slow_seconds=8)
    with Cloudflare(api_token=TOKEN, base_url=threaded_server.base_url) as client:

        async def cell() -> None:
            client.accounts.get(account_id="slow")

        def run_cell() -> None:
            if run == "asyncio.run":  # asyncio's own SIGINT handler is installed
                asyncio.run(cell())
                return
            loop = asyncio.new_event_loop()  # Python's default handler, as in Jupyter
            try:
                loop.run_until_complete(cell())
            finally:
                loop.close()

        _interrupt_main_thread_once(lambda: bool(threaded_server.requests))
        started = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            run_cell()
        assert time.monotonic() - started < 4
        assert not [t for t in threading.enumerate() if t.name.startswith("cfaccounts-sync")]
        assert client.accounts.get(account_id="fast").id == "fast"


async def _close_in_a_running_loop(client: Cloudflare) -> None:
    client.close()


@pytest.mark.parametrize("in_a_running_loop", [False, True], ids=["plain", "running-loop"])
def test_close_while_other_threads_are_in_calls_ends_them(
    threaded_server: RecordingServer, in_a_running_loop: bool
) -> None:
    # Three threads wait for slow calls (one drives the loop, two sleep);
    # close() ends them all with ClientClosedError, then releases the
    # session and the loop, once.
    _slow_and_fast(threaded_server, slow_seconds=8)
    client = Cloudflare(api_token=TOKEN, base_url=threaded_server.base_url)
    # A first answer: until one arrives, the rate limiter sends one request at a time.
    client.accounts.get(account_id="fast0")
    outcomes: list[object] = []

    def call() -> None:
        try:
            outcomes.append(client.accounts.get(account_id="slow"))
        except BaseException as error:
            outcomes.append(error)

    threads = [threading.Thread(target=call) for _ in range(3)]
    for thread in threads:
        thread.start()
    while len(threaded_server.requests) < 1 + 3:
        time.sleep(0.005)
    started = time.monotonic()
    if in_a_running_loop:  # as in a notebook cell
        asyncio.run(_close_in_a_running_loop(client))
    else:
        client.close()
    assert time.monotonic() - started < 4
    for thread in threads:
        thread.join(10)
    assert [type(outcome) for outcome in outcomes] == [ClientClosedError] * 3
    assert client.closed
    client.close()
    with pytest.raises(ClientClosedError):
        client.accounts.get(account_id="fast")
    gc.collect()  # nothing left to warn about (warnings are errors here)


def test_close_racing_calls_from_many_threads_releases_everything_once(
    threaded_server: RecordingServer,
) -> None:
    _slow_and_fast(threaded_server, slow_seconds=0.0)
    client = Cloudflare(api_token=TOKEN, base_url=threaded_server.base_url)
    outcomes: list[type] = []

    def call_until_closed() -> None:
        while True:
            try:
                client.accounts.get(account_id="fast")
            except BaseException as error:
                outcomes.append(type(error))
                return

    threads = [threading.Thread(target=call_until_closed) for _ in range(8)]
    for thread in threads:
        thread.start()
    while len(threaded_server.requests) < 40:
        time.sleep(0.005)
    closers = [threading.Thread(target=client.close) for _ in range(2)]
    for closer in closers:
        closer.start()
    for thread in [*threads, *closers]:
        thread.join(10)
        assert not thread.is_alive()
    assert outcomes == [ClientClosedError] * 8
    assert client.closed
    gc.collect()


def test_namespaces_and_pages_keep_their_client_open(threaded_server: RecordingServer) -> None:
    def page(request: Recorded) -> Reply:
        number = int(dict(request.query).get("page", "1"))
        items = [{"id": f"a{number}", "name": "n", "type": "standard"}]
        return Reply(json=envelope(items, {"page": number, "per_page": 1, "total_pages": 3}))

    threaded_server.add("GET", "/accounts", page)
    threaded_server.reply_json(
        "GET", "/accounts/{account_id}", reference("accounts.get")["response"]
    )
    options: dict[str, Any] = {"api_token": TOKEN, "base_url": threaded_server.base_url}
    assert Cloudflare(**options).accounts.get(account_id=ACCOUNT_ID).id == ACCOUNT_ID
    accounts = Cloudflare(**options).accounts
    first = Cloudflare(**options).accounts.list(per_page=1)
    gc.collect()
    assert accounts.get(account_id=ACCOUNT_ID).id == ACCOUNT_ID
    assert [a.id for a in first] == ["a1", "a2", "a3"]
    del accounts, first
    # The last holders gone, the clients close: an unclosed loop or session
    # would warn here, and warnings are errors in this suite.
    gc.collect()


#: Python 3.12+ warns on os.fork() in a process with threads, which these tests are about.
FORK_IN_THREADS = (
    "ignore:This process .* is multi-threaded, use of fork.. may lead to deadlocks"
    ":DeprecationWarning"
)


def _wait_for_child(pid: int, seconds: float) -> int | None:
    """The child's exit code; None (and the child killed) if it outlived ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.02)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return None


def _in_flight(client: Cloudflare, server: RecordingServer, results: list[str]) -> threading.Thread:
    """A thread in a slow call, started and arrived at the server."""
    thread = threading.Thread(
        target=lambda: results.append(client.accounts.get(account_id="slow").id)
    )
    thread.start()
    while not server.requests:
        time.sleep(0.005)
    return thread


@pytest.mark.filterwarnings(FORK_IN_THREADS)
def test_a_child_forked_while_a_thread_is_mid_call_has_a_loop_and_session_of_its_own(
    threaded_server: RecordingServer,
) -> None:
    _slow_and_fast(threaded_server, slow_seconds=1.0)
    _many_pages(threaded_server)
    results: list[str] = []
    async_client = AsyncCloudflare(api_token=TOKEN, base_url=threaded_server.base_url)
    closed = Cloudflare(api_token=TOKEN, base_url=threaded_server.base_url)
    closed.close()
    with Cloudflare(api_token=TOKEN, base_url=threaded_server.base_url) as client:
        page = client.accounts.list(per_page=PER_PAGE)
        asyncio.run(async_client.accounts.get(account_id="parent"))
        threaded_server.requests.clear()
        thread = _in_flight(client, threaded_server, results)
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: answer through the pipe, and skip pytest's teardown
            code = 1
            try:
                answers = [client.accounts.get(account_id=f"child{i}").id for i in range(2)]
                # What the parent fetched or opened is the parent's: a clear error.
                with pytest.raises(EventLoopMismatchError, match="forked"):
                    page.get_next_page()
                with pytest.raises(EventLoopMismatchError, match="forked"):
                    asyncio.run(async_client.accounts.get(account_id="child"))
                with pytest.raises(ClientClosedError):  # closed before the fork
                    closed.accounts.get(account_id="child")
                closed.close()
                os.write(write_end, " ".join(answers).encode())
                client.close()
                code = 0
            except BaseException:
                traceback.print_exc()
            finally:
                os._exit(code)
        os.close(write_end)
        exit_code = _wait_for_child(pid, seconds=30)
        with os.fdopen(read_end, "rb") as answer:
            assert (exit_code, answer.read()) == (0, b"child0 child1")
        thread.join(10)
        # The parent's call, mid-flight at the fork, and its client are unharmed.
        assert results == ["slow"]
        with ThreadPoolExecutor(4) as pool:
            names = [f"after{i}" for i in range(8)]
            assert list(pool.map(lambda n: client.accounts.get(account_id=n).id, names)) == names


#: The client the pool's workers inherit.
_inherited_client: Cloudflare | None = None


def _account_id_in_worker(account_id: str) -> str:
    assert _inherited_client is not None
    return _inherited_client.accounts.get(account_id=account_id).id


@pytest.mark.filterwarnings(FORK_IN_THREADS)
def test_multiprocessing_fork_workers_use_the_client_they_inherit(
    threaded_server: RecordingServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    _slow_and_fast(threaded_server, slow_seconds=1.0)
    results: list[str] = []
    with Cloudflare(api_token=TOKEN, base_url=threaded_server.base_url) as client:
        monkeypatch.setattr(sys.modules[__name__], "_inherited_client", client)
        thread = _in_flight(client, threaded_server, results)
        with multiprocessing.get_context("fork").Pool(2) as pool:
            names = [f"worker{i}" for i in range(6)]
            assert pool.map_async(_account_id_in_worker, names).get(timeout=30) == names
        thread.join(10)
        assert results == ["slow"]


def test_a_blocking_call_from_inside_its_own_loop_is_refused() -> None:
    runner = LoopRunner()

    async def inner() -> int:
        return 1

    async def outer() -> int:
        return runner.run(inner())

    with pytest.raises(RuntimeError, match="deadlock"):
        runner.run(outer())
    assert runner.run(inner()) == 1
    runner.shutdown(asyncio.sleep(0))
    assert runner.loop.is_closed()


def test_type_stubs_are_up_to_date() -> None:
    assert STUB.read_text() == render(), "run: python tests/generate_sync_stubs.py"
    assert RAW_STUB.read_text() == render_raw(), "run: python tests/generate_sync_stubs.py"


def test_repr_shows_credential_kind_not_secret() -> None:
    with Cloudflare(api_token=TOKEN) as client:
        assert re.search(r"<Cloudflare .* credential=api_token>", repr(client))
        assert TOKEN not in repr(client)
