"""Pagination ends exactly where result_info says, with no extra request."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from cfaccounts import APIResponseValidationError, AsyncCloudflare

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


def stuck(answered_page: Callable[[int], int], same_items: bool) -> Callable[[Recorded], Reply]:
    """A server whose result_info.page does not advance as asked."""

    def reply(request: Recorded) -> Reply:
        asked = int(dict(request.query).get("page", "1"))
        first = 0 if same_items else (asked - 1) * 2
        items = [member(first), member(first + 1)]
        info = {"page": answered_page(asked), "per_page": 2, "total_pages": 3}
        return Reply(json=envelope(items, info))

    return reply


@pytest.mark.parametrize(
    ("answered_page", "same_items"),
    [
        (lambda asked: 1, True),  # always page 1, the same items
        (lambda asked: 1, False),  # always says page 1
        (lambda asked: max(asked - 1, 1), False),  # one less than asked
        (lambda asked: asked, True),  # says the right page, repeats the items
    ],
    ids=["page-1-same-items", "page-1", "one-less", "same-items"],
)
async def test_a_listing_that_makes_no_progress_raises_instead_of_looping(
    answered_page: Callable[[int], int],
    same_items: bool,
    server: RecordingServer,
    local: AsyncCloudflare,
) -> None:
    server.add("GET", MEMBERS, stuck(answered_page, same_items))
    seen: list[str] = []

    async def listing() -> None:
        async for item in local.accounts.members.list(account_id=ACCOUNT_ID, per_page=2):
            seen.append(str(item.id))

    # (Bounded: before the fix, this listing never ended.)
    async with asyncio.timeout(10):
        with pytest.raises(APIResponseValidationError, match="makes no progress"):
            await listing()
    assert len(seen) == len(set(seen)) == 2  # the first page, once
    asked = [dict(r.query).get("page", "1") for r in server.requests]
    assert asked == ["1", "2"]


async def test_the_next_page_is_the_page_asked_for_plus_one(
    server: RecordingServer, local: AsyncCloudflare
) -> None:
    # A server that omits result_info.page still gets pages 1, 2, 3 asked for.
    def reply(request: Recorded) -> Reply:
        asked = int(dict(request.query).get("page", "1"))
        items = [member(asked * 2), member(asked * 2 + 1)]
        return Reply(json=envelope(items, {"per_page": 2, "total_pages": 3}))

    server.add("GET", MEMBERS, reply)
    ids = [m.id async for m in local.accounts.members.list(account_id=ACCOUNT_ID, per_page=2)]
    assert ids == ["m2", "m3", "m4", "m5", "m6", "m7"]
    assert [dict(r.query).get("page", "1") for r in server.requests] == ["1", "2", "3"]
