"""Ways to run the sandbox: in a loop, in a thread, as a command, as a fixture."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from typing import Any

import aiohttp
import pytest

from cfaccounts.testing import Sandbox


async def test_async_context_manager_serves_in_the_running_loop() -> None:
    sandbox = Sandbox(accounts=1)
    with pytest.raises(RuntimeError, match="not running"):
        _ = sandbox.base_url
    async with sandbox:
        assert sandbox.base_url.startswith("http://127.0.0.1:")
        async with sandbox.client() as client:
            page = await client.accounts.list()
        assert [account.id for account in page.result] == sandbox.account_ids
        with pytest.raises(RuntimeError, match="already running"):
            await sandbox.start()
    assert "stopped" in repr(sandbox)


def test_thread_mode_serves_a_sync_client() -> None:
    with Sandbox(accounts=2) as sandbox, sandbox.sync_client() as client:
        url = sandbox.base_url + "/accounts"
        assert [a.id for a in client.accounts.list()] == sandbox.account_ids
        member = client.accounts.members.create(
            account_id=sandbox.account_ids[1], email="sync@example.com"
        )
        assert member.status == "pending"
    with pytest.raises(aiohttp.ClientConnectionError):
        asyncio.run(_get(url))


async def _get(url: str) -> int:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status


@pytest.mark.cloudflare_sandbox(accounts=1, members_per_account=2, seed="fixture")
def test_fixture_takes_its_options_from_the_marker(cloudflare_sandbox: Sandbox) -> None:
    assert len(cloudflare_sandbox.account_ids) == 1
    record = cloudflare_sandbox.store.accounts[cloudflare_sandbox.account_ids[0]]
    assert len(record.members) == 2


def test_serve_prints_exports_then_serves_any_http_client() -> None:
    command = [
        sys.executable,
        "-m",
        "cfaccounts.testing",
        "serve",
        "--accounts",
        "2",
        "--rate-limit",
        "none",
    ]
    env = {key: value for key, value in os.environ.items() if not key.startswith("CLOUDFLARE")}
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    ) as process:
        try:
            assert process.stdout is not None
            exports = dict(
                process.stdout.readline().removeprefix("export ").strip().split("=", 1)
                for _ in range(2)
            )
            assert set(exports) == {"CLOUDFLARE_BASE_URL", "CLOUDFLARE_API_TOKEN"}
            body = asyncio.run(
                _accounts(exports["CLOUDFLARE_BASE_URL"], exports["CLOUDFLARE_API_TOKEN"])
            )
            assert body["success"] is True
            assert len(body["result"]) == 2
        finally:
            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=10) == 0


async def _accounts(base_url: str, token: str) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    async with (
        aiohttp.ClientSession(headers=headers) as session,
        session.get(base_url + "/accounts") as response,
    ):
        body: dict[str, Any] = await response.json()
        return body


def test_serve_refuses_a_malformed_rate_limit() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cfaccounts.testing", "serve", "--rate-limit", "fast"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "expected LIMIT/SECONDS" in result.stderr
