"""How many requests per second the sandbox serves on loopback.

The sandbox runs in its own process (``python -m cfaccounts.testing serve``),
as in the other benchmarks; a raw aiohttp client keeps ``--concurrency``
requests in flight over a mix of reads (one member, a page of members, a page
of tokens). Run it as ``python benchmarks/sandbox_throughput.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import subprocess
import sys
import time
from collections import Counter

import aiohttp


def start_sandbox(accounts: int) -> tuple[subprocess.Popen[str], str, str]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cfaccounts.testing",
            "serve",
            "--accounts",
            str(accounts),
            "--members",
            "50",
            "--tokens",
            "20",
            "--rate-limit",
            "none",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    exports = dict(
        process.stdout.readline().removeprefix("export ").strip().split("=", 1) for _ in range(2)
    )
    return process, exports["CLOUDFLARE_BASE_URL"], exports["CLOUDFLARE_API_TOKEN"]


async def load(
    base_url: str, token: str, total: int, concurrency: int
) -> tuple[float, Counter[int]]:
    headers = {"Authorization": f"Bearer {token}"}
    connector = aiohttp.TCPConnector(limit=concurrency)
    statuses: Counter[int] = Counter()
    async with aiohttp.ClientSession(headers=headers, connector=connector) as session:
        async with session.get(base_url + "/accounts", params={"per_page": 50}) as response:
            account_ids = [a["id"] for a in (await response.json())["result"]]
        async with session.get(f"{base_url}/accounts/{account_ids[0]}/members") as response:
            member_id = (await response.json())["result"][1]["id"]
        paths = itertools.cycle(
            [
                f"/accounts/{account_ids[0]}/members/{member_id}",
                f"/accounts/{account_ids[0]}/members?per_page=20",
                f"/accounts/{account_ids[-1]}/tokens?per_page=20",
            ]
        )
        queue = [next(paths) for _ in range(total)]

        async def worker() -> None:
            while queue:
                path = queue.pop()
                async with session.get(base_url + path) as response:
                    await response.read()
                    statuses[response.status] += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - started, statuses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--accounts", type=int, default=10)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    options = parser.parse_args()
    process, base_url, token = start_sandbox(options.accounts)
    try:
        elapsed, statuses = asyncio.run(
            load(base_url, token, options.requests, options.concurrency)
        )
    finally:
        process.terminate()
        process.wait()
    rate = options.requests / elapsed
    result = {
        "requests": options.requests,
        "concurrency": options.concurrency,
        "seconds": round(elapsed, 3),
        "requests_per_second": round(rate),
        "statuses": dict(statuses),
        "target_requests_per_second": 2000,
    }
    if options.json:
        print(json.dumps(result))
    else:
        print(
            f"sandbox: {options.requests} requests, {options.concurrency} in flight, "
            f"{elapsed:.2f} s -> {rate:,.0f} requests/s (target >= 2,000);"
            f" statuses {dict(statuses)}"
        )
    if set(statuses) != {200}:
        sys.exit("some requests failed")


if __name__ == "__main__":
    main()
