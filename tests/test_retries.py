"""Retry policy: what is retried, how often, how long it waits, and that
nothing that may have reached the server is sent twice unless idempotent."""

from __future__ import annotations

import socket

import aiohttp
import pytest
from aioresponses import aioresponses

from cfaccounts import (
    APIConnectionError,
    APITimeoutError,
    AsyncCloudflare,
    ConflictError,
    InternalServerError,
)
from cfaccounts._response import retry_after

from .conftest import ACCOUNT_ID, BASE, TOKEN, reference
from .server import RecordingServer, Reply

GET_PATH = "/accounts/{account_id}"
OK = reference("accounts.get")["response"]


def unavailable(**headers: str) -> Reply:
    return Reply(
        status=503,
        json={"success": False, "errors": [{"code": 10000, "message": "busy"}]},
        headers=headers,
    )


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
async def test_transient_status_is_retried_for_get(
    status: int, server: RecordingServer, local: AsyncCloudflare, waits: list[float]
) -> None:
    server.add("GET", GET_PATH, Reply(status=status, json={"success": False}), Reply(json=OK))
    account = await local.accounts.get(account_id=ACCOUNT_ID)
    assert account.id == ACCOUNT_ID
    assert len(server.requests) == 2
    assert len(waits) == 1 and 0 <= waits[0] <= 0.5


async def test_gives_up_after_max_retries_with_the_last_error(
    server: RecordingServer, waits: list[float]
) -> None:
    server.add("GET", GET_PATH, unavailable())
    async with AsyncCloudflare(api_token=TOKEN, base_url=server.base_url, max_retries=3) as client:
        with pytest.raises(InternalServerError) as caught:
            await client.accounts.get(account_id=ACCOUNT_ID)
    assert caught.value.attempts == 4
    assert "after 4 attempts" in str(caught.value)
    assert len(server.requests) == 4
    # Full jitter under an exponential ceiling: 0.5, 1, 2 s.
    assert [w <= cap for w, cap in zip(waits, [0.5, 1.0, 2.0], strict=True)] == [True] * 3


async def test_max_retries_zero_sends_once(server: RecordingServer, waits: list[float]) -> None:
    server.add("GET", GET_PATH, unavailable())
    async with AsyncCloudflare(api_token=TOKEN, base_url=server.base_url, max_retries=0) as client:
        with pytest.raises(InternalServerError):
            await client.accounts.get(account_id=ACCOUNT_ID)
    assert len(server.requests) == 1 and waits == []


@pytest.mark.parametrize(
    ("headers", "expected"),
    [({"Retry-After": "7"}, 7.0), ({"retry-after-ms": "1500"}, 1.5), ({"Retry-After": "0"}, 0.0)],
)
async def test_retry_after_is_honoured(
    headers: dict[str, str],
    expected: float,
    server: RecordingServer,
    local: AsyncCloudflare,
    waits: list[float],
) -> None:
    server.add("GET", GET_PATH, unavailable(**headers), Reply(json=OK))
    await local.accounts.get(account_id=ACCOUNT_ID)
    assert waits == [expected]


