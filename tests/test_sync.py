"""The blocking client: same calls, plain values, a loop driven by its callers."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import io
import re
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from cfaccounts import ClientClosedError, Cloudflare, NotFoundError, SyncPage
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

        def call(account_id: str) -> None:
            client.accounts.get(account_id=account_id)
            finished[account_id] = time.monotonic()

        started = time.monotonic()
        slow = threading.Thread(target=call, args=("slow",))
        slow.start()
        while not threaded_server.requests:
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


def test_ctrl_c_cancels_the_call_and_the_client_stays_usable(
    threaded_server: RecordingServer,
) -> None:
    _slow_and_fast(threaded_server, slow_seconds=1.5)
    with Cloudflare(api_token=TOKEN, base_url=threaded_server.base_url) as client:
        # As a real Ctrl-C: SIGINT to the main thread, which is waiting in the loop.
        main = threading.main_thread().ident
        assert main is not None
        timer = threading.Timer(0.2, signal.pthread_kill, (main, signal.SIGINT))
        timer.start()
        started = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            client.accounts.get(account_id="slow")
        assert time.monotonic() - started < 1
        assert client.accounts.get(account_id="fast").id == "fast"


def test_a_blocking_call_from_inside_its_own_loop_is_refused() -> None:
    runner = LoopRunner()

    async def inner() -> int:
        return 1

    async def outer() -> int:
        return runner.run(inner())

    with pytest.raises(RuntimeError, match="deadlock"):
        runner.run(outer())
    assert runner.run(inner()) == 1
    runner.close()


def test_type_stubs_are_up_to_date() -> None:
    assert STUB.read_text() == render(), "run: python tests/generate_sync_stubs.py"
    assert RAW_STUB.read_text() == render_raw(), "run: python tests/generate_sync_stubs.py"


def test_repr_shows_credential_kind_not_secret() -> None:
    with Cloudflare(api_token=TOKEN) as client:
        assert re.search(r"<Cloudflare .* credential=api_token>", repr(client))
        assert TOKEN not in repr(client)
