"""A response is bounded in size, as received and once decompressed."""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from cfaccounts import APIResponseValidationError, AsyncCloudflare, ConfigurationError

from .conftest import TOKEN, reference

MIB = 1024 * 1024
ACCOUNTS = json.dumps(reference("accounts.list")["response"]).encode()
#: 8 MiB of JSON-ish zeros, about 8 KB gzipped: a (small) decompression bomb.
BOMB = gzip.compress(b'{"result": "' + b"0" * (8 * MIB) + b'"}')


class SizeServer:
    """Answers /client/v4/accounts with a chosen body; records each request's connection."""

    def __init__(self) -> None:
        self.peers: list[object] = []
        self.kind = "ok"
        self.runner: web.AppRunner | None = None
        self.port = 0

    async def handle(self, request: web.Request) -> web.StreamResponse:
        assert request.transport is not None
        self.peers.append(request.transport.get_extra_info("peername"))
        if self.kind == "ok":
            return web.Response(body=ACCOUNTS, content_type="application/json")
        if self.kind == "gzip":
            return web.Response(body=gzip.compress(ACCOUNTS), headers=_encoded("gzip"))
        if self.kind == "deflate":
            return web.Response(body=zlib.compress(ACCOUNTS), headers=_encoded("deflate"))
        if self.kind == "bomb":
            return web.Response(body=BOMB, headers=_encoded("gzip"))
        if self.kind == "declared":
            return web.Response(body=b" " * (2 * MIB))
        # "streamed": no Content-Length, chunk after chunk, far past the limit.
        response = web.StreamResponse()
        await response.prepare(request)
        try:
            for _ in range(64):
                await response.write(b" " * MIB)
        except ConnectionError:
            pass  # the client hung up, as it should
        return response

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/client/v4"


def _encoded(encoding: str) -> dict[str, str]:
    return {"Content-Encoding": encoding, "Content-Type": "application/json"}


@pytest.fixture
async def size_server() -> AsyncIterator[SizeServer]:
    srv = SizeServer()
    app = web.Application()
    app.router.add_get("/client/v4/accounts", srv.handle)
    srv.runner = web.AppRunner(app, access_log=None)
    await srv.runner.setup()
    site = web.TCPSite(srv.runner, "127.0.0.1", 0)
    await site.start()
    srv.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield srv
    await srv.runner.cleanup()


@pytest.mark.parametrize("kind", ["bomb", "declared", "streamed"])
async def test_a_response_past_the_limit_is_refused_and_its_connection_dropped(
    kind: str, size_server: SizeServer
) -> None:
    async with AsyncCloudflare(
        api_token=TOKEN, base_url=size_server.base_url, max_response_size=MIB
    ) as client:
        size_server.kind = "ok"
        await client.accounts.list()
        size_server.kind = kind
        with pytest.raises(APIResponseValidationError, match="max_response_size") as caught:
            await client.accounts.list()
        size_server.kind = "ok"
        await client.accounts.list()
    assert caught.value.attempts == 1  # not retried
    first, refused, after = size_server.peers
    assert first == refused  # the connection was reused up to there...
    if kind != "bomb":  # (the bomb's 8 KB arrived whole: nothing was left unread)
        assert after != refused  # ...and dropped with the body left unread


@pytest.mark.parametrize("kind", ["ok", "gzip", "deflate"])
async def test_a_response_within_the_limit_is_decoded(kind: str, size_server: SizeServer) -> None:
    size_server.kind = kind
    async with AsyncCloudflare(
        api_token=TOKEN, base_url=size_server.base_url, max_response_size=len(ACCOUNTS)
    ) as client:
        page = await client.accounts.list()
    assert len(page.result) == len(reference("accounts.list")["response"]["result"])


def test_the_default_limit_is_64_mib_and_a_bad_one_is_refused() -> None:
    assert AsyncCloudflare(api_token=TOKEN)._core.transport.max_response_size == 64 * MIB
    for bad in (0, -1, 1.5, True, "1"):
        with pytest.raises(ConfigurationError, match="max_response_size"):
            AsyncCloudflare(api_token=TOKEN, max_response_size=bad)  # type: ignore[arg-type]
