from __future__ import annotations

import asyncio
import inspect
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import aioresponses.core as aioresponses_core
import pytest
from aioresponses import aioresponses

from cfaccounts import AsyncCloudflare

from .server import RecordingServer

TOKEN = "sentinel-token-0123456789abcdef"
API_KEY = "sentinel-key-fedcba9876543210"
EMAIL = "owner@example.com"
ACCOUNT_ID = "023e105f4ecef8ad9ca31a8372d0c353"
BASE = "https://api.cloudflare.com/client/v4"

EXAMPLES: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "reference" / "examples.json").read_text()
)


def reference(call: str) -> dict[str, Any]:
    """The reference's entry for ``call`` (``accounts.members.get``)."""
    return next(entry for entry in EXAMPLES if entry["call"] == call)


def _patch_aioresponses_for_aiohttp_314() -> None:
    # aioresponses 0.7.9 builds ClientResponse without the keyword-only
    # `stream_writer` that aiohttp 3.14 requires (pnuckowski/aioresponses#289,
    # fix in PR #288, unmerged). aiohttp only reads `.output_size` from it, so
    # its default response class gets a stand-in. Remove once the fix ships.
    if "stream_writer" not in inspect.signature(aiohttp.ClientResponse.__init__).parameters:
        return

    class _StreamWriter:
        output_size = 0

    class _ClientResponse(aiohttp.ClientResponse):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs.setdefault("stream_writer", _StreamWriter())
            super().__init__(*args, **kwargs)

    aioresponses_core.ClientResponse = _ClientResponse  # type: ignore[attr-defined]


_patch_aioresponses_for_aiohttp_314()


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "CLOUDFLARE_API_TOKEN",
        "CLOUDFLARE_API_KEY",
        "CLOUDFLARE_EMAIL",
        "CLOUDFLARE_API_USER_SERVICE_KEY",
        "CLOUDFLARE_BASE_URL",
        "CLOUDFLARE_LOG",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def mocked() -> Iterator[aioresponses]:
    with aioresponses() as mock:
        yield mock


@pytest.fixture
async def client() -> AsyncIterator[AsyncCloudflare]:
    """A token client against the real base URL, for use with ``mocked``."""
    async with AsyncCloudflare(api_token=TOKEN) as c:
        yield c


@pytest.fixture
async def server() -> AsyncIterator[RecordingServer]:
    srv = RecordingServer()
    await srv.start()
    yield srv
    await srv.close()


@pytest.fixture
async def local(server: RecordingServer) -> AsyncIterator[AsyncCloudflare]:
    """A token client talking to ``server``, retrying without waiting."""
    async with AsyncCloudflare(api_token=TOKEN, base_url=server.base_url) as c:
        yield c


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Retry and rate-limit waits, recorded instead of slept, on a fake clock."""
    recorded: list[float] = []
    clock = [1000.0]

    async def fake_sleep(delay: float) -> None:
        recorded.append(delay)
        clock[0] += delay
        await asyncio.sleep(0)  # still let other tasks run, as a real wait would

    monkeypatch.setattr("cfaccounts._core._sleep", fake_sleep)
    monkeypatch.setattr("cfaccounts._ratelimit._sleep", fake_sleep)
    monkeypatch.setattr("cfaccounts._ratelimit._monotonic", lambda: clock[0])
    return recorded
