"""The blocking client: same calls, plain values, its own loop thread."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import io
import re
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from cfaccounts import Cloudflare, NotFoundError, SyncPage
from cfaccounts.models import Account

from .conftest import ACCOUNT_ID, EXAMPLES, TOKEN, reference
from .generate_sync_stubs import STUB, render
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
        assert out.getvalue().startswith("[PermissionGroupListResponse(")
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


def _cfaccounts_threads() -> int:
    return sum(t.name == "cfaccounts-sync" for t in threading.enumerate())


def test_close_stops_the_thread(threaded_server: RecordingServer) -> None:
    before = _cfaccounts_threads()
    threaded_server.reply_json(
        "GET", "/accounts/{account_id}", reference("accounts.get")["response"]
    )
    client = Cloudflare(api_token=TOKEN, base_url=threaded_server.base_url)
    client.accounts.get(account_id=ACCOUNT_ID)
    assert _cfaccounts_threads() == before + 1
    client.close()
    client.close()
    assert client.closed and _cfaccounts_threads() == before


def test_garbage_collected_client_leaks_no_thread_and_warns_nothing(
    threaded_server: RecordingServer,
) -> None:
    before = _cfaccounts_threads()
    threaded_server.reply_json(
        "GET", "/accounts/{account_id}", reference("accounts.get")["response"]
    )
    client = Cloudflare(api_token=TOKEN, base_url=threaded_server.base_url)
    client.accounts.get(account_id=ACCOUNT_ID)
    del client
    gc.collect()
    assert _cfaccounts_threads() == before


def test_sync_type_stub_is_up_to_date() -> None:
    assert STUB.read_text() == render(), "run: python tests/generate_sync_stubs.py"


def test_repr_shows_credential_kind_not_secret() -> None:
    with Cloudflare(api_token=TOKEN) as client:
        assert re.search(r"<Cloudflare .* credential=api_token>", repr(client))
        assert TOKEN not in repr(client)
