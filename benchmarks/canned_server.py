"""A loopback API that answers from canned bytes, for measuring clients alone.

Run by ``compare.py`` in its own process (``python benchmarks/canned_server.py``
prints its base URL, then serves until killed). Bodies are built once at start
from sandbox-seeded records, so they have the real shape (members with roles
and permissions, full audit-log entries) and the server does almost no work
per request. The account id says how long a listing is: ``acct2500`` lists
2,500 members or audit entries.

- ``GET /accounts/{id}/members/{member_id}``: one member;
- ``GET /accounts/{id}/members?page&per_page``: page-number listing, with the
  ``result_info`` the API sends (``page``, ``per_page``, ``count``,
  ``total_count``, ``total_pages``);
- ``GET /accounts/{id}/logs/audit?cursor&limit``: cursor listing. The next
  position is sent both as ``result_info.cursor`` (what the API sends) and
  ``result_info.cursors.after`` (the older form, the only one the official
  SDK follows), so every client can walk the whole listing.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
from typing import Any

from aiohttp import web

from cfaccounts.testing import Sandbox

_HEADERS = {"Content-Type": "application/json", "cf-ray": "8f1e2d3c4b5a6978-LHR"}


def _envelope(result: bytes, result_info: dict[str, Any] | None = None) -> bytes:
    info = b"" if result_info is None else b',"result_info":' + json.dumps(result_info).encode()
    return b'{"success":true,"errors":[],"messages":[],"result":' + result + info + b"}"


class CannedAPI:
    """Pre-encoded records, sliced into pages per request."""

    def __init__(self) -> None:
        record = next(
            iter(Sandbox(seed="bench", accounts=1, members_per_account=50).store.accounts.values())
        )
        members = list(record.members.values())
        # A member granted access by roles (what bare_member in structuring.py builds).
        self.member = json.dumps(next(m for m in members[1:] if m["roles"])).encode()
        # Two pages' worth of distinct ids: consecutive pages never repeat,
        # as a listing that makes progress does not.
        self.members = [
            json.dumps({**member, "id": f"{position:032x}"}).encode()
            for position, member in zip(range(100), itertools.cycle(members), strict=False)
        ]
        entries = record.audit or [{}]
        self.entries = [
            json.dumps({**entry, "id": f"{position:032x}"}).encode()
            for position, entry in zip(range(100), itertools.cycle(entries), strict=False)
        ]

    @staticmethod
    def _listing_length(request: web.Request) -> int:
        return int(request.match_info["account_id"].removeprefix("acct") or 0)

    @staticmethod
    def _items(pool: list[bytes], start: int, count: int) -> bytes:
        chosen = (pool[(start + offset) % len(pool)] for offset in range(count))
        return b"[" + b",".join(chosen) + b"]"

    async def get_member(self, request: web.Request) -> web.Response:
        return web.Response(body=_envelope(self.member), headers=_HEADERS)

    async def list_members(self, request: web.Request) -> web.Response:
        total = self._listing_length(request)
        page = int(request.query.get("page", 1))
        per_page = min(int(request.query.get("per_page", 20)), 50)
        start = (page - 1) * per_page
        count = max(min(per_page, total - start), 0)
        info = {
            "page": page,
            "per_page": per_page,
            "count": count,
            "total_count": total,
            "total_pages": -(-total // per_page),
        }
        body = _envelope(self._items(self.members, start, count), info)
        return web.Response(body=body, headers=_HEADERS)

    async def list_audit_logs(self, request: web.Request) -> web.Response:
        total = self._listing_length(request)
        start = int(request.query.get("cursor") or 0)
        count = max(min(int(request.query.get("limit", 100)), total - start), 0)
        info: dict[str, Any] = {"count": count}
        if start + count < total:
            info["cursor"] = str(start + count)
            info["cursors"] = {"after": str(start + count)}
        body = _envelope(self._items(self.entries, start, count), info)
        return web.Response(body=body, headers=_HEADERS)


def make_app() -> web.Application:
    api = CannedAPI()
    app = web.Application()
    app.router.add_get("/client/v4/accounts/{account_id}/members/{member_id}", api.get_member)
    app.router.add_get("/client/v4/accounts/{account_id}/members", api.list_members)
    app.router.add_get("/client/v4/accounts/{account_id}/logs/audit", api.list_audit_logs)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    port = parser.parse_args().port

    async def serve() -> None:
        runner = web.AppRunner(make_app(), access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port, backlog=1024).start()
        # The port is only known once bound: the parent process reads this line.
        print(f"http://127.0.0.1:{runner.addresses[0][1]}/client/v4", flush=True)
        await asyncio.Event().wait()

    asyncio.run(serve())


if __name__ == "__main__":
    main()
