"""Peak memory while a client refuses a decompression bomb.

Run ``python benchmarks/response_bomb.py``. A local server answers with
about 400 KiB of gzip that inflates to 400 MiB; the client, at its default
``max_response_size`` (64 MiB), refuses it. Printed: the compressed size, the
peak memory Python allocated during the call (``tracemalloc``), and the time.
"""

from __future__ import annotations

import asyncio
import time
import tracemalloc
import zlib

from aiohttp import web

from cfaccounts import APIResponseValidationError, AsyncCloudflare

MIB = 1024 * 1024


def gzip_bomb(mebibytes: int) -> bytes:
    """``mebibytes`` MiB of zeros, gzipped."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = b"0" * MIB
    return b"".join([compressor.compress(zeros) for _ in range(mebibytes)] + [compressor.flush()])


async def main() -> None:
    body = gzip_bomb(400)

    async def answer(request: web.Request) -> web.Response:
        return web.Response(body=body, headers={"Content-Encoding": "gzip"})

    app = web.Application()
    app.router.add_get("/client/v4/accounts", answer)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    base_url = f"http://127.0.0.1:{port}/client/v4"
    try:
        async with AsyncCloudflare(api_token="benchmark", base_url=base_url) as client:  # noqa: S106 - a local server
            tracemalloc.start()
            started = time.perf_counter()
            try:
                await client.accounts.list()
            except APIResponseValidationError as error:
                print("refused:", error.message)
            seconds = time.perf_counter() - started
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
    finally:
        await runner.cleanup()
    print(
        f"{len(body) / 1024:.0f} KiB of gzip inflating to 400 MiB: "
        f"peak {peak / MIB:.1f} MiB allocated, {seconds:.2f} s"
    )


if __name__ == "__main__":
    asyncio.run(main())
