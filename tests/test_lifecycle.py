"""Session lifecycle: lazy, shared, closed once, never leaked."""

from __future__ import annotations

import asyncio
import gc
import threading
from collections.abc import Coroutine
from typing import Any

import aiohttp
import pytest

from cfaccounts import AsyncCloudflare, ClientClosedError, CloudflareError, EventLoopMismatchError
from cfaccounts.testing import Sandbox

from .conftest import ACCOUNT_ID, TOKEN, reference
from .server import RecordingServer


def test_client_can_be_built_outside_a_running_loop() -> None:
    client = AsyncCloudflare(api_token=TOKEN)
    assert not client.closed
    assert client._core.transport._session is None


async def test_one_session_is_reused_and_closed(server: RecordingServer) -> None:
    server.reply_json("GET", "/accounts/{account_id}", reference("accounts.get")["response"])
    client = AsyncCloudflare(api_token=TOKEN, base_url=server.base_url)
    await client.accounts.get(account_id=ACCOUNT_ID)
    session = client._core.transport._session
    await client.accounts.get(account_id=ACCOUNT_ID)
    assert client._core.transport._session is session
    await client.close()
    await client.close()
    assert session is not None and session.closed and client.closed
    with pytest.raises(ClientClosedError, match="closed"):
        await client.accounts.get(account_id=ACCOUNT_ID)


async def test_closing_an_unused_client_is_harmless() -> None:
    async with AsyncCloudflare(api_token=TOKEN) as client:
        pass
    assert client.closed


async def test_callers_session_is_used_and_left_open(server: RecordingServer) -> None:
    server.reply_json("GET", "/accounts/{account_id}", reference("accounts.get")["response"])
    async with aiohttp.ClientSession() as session:
        async with AsyncCloudflare(api_token=TOKEN, base_url=server.base_url, session=session) as c:
            await c.accounts.get(account_id=ACCOUNT_ID)
        assert not session.closed
    assert len(server.requests) == 1


def _get_in(client: AsyncCloudflare, account_id: str) -> Coroutine[Any, Any, str | None]:
    async def get() -> str | None:
        return (await client.accounts.get(account_id=account_id)).id

    return get()


def test_an_async_client_used_in_a_second_event_loop_says_what_to_do() -> None:
    # Two asyncio.run() calls, as in a script or with function-scoped test loops.
    with Sandbox(accounts=1) as sandbox:
        account_id = sandbox.account_ids[0]
        client = sandbox.client()
        assert asyncio.run(_get_in(client, account_id)) == account_id
        with pytest.raises(EventLoopMismatchError, match=r"has since closed.*asyncio\.run") as e:
            asyncio.run(_get_in(client, account_id))
        assert isinstance(e.value, CloudflareError)
        asyncio.run(client.close())
        assert client.closed
        gc.collect()  # the first loop closed the session on its way out: nothing leaked


def test_an_async_client_in_use_by_a_live_loop_refuses_another() -> None:
    with Sandbox(accounts=1) as sandbox:
        account_id = sandbox.account_ids[0]
        client = sandbox.client()
        home = asyncio.new_event_loop()
        thread = threading.Thread(target=home.run_forever)
        thread.start()
        try:
            at_home = asyncio.run_coroutine_threadsafe(_get_in(client, account_id), home)
            assert at_home.result(10) == account_id
            with pytest.raises(EventLoopMismatchError, match="still open"):
                asyncio.run(_get_in(client, account_id))
            with pytest.raises(EventLoopMismatchError, match="still open"):
                asyncio.run(client.close())  # closing, too, is for the loop it belongs to
            assert not client.closed
            asyncio.run_coroutine_threadsafe(client.close(), home).result(10)
            assert client.closed
        finally:
            home.call_soon_threadsafe(home.stop)
            thread.join()
            home.close()
