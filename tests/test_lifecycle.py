"""Session lifecycle: lazy, shared, closed once, never leaked."""

from __future__ import annotations

import aiohttp
import pytest

from cfaccounts import AsyncCloudflare, ClientClosedError

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