async def test_retry_after_http_date_is_honoured(
    server: RecordingServer, local: AsyncCloudflare, waits: list[float]
) -> None:
    server.add(
        "GET",
        GET_PATH,
        unavailable(**{"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}),
        Reply(json=OK),
    )
    await local.accounts.get(account_id=ACCOUNT_ID)
    assert waits == [0.0]  # a date in the past: try again at once


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_post_is_never_retried_once_it_reached_the_server(
    status: int, server: RecordingServer, local: AsyncCloudflare, waits: list[float]
) -> None:
    server.add("POST", "/accounts/{account_id}/members", Reply(status=status, json={}))
    with pytest.raises(Exception, match=str(status)):
        await local.accounts.members.create(
            account_id=ACCOUNT_ID, email="a@example.com", roles=["r"]
        )
    assert len(server.requests) == 1 and waits == []


async def test_post_refused_with_429_waits_and_is_sent_again(
    server: RecordingServer, local: AsyncCloudflare, waits: list[float]
) -> None:
    # A 429 is a refusal: nothing was created, so sending it again is safe.
    server.add(
        "POST",
        "/accounts/{account_id}/members",
        Reply(status=429, json={}, headers={"Retry-After": "3"}),
        Reply(json=reference("accounts.members.create")["response"]),
    )
    await local.accounts.members.create(account_id=ACCOUNT_ID, email="a@example.com", roles=["r"])
    assert [r.method for r in server.requests] == ["POST", "POST"]
    assert sum(waits) == pytest.approx(3.0)  # the pause, looked at every 0.5 s


async def test_token_roll_is_never_retried(
    server: RecordingServer, local: AsyncCloudflare, waits: list[float]
) -> None:
    server.add(
        "PUT",
        "/accounts/{account_id}/tokens/{token_id}/value",
        unavailable(),
        Reply(json=reference("accounts.tokens.value.update")["response"]),
    )
    with pytest.raises(InternalServerError):
        await local.accounts.tokens.value.update("tok", account_id=ACCOUNT_ID, body={})
    assert len(server.requests) == 1 and waits == []


async def test_put_and_delete_are_retried(
    server: RecordingServer, local: AsyncCloudflare, waits: list[float]
) -> None:
    server.add(
        "DELETE", GET_PATH, unavailable(), Reply(json=reference("accounts.delete")["response"])
    )
    await local.accounts.delete(account_id=ACCOUNT_ID)
    server.add("PUT", GET_PATH, unavailable(), Reply(json=OK))
    await local.accounts.update(account_id=ACCOUNT_ID, id=ACCOUNT_ID, name="n", type="standard")
    assert [r.method for r in server.requests] == ["DELETE", "DELETE", "PUT", "PUT"]


async def test_conflict_is_not_retried(
    server: RecordingServer, local: AsyncCloudflare, waits: list[float]
) -> None:
    server.add("PUT", GET_PATH, Reply(status=409, json={"success": False, "errors": []}))
    with pytest.raises(ConflictError):
        await local.accounts.update(account_id=ACCOUNT_ID, id=ACCOUNT_ID, name="n", type="standard")
    assert len(server.requests) == 1 and waits == []


async def test_dropped_connection_is_retried_for_get_not_for_post(
    server: RecordingServer, local: AsyncCloudflare, waits: list[float]
) -> None:
    server.add("GET", GET_PATH, Reply(drop=True), Reply(json=OK))
    assert (await local.accounts.get(account_id=ACCOUNT_ID)).id == ACCOUNT_ID
    server.add("POST", "/accounts", Reply(drop=True), Reply(json=OK))
    with pytest.raises(APIConnectionError) as caught:
        await local.accounts.create(name="x")
    assert caught.value.reached_server is True
    assert [r.method for r in server.requests] == ["GET", "GET", "POST"]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_connection_refused_retries_even_a_post(waits: list[float]) -> None:
    base = f"http://127.0.0.1:{_closed_port()}/client/v4"
    async with AsyncCloudflare(api_token=TOKEN, base_url=base) as client:
        with pytest.raises(APIConnectionError) as caught:
            await client.accounts.create(name="x")
    assert caught.value.reached_server is False
    assert caught.value.attempts == 3
    assert len(waits) == 2


async def test_post_retried_when_connection_never_established(
    client: AsyncCloudflare, mocked: aioresponses, waits: list[float]
) -> None:
    refused = aiohttp.ClientConnectorError(
        aiohttp.client_reqrep.ConnectionKey(
            "api.cloudflare.com", 443, True, True, None, None, None
        ),
        OSError(111, "Connection refused"),
    )
    mocked.post(f"{BASE}/accounts", exception=refused)
    mocked.post(f"{BASE}/accounts", payload=reference("accounts.create")["response"])
    account = await client.accounts.create(name="name")
    assert account.id == ACCOUNT_ID
    assert len(waits) == 1


async def test_timeout_raises_api_timeout_error(
    server: RecordingServer, waits: list[float]
) -> None:
    server.add("GET", GET_PATH, Reply(json=OK, delay=0.5))
    async with AsyncCloudflare(api_token=TOKEN, base_url=server.base_url, max_retries=1) as client:
        with pytest.raises(APITimeoutError) as caught:
            await client.accounts.get(account_id=ACCOUNT_ID, timeout=0.05)
    assert caught.value.attempts == 2
    assert len(server.requests) == 2


async def test_timeout_on_post_is_not_retried(server: RecordingServer, waits: list[float]) -> None:
    server.add("POST", "/accounts", Reply(json=OK, delay=0.5))
    async with AsyncCloudflare(api_token=TOKEN, base_url=server.base_url, timeout=0.05) as client:
        with pytest.raises(APITimeoutError):
            await client.accounts.create(name="x")
    assert len(server.requests) == 1 and waits == []


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "nan"}, None),
        ({"Retry-After": "inf"}, None),
        ({"retry-after-ms": "NaN"}, None),
        ({"retry-after-ms": "-inf", "Retry-After": "3"}, 3.0),
        ({"Retry-After": "-2"}, 0.0),
    ],
)
def test_a_retry_after_that_is_not_a_finite_number_counts_as_absent(
    headers: dict[str, str], expected: float | None
) -> None:
    # Waiting out NaN or infinity could never start or never end (an audit
    # adding NaN to what it waited would wait again forever).
    assert retry_after({key.lower(): value for key, value in headers.items()}) == expected
