"""One benchmark worker: one client, one workload, in a process of its own.

``compare.py`` starts ``python benchmarks/clients.py CLIENT WORKLOAD BASE_URL``
once per measurement and reads one JSON line: the items done and the CPU time
(user + system, every thread of this process) the workload took, after a
warm-up. Measuring in a fresh process keeps one client's garbage, caches and
threads out of another's numbers.

Clients (the same calls, by the same names, through each):

- ``raw``: the floor. aiohttp with the same session settings and ``json.loads``
  of the body; no envelope checks, no models.
- ``cfaccounts``: :class:`cfaccounts.AsyncCloudflare`.
- ``cfaccounts-sync``: :class:`cfaccounts.Cloudflare`, the blocking wrapper;
  concurrency comes from threads, as a blocking program would get it.
- ``cloudflare``: the official SDK's ``AsyncCloudflare``, when installed.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import time
import tracemalloc
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import aiohttp

import cfaccounts

TOKEN = "benchmark-token-0123456789abcdef"
MEMBER_ID = "4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e"
PER_PAGE = 50
AUDIT_LIMIT = 100
IN_FLIGHT = 64
BEFORE, SINCE = "2026-11-01", "2026-10-01"


def listing_account(length: int) -> str:
    """The canned server's account whose listings hold ``length`` items."""
    return f"acct{length}"


def list_members(client: Any, length: int) -> Any:
    """The members listing, through any client with the reference's names."""
    return client.accounts.members.list(account_id=listing_account(length), per_page=PER_PAGE)


def list_audit_entries(client: Any, length: int) -> Any:
    """The audit-log listing, through any client with the reference's names."""
    return client.accounts.logs.audit.list(
        account_id=listing_account(length), limit=AUDIT_LIMIT, before=BEFORE, since=SINCE
    )


class AsyncWorkloads:
    """The workloads over an async client with the reference's call names."""

    def __init__(self, client: Any) -> None:
        self.client = client

    async def get(self, count: int) -> int:
        members = self.client.accounts.members
        for _ in range(count):
            await members.get(MEMBER_ID, account_id="acct1")
        return count

    async def get_concurrently(self, count: int) -> int:
        members = self.client.accounts.members
        remaining = iter(range(count))

        async def worker() -> None:
            for _ in remaining:
                await members.get(MEMBER_ID, account_id="acct1")

        await asyncio.gather(*(worker() for _ in range(IN_FLIGHT)))
        return count

    def members(self, length: int) -> AsyncIterator[Any]:
        return aiter(list_members(self.client, length))

    def audit_entries(self, length: int) -> AsyncIterator[Any]:
        return aiter(list_audit_entries(self.client, length))

    async def close(self) -> None:
        await self.client.close()


class RawWorkloads(AsyncWorkloads):
    """The floor: the same requests by hand, each body decoded and nothing more."""

    def __init__(self, base_url: str) -> None:
        super().__init__(None)
        self.base_url = base_url
        self.session = aiohttp.ClientSession(headers={"Authorization": f"Bearer {TOKEN}"})

    async def _result(self, path: str, query: dict[str, Any] | None = None) -> Any:
        async with self.session.get(self.base_url + path, params=query) as response:
            return json.loads(await response.read())

    async def get(self, count: int) -> int:
        for _ in range(count):
            await self._result(f"/accounts/acct1/members/{MEMBER_ID}")
        return count

    async def get_concurrently(self, count: int) -> int:
        remaining = iter(range(count))

        async def worker() -> None:
            for _ in remaining:
                await self._result(f"/accounts/acct1/members/{MEMBER_ID}")

        await asyncio.gather(*(worker() for _ in range(IN_FLIGHT)))
        return count

    async def members(self, length: int) -> AsyncIterator[Any]:
        path = f"/accounts/{listing_account(length)}/members"
        page = 1
        while True:
            body = await self._result(path, {"page": page, "per_page": PER_PAGE})
            for item in body["result"]:
                yield item
            if page >= body["result_info"]["total_pages"]:
                return
            page += 1

    async def audit_entries(self, length: int) -> AsyncIterator[Any]:
        path = f"/accounts/{listing_account(length)}/logs/audit"
        query: dict[str, Any] = {"limit": AUDIT_LIMIT, "before": BEFORE, "since": SINCE}
        while True:
            body = await self._result(path, query)
            for item in body["result"]:
                yield item
            cursor = body["result_info"].get("cursor")
            if not cursor:
                return
            query["cursor"] = cursor

    async def close(self) -> None:
        await self.session.close()


class SyncWorkloads:
    """The workloads over the blocking client; 64 threads for 64 in flight."""

    def __init__(self, client: cfaccounts.Cloudflare) -> None:
        self.client = client

    def get(self, count: int) -> int:
        get = self.client.accounts.members.get
        for _ in range(count):
            get(MEMBER_ID, account_id="acct1")
        return count

    def get_concurrently(self, count: int) -> int:
        get = self.client.accounts.members.get
        with ThreadPoolExecutor(IN_FLIGHT) as pool:
            for _ in pool.map(lambda _: get(MEMBER_ID, account_id="acct1"), range(count)):
                pass
        return count

    def members(self, length: int) -> Iterator[Any]:
        return iter(list_members(self.client, length))

    def audit_entries(self, length: int) -> Iterator[Any]:
        return iter(list_audit_entries(self.client, length))

    def close(self) -> None:
        self.client.close()


