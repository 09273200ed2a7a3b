"""``with_raw_response`` on every call of every namespace, async and sync.

Each of the reference's 26 examples is called through
``client.accounts.<namespace>.with_raw_response.<call>`` and through
``client.accounts.with_raw_response.<namespace>.<call>``, against a loopback
server answering the reference's response: the status, headers, request,
elapsed time, and ``parse()`` giving what the plain call gives.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any, assert_type

import pytest

from cfaccounts import (
    APIResponse,
    AsyncAPIResponse,
    AsyncCloudflare,
    AsyncV4PagePaginationArray,
    BasePage,
    Cloudflare,
    NotFoundError,
    SyncPage,
)
from cfaccounts.models import Account, TokenValue

from .conftest import EXAMPLES, TOKEN
from .server import BASE_PATH, RecordingServer
from .test_reference_examples import serve_reference
from .test_sync import ServerThread

CALL = re.compile(r"client\.accounts\.([\w.]+)\((.*?)\)\n", re.DOTALL)


def call_of(entry: dict[str, Any]) -> tuple[list[str], str]:
    """The attribute path below ``client.accounts`` and the argument text of the example."""
    found = CALL.search(entry["example"])
    assert found is not None
    return found.group(1).split("."), found.group(2)


def arguments(text: str) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """The positional and keyword arguments written in ``text``."""
    collect = "(lambda *a, **k: (a, k))"
    parsed: tuple[tuple[Any, ...], dict[str, Any]] = eval(f"{collect}({text})", {"date": date})  # noqa: S307 - the reference's own examples
    return parsed


@pytest.fixture
def threaded_server() -> Iterator[RecordingServer]:
    running = ServerThread()
    yield running.server
    running.stop()


def raw_view(accounts: Any, path: list[str], *, from_root: bool) -> Any:
    """``accounts.<ns>.with_raw_response.<call>``, or ``accounts.with_raw_response.<ns>.<call>``."""
    *namespaces, call = path
    target = accounts.with_raw_response if from_root else accounts
    for name in namespaces:
        target = getattr(target, name)
    if not from_root:
        target = target.with_raw_response
    return getattr(target, call)


def plain_call(accounts: Any, path: list[str]) -> Any:
    target = accounts
    for name in path:
        target = getattr(target, name)
    return target


def same_result(parsed: Any, plain: Any) -> None:
    if isinstance(plain, BasePage | SyncPage):
        assert type(parsed) is type(plain)
        assert parsed.result == plain.result
    else:
        assert parsed == plain


def check_response(response: Any, entry: dict[str, Any], server: RecordingServer) -> None:
    request = server.requests[-1]
    assert response.status_code == 200
    assert response.headers["cf-ray"] == f"ray-{len(server.requests)}"
    assert response.method == response.http_request.method == entry["method"]
    assert response.url.path == request.path
    assert str(response.url) == str(response.http_request.url)
    assert isinstance(response.elapsed, timedelta)
    assert response.elapsed >= timedelta(0)
    assert response.json()["success"] is True
    assert TOKEN not in repr(response)


@pytest.mark.parametrize("from_root", [False, True], ids=["namespace", "root"])
@pytest.mark.parametrize("entry", EXAMPLES, ids=[e["call"] for e in EXAMPLES])
async def test_every_async_call_with_raw_response(
    entry: dict[str, Any], from_root: bool, server: RecordingServer, local: AsyncCloudflare
) -> None:
    serve_reference(server)
    path, text = call_of(entry)
    args, kwargs = arguments(text)

    response = await raw_view(local.accounts, path, from_root=from_root)(*args, **kwargs)

    assert isinstance(response, AsyncAPIResponse)
    check_response(response, entry, server)
    plain = plain_call(local.accounts, path)(*args, **kwargs)
    plain = await plain
    same_result(await response.parse(), plain)
    assert server.requests[-1].path == server.requests[-2].path
    assert server.requests[-1].body == server.requests[-2].body


@pytest.mark.parametrize("from_root", [False, True], ids=["namespace", "root"])
@pytest.mark.parametrize("entry", EXAMPLES, ids=[e["call"] for e in EXAMPLES])
def test_every_sync_call_with_raw_response(
    entry: dict[str, Any], from_root: bool, threaded_server: RecordingServer
) -> None:
    server = threaded_server
    serve_reference(server)
    path, text = call_of(entry)
    args, kwargs = arguments(text)
    with Cloudflare(api_token=TOKEN, base_url=server.base_url) as client:
        response = raw_view(client.accounts, path, from_root=from_root)(*args, **kwargs)

        assert isinstance(response, APIResponse)
        check_response(response, entry, server)
        plain = plain_call(client.accounts, path)(*args, **kwargs)
        same_result(response.parse(), plain)


async def test_a_raw_listing_pages_on_like_a_plain_one(
    server: RecordingServer, local: AsyncCloudflare
) -> None:
    page = {"page": 1, "per_page": 1, "total_pages": 2}
    server.reply_json(
        "GET",
        "/accounts",
        {
            "success": True,
            "result": [{"id": "a", "name": "A", "type": "standard"}],
            "result_info": page,
        },
        {
            "success": True,
            "result": [{"id": "b", "name": "B", "type": "standard"}],
            "result_info": {**page, "page": 2},
        },
    )
    response = await local.accounts.with_raw_response.list(per_page=1)
    assert_type(response, AsyncAPIResponse[AsyncV4PagePaginationArray[Account]])
    first = await response.parse()
    assert [account.id async for account in first] == ["a", "b"]
    assert await response.parse() is first  # parsed once


async def test_errors_raise_as_from_the_plain_call(
    server: RecordingServer, local: AsyncCloudflare
) -> None:
    with pytest.raises(NotFoundError):
        await local.accounts.with_raw_response.get(account_id="missing")
    with pytest.raises(ValueError, match="account_id"):
        await local.accounts.with_raw_response.get(account_id="")
    with pytest.raises(TypeError):
        local.accounts.members.with_raw_response.list(account_id=1)  # type: ignore[arg-type,unused-coroutine]
    assert [r.path for r in server.requests] == [f"{BASE_PATH}/accounts/missing"]


def test_sync_raw_responses_are_typed(threaded_server: RecordingServer) -> None:
    serve_reference(threaded_server)
    with Cloudflare(api_token=TOKEN, base_url=threaded_server.base_url) as client:
        listed = client.accounts.with_raw_response.list()
        assert_type(listed, APIResponse[SyncPage[Account]])
        rolled = client.accounts.tokens.value.with_raw_response.update("t", account_id="a")
        assert_type(rolled, APIResponse[TokenValue])
        assert isinstance(rolled.parse(), TokenValue)
        assert rolled.parse() not in repr(rolled)
