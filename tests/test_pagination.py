"""Pagination ends exactly where result_info says, with no extra request."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from cfaccounts import AsyncCloudflare

from .conftest import ACCOUNT_ID
from .server import Recorded, RecordingServer, Reply, envelope

MEMBERS = "/accounts/{account_id}/members"
AUDIT = "/accounts/{account_id}/logs/audit"


def member(n: int) -> dict[str, Any]:
    return {"id": f"m{n}", "email": f"m{n}@example.com", "status": "accepted"}


def paged(
    total_pages: int | None, per_page: int, pages: list[int], total_count: int | None = None
) -> Callable[[Recorded], Reply]:
    def reply(request: Recorded) -> Reply:
        page = int(dict(request.query).get("page", "1"))
        items = [
            member(i) for i in range((page - 1) * per_page, (page - 1) * per_page + pages[page - 1])
        ]
        info: dict[str, Any] = {"page": page, "per_page": per_page, "count": len(items)}
        if total_pages is not None:
            info["total_pages"] = total_pages
        if total_count is not None:
            info["total_count"] = total_count
        return Reply(json=envelope(items, info))

    return reply


async def test_three_pages_with_total_pages_make_exactly_three_requests(
    server: RecordingServer, local: AsyncCloudflare
) -> None:
    server.add("GET", MEMBERS, paged(total_pages=3, per_page=2, pages=[2, 2, 2]))
    ids = [m.id async for m in local.accounts.members.list(account_id=ACCOUNT_ID, per_page=2)]
    assert ids == ["m0", "m1", "m2", "m3", "m4", "m5"]
    assert [dict(r.query) for r in server.requests] == [
        {"per_page": "2"},
        {"per_page": "2", "page": "2"},
        {"per_page": "2", "page": "3"},
    ]


async def test_short_page_ends_listing_without_totals(
    server: RecordingServer, local: AsyncCloudflare
) -> None:
    server.add("GET", MEMBERS, paged(total_pages=None, per_page=3, pages=[3, 1]))
    ids = [m.id async for m in local.accounts.members.list(account_id=ACCOUNT_ID)]
    assert len(ids) == 4 and len(server.requests) == 2


async def test_total_count_ends_listing(server: RecordingServer, local: AsyncCloudflare) -> None:
    server.add("GET", MEMBERS, paged(total_pages=None, per_page=2, pages=[2, 2], total_count=4))
    ids = [m.id async for m in local.accounts.members.list(account_id=ACCOUNT_ID)]
    assert len(ids) == 4 and len(server.requests) == 2


async def test_empty_page_ends_listing(server: RecordingServer, local: AsyncCloudflare) -> None:
    server.add(
        "GET", MEMBERS, Reply(json=envelope([member(0), member(1)])), Reply(json=envelope([]))
    )
    ids = [m.id async for m in local.accounts.members.list(account_id=ACCOUNT_ID)]
    assert ids == ["m0", "m1"] and len(server.requests) == 2


async def test_await_gives_first_page_with_navigation(
    server: RecordingServer, local: AsyncCloudflare
) -> None:
    server.add("GET", MEMBERS, paged(total_pages=2, per_page=2, pages=[2, 1]))
    first = await local.accounts.members.list(account_id=ACCOUNT_ID, per_page=2)
    assert [m.id for m in first.result] == ["m0", "m1"]
    assert first.has_next_page()
    second = await first.get_next_page()
    assert [m.id for m in second.result] == ["m2"] and not second.has_next_page()
    with pytest.raises(StopAsyncIteration):
        await second.get_next_page()
    pages = [p async for p in first.iter_pages()]
    assert [len(p.result) for p in pages] == [2, 1]
    assert len(server.requests) == 3


def cursor_pages(style: str, cursors: list[str | None]) -> Callable[[Recorded], Reply]:
    def reply(request: Recorded) -> Reply:
        cursor = dict(request.query).get("cursor")
        index = 0 if cursor is None else int(cursor.removeprefix("c"))
        next_cursor = cursors[index]
        info: dict[str, Any] = {"count": "2"}
        if style == "cursor":
            info["cursor"] = next_cursor or ""
        elif next_cursor:
            info["cursors"] = {"after": next_cursor}
        entries = [{"id": f"e{index}-{n}"} for n in range(2)]
        return Reply(json=envelope(entries, info))

    return reply


@pytest.mark.parametrize("style", ["cursor", "cursors.after"])
async def test_cursor_pagination_follows_every_page(
    style: str, server: RecordingServer, local: AsyncCloudflare
) -> None:
    server.add("GET", AUDIT, cursor_pages(style, ["c1", "c2", None]))
    entries = [
        e.id
        async for e in local.accounts.logs.audit.list(
            account_id=ACCOUNT_ID, before="2024-10-31", since="2024-10-30", limit=2
        )
    ]
    assert entries == ["e0-0", "e0-1", "e1-0", "e1-1", "e2-0", "e2-1"]
    assert len(set(entries)) == len(entries)
    assert [dict(r.query).get("cursor") for r in server.requests] == [None, "c1", "c2"]
    assert all(dict(r.query)["limit"] == "2" for r in server.requests)


async def test_repeated_cursor_ends_iteration(
    server: RecordingServer, local: AsyncCloudflare
) -> None:
    server.add("GET", AUDIT, cursor_pages("cursor", ["c1", "c1"]))
    entries = [
        e.id
        async for e in local.accounts.logs.audit.list(
            account_id=ACCOUNT_ID, before="2024-10-31", since="2024-10-30"
        )
    ]
    assert entries == ["e0-0", "e0-1", "e1-0", "e1-1"]
    assert len(server.requests) == 2


async def test_cursor_cycle_ends_iteration(server: RecordingServer, local: AsyncCloudflare) -> None:
    server.add("GET", AUDIT, cursor_pages("cursor", ["c1", "c2", "c1"]))
    pages = await local.accounts.logs.audit.list(
        account_id=ACCOUNT_ID, before="2024-10-31", since="2024-10-30"
    )
    count = len([p async for p in pages.iter_pages()])
    assert count == 3 and len(server.requests) == 3


async def test_list_arguments_are_checked_before_iterating(local: AsyncCloudflare) -> None:
    with pytest.raises(ValueError, match="account_id must not be empty"):
        local.accounts.members.list(account_id="")