def make_async(name: str, base_url: str) -> AsyncWorkloads:
    if name == "raw":
        return RawWorkloads(base_url)
    if name == "cfaccounts":
        return AsyncWorkloads(
            cfaccounts.AsyncCloudflare(
                api_token=TOKEN, base_url=base_url, rate_limit=None, max_concurrency=IN_FLIGHT
            )
        )
    if name == "cloudflare":
        official = importlib.import_module("cloudflare")
        return AsyncWorkloads(official.AsyncCloudflare(api_token=TOKEN, base_url=base_url))
    raise ValueError(f"unknown async client {name!r}")


def make_sync(base_url: str) -> SyncWorkloads:
    return SyncWorkloads(
        cfaccounts.Cloudflare(
            api_token=TOKEN, base_url=base_url, rate_limit=None, max_concurrency=IN_FLIGHT
        )
    )


#: workload → (calls or items measured, warm-up size)
SIZES = {"get": (2000, 200), "get_64": (4000, 400), "paging": (2500, 250), "cursor": (2500, 200)}
MEMORY_SIZES = (10_000, 100_000)


async def _count(items: AsyncIterator[Any]) -> int:
    count = 0  # not len([...]): a list of every item would be the memory measured
    async for _ in items:
        count += 1
    return count


def _async_step(workloads: AsyncWorkloads, workload: str) -> Callable[[int], Awaitable[int]]:
    return {
        "get": workloads.get,
        "get_64": workloads.get_concurrently,
        "paging": lambda n: _count(workloads.members(n)),
        "cursor": lambda n: _count(workloads.audit_entries(n)),
    }[workload]


def _sync_step(workloads: SyncWorkloads, workload: str) -> Callable[[int], int]:
    return {
        "get": workloads.get,
        "get_64": workloads.get_concurrently,
        "paging": lambda n: sum(1 for _ in workloads.members(n)),
        "cursor": lambda n: sum(1 for _ in workloads.audit_entries(n)),
    }[workload]


class Cost:
    """CPU (every thread of this process) and wall time spent inside ``with``."""

    def __enter__(self) -> Cost:
        self.cpu, self.wall = time.process_time(), time.perf_counter()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.cpu = time.process_time() - self.cpu
        self.wall = time.perf_counter() - self.wall


class PeakMemory:
    """The most memory Python allocations held at once inside ``with``, in KiB."""

    def __enter__(self) -> PeakMemory:
        tracemalloc.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.kib = tracemalloc.get_traced_memory()[1] / 1024
        tracemalloc.stop()


def measure(client: str, workload: str, base_url: str, scale: float) -> dict[str, Any]:
    """Run ``workload`` (after a warm-up) through ``client`` and return what it cost."""
    if workload == "memory":
        return _measure_memory(client, base_url, scale)
    size, warm_up = (max(int(n * scale), 1) for n in SIZES[workload])
    cost = Cost()
    if client == "cfaccounts-sync":
        sync_workloads = make_sync(base_url)
        try:
            step = _sync_step(sync_workloads, workload)
            step(warm_up)
            with cost:
                items = step(size)
        finally:
            sync_workloads.close()
    else:

        async def run() -> int:
            workloads = make_async(client, base_url)
            try:
                step = _async_step(workloads, workload)
                await step(warm_up)
                with cost:
                    return await step(size)
            finally:
                await workloads.close()

        items = asyncio.run(run())
    return {"items": items, "cpu_s": cost.cpu, "wall_s": cost.wall}


def _measure_memory(client: str, base_url: str, scale: float) -> dict[str, Any]:
    """Peak memory while iterating a listing of each of MEMORY_SIZES items."""
    sizes = [max(int(n * scale), PER_PAGE) for n in MEMORY_SIZES]
    peaks = [PeakMemory() for _ in sizes]
    if client == "cfaccounts-sync":
        sync_workloads = make_sync(base_url)
        try:
            sum(1 for _ in sync_workloads.members(PER_PAGE))
            for size, peak in zip(sizes, peaks, strict=True):
                with peak:
                    sum(1 for _ in sync_workloads.members(size))
        finally:
            sync_workloads.close()
    else:

        async def run() -> None:
            workloads = make_async(client, base_url)
            try:
                await _count(workloads.members(PER_PAGE))
                for size, peak in zip(sizes, peaks, strict=True):
                    with peak:
                        await _count(workloads.members(size))
            finally:
                await workloads.close()

        asyncio.run(run())
    return {"items": sizes, "peak_kib": [peak.kib for peak in peaks]}


def main() -> None:
    parser = argparse.ArgumentParser(description="Run one benchmark workload; print JSON.")
    parser.add_argument("client", choices=["raw", "cfaccounts", "cfaccounts-sync", "cloudflare"])
    parser.add_argument("workload", choices=[*SIZES, "memory"])
    parser.add_argument("base_url")
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    print(json.dumps(measure(args.client, args.workload, args.base_url, args.scale)))


if __name__ == "__main__":
    main()
