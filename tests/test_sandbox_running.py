"""Ways to run the sandbox: in a loop, in a thread, as a command, as a fixture."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from cfaccounts import APITimeoutError
from cfaccounts.testing import Fault, Sandbox


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


async def test_close_cancels_a_pending_latency_fault_at_once() -> None:
    sandbox = Sandbox(accounts=1)
    async with sandbox:
        sandbox.inject(Fault.latency(30), "GET /accounts")
        async with sandbox.client(timeout=0.5, max_retries=0) as client:
            with pytest.raises(APITimeoutError):
                await client.accounts.list()
        started = time.monotonic()
    assert time.monotonic() - started < 5
    assert sandbox.counters.in_flight == 0
    assert sandbox.counters.responses == {0: 1}


def test_thread_mode_exit_cancels_a_pending_latency_fault_at_once() -> None:
    with Sandbox(accounts=1) as sandbox:
        sandbox.inject(Fault.latency(20), "GET /accounts")
        with (
            sandbox.sync_client(timeout=0.5, max_retries=0) as client,
            pytest.raises(APITimeoutError),
        ):
            client.accounts.list()
        started = time.monotonic()
    assert time.monotonic() - started < 5
    assert sandbox.counters.in_flight == 0


async def test_a_sync_client_in_the_serving_loop_is_refused_at_once() -> None:
    async with Sandbox(accounts=1) as sandbox:
        with pytest.raises(RuntimeError, match=r"sandbox\.client\(\)"):
            sandbox.sync_client()
        # From another thread, it works: that thread's blocking does not stop this loop.
        names = await asyncio.to_thread(_account_names, sandbox)
        assert len(names) == 1


def _account_names(sandbox: Sandbox) -> list[str]:
    with sandbox.sync_client() as client:
        return [account.name for account in client.accounts.list()]


def _serve(*arguments: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cfaccounts.testing", "serve", *arguments],
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--port", "99999"], "expected a port from 0 to 65535"),
        (["--port", "-1"], "expected a port from 0 to 65535"),
        (["--accounts", "-1"], "accounts must be 0 or more"),
        (["--tokens", "501"], "max_tokens_per_account"),
        (["--lockout", "nan"], "lockout must be"),
        (["--rate-limit", "5/inf"], "per must be a positive, finite number"),
    ],
)
def test_serve_usage_errors_exit_2_without_a_traceback(arguments: list[str], message: str) -> None:
    result = _serve(*arguments)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("background", [False, True])
def test_serve_on_a_port_in_use_is_a_usage_error(background: bool) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        result = _serve("--port", port, *(["--background"] if background else []))
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_in_the_background_returns_once_serving_and_stops_on_sigterm(
    tmp_path: Path,
) -> None:
    env_file = tmp_path / "sandbox.env"
    result = _serve(
        "--background", "--accounts", "2", "--rate-limit", "none", "--env-file", str(env_file)
    )
    assert result.returncode == 0, result.stderr
    exports = dict(
        line.removeprefix("export ").split("=", 1) for line in result.stdout.splitlines()
    )
    assert set(exports) == {"CLOUDFLARE_BASE_URL", "CLOUDFLARE_API_TOKEN", "CFACCOUNTS_SANDBOX_PID"}
    assert env_file.read_text() == result.stdout
    pid = int(exports["CFACCOUNTS_SANDBOX_PID"])
    try:
        body = asyncio.run(
            _accounts(exports["CLOUDFLARE_BASE_URL"], exports["CLOUDFLARE_API_TOKEN"])
        )
        assert len(body["result"]) == 2
    finally:
        os.kill(pid, signal.SIGTERM)
    # It stops: the port closes and the env file goes.
    for _ in range(500):
        if not env_file.exists():
            break
        time.sleep(0.02)
    assert not env_file.exists()
    with pytest.raises(aiohttp.ClientConnectionError):
        asyncio.run(_get(exports["CLOUDFLARE_BASE_URL"] + "/accounts"))
