"""A deadline bounds a whole call; max_retries per call; with_options copies."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from cfaccounts import (
    AsyncCloudflare,
    Cloudflare,
    ConfigurationError,
    DeadlineExceededError,
    InternalServerError,
    RateLimit,
)

from .conftest import ACCOUNT_ID, TOKEN, reference
from .server import RecordingServer, Reply
from .test_sync import ServerThread

ACCOUNT = reference("accounts.get")["response"]
ONE = "/accounts/{account_id}"
UNAVAILABLE = Reply(status=503, json={"success": False}, headers={"Retry-After": "30"})


async def test_the_deadline_bounds_the_wait_for_the_rate_limiter(server: RecordingServer) -> None:
    # timeout=1 is per attempt: the third call used to wait 4 s for the limiter.
    server.reply_json("GET", ONE, ACCOUNT)
    async with AsyncCloudflare(
        api_token=TOKEN,
        base_url=server.base_url,
        rate_limit=RateLimit(2, per=60),
        timeout=1,
        deadline=0.3,
    ) as client:
        for _ in range(2):
            await client.accounts.get(account_id=ACCOUNT_ID)
        started = time.monotonic()
        with pytest.raises(DeadlineExceededError) as caught:
            await client.accounts.get(account_id=ACCOUNT_ID)
    assert time.monotonic() - started < 5
    assert caught.value.waiting_for == "the rate limiter"
    assert "deadline of 0.3 s passed while waiting for the rate limiter" in str(caught.value)
    assert caught.value.reached_server is False
    assert caught.value.deadline == 0.3
    assert len(server.requests) == 2


async def test_the_deadline_bounds_retry_after_waits_and_retries(server: RecordingServer) -> None:
    server.add("GET", ONE, UNAVAILABLE, Reply(json=ACCOUNT))
    async with AsyncCloudflare(api_token=TOKEN, base_url=server.base_url) as client:
        with pytest.raises(DeadlineExceededError, match="a retry after: 503") as caught:
            await client.accounts.get(account_id=ACCOUNT_ID, deadline=0.3)
    assert caught.value.reached_server is True  # the 503 came from the server
    assert caught.value.attempts == 1
    assert len(server.requests) == 1


async def test_the_deadline_bounds_an_attempt_and_timeout_stays_per_attempt(
    server: RecordingServer,
) -> None:
    server.add("GET", ONE, Reply(json=ACCOUNT, delay=2))
    async with AsyncCloudflare(
        api_token=TOKEN, base_url=server.base_url, timeout=10, deadline=0.3
    ) as client:
        with pytest.raises(DeadlineExceededError, match="the response to attempt 1") as caught:
            await client.accounts.get(account_id=ACCOUNT_ID)
        # Per call: a longer deadline, or none, lets the same call finish.
        await client.accounts.get(account_id=ACCOUNT_ID, deadline=None)
    assert caught.value.reached_server is True


@pytest.mark.usefixtures("waits")
async def test_max_retries_per_call(server: RecordingServer) -> None:
    server.add("GET", ONE, Reply(status=503, json={"success": False}))
    async with AsyncCloudflare(api_token=TOKEN, base_url=server.base_url, max_retries=2) as c:
        with pytest.raises(InternalServerError) as once:
            await c.accounts.get(account_id=ACCOUNT_ID, max_retries=0)
        with pytest.raises(InternalServerError) as five:
            await c.accounts.get(account_id=ACCOUNT_ID, max_retries=4)
    assert (once.value.attempts, five.value.attempts) == (1, 5)
    assert len(server.requests) == 6


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"max_retries": -1}, ValueError),
        ({"max_retries": 1.5}, TypeError),
        ({"max_retries": True}, TypeError),
        ({"deadline": 0}, ValueError),
        ({"deadline": float("nan")}, ValueError),
        ({"deadline": float("inf")}, ValueError),
        ({"deadline": "5"}, TypeError),
    ],
)
async def test_bad_per_call_options_are_refused_before_sending(
    options: dict[str, object], error: type[Exception], server: RecordingServer
) -> None:
    async with AsyncCloudflare(api_token=TOKEN, base_url=server.base_url) as client:
        with pytest.raises(error, match=next(iter(options))):
            await client.accounts.get(account_id=ACCOUNT_ID, **options)  # type: ignore[arg-type]
    with pytest.raises((ConfigurationError, error), match=next(iter(options))):
        AsyncCloudflare(api_token=TOKEN, **options)  # type: ignore[arg-type]
    assert server.requests == []


@pytest.mark.usefixtures("waits")
async def test_with_options_copies_defaults_and_shares_the_session(
    server: RecordingServer,
) -> None:
    server.add("GET", ONE, Reply(status=503, json={"success": False}))
    server.add("GET", "/accounts", Reply(json=reference("accounts.list")["response"]))
    async with AsyncCloudflare(api_token=TOKEN, base_url=server.base_url, max_retries=3) as c:
        patient = c.with_options(max_retries=0, deadline=5, default_headers={"X-Team": "a"})
        assert patient.rate_limiter is c.rate_limiter
        assert patient._core.transport is c._core.transport
        assert (patient.max_retries, c.max_retries) == (0, 3)
        with pytest.raises(InternalServerError) as caught:
            await patient.accounts.get(account_id=ACCOUNT_ID)
        await patient.accounts.list()
        await patient.close()  # closes nothing: the original owns the session
        assert not c.closed
        await c.accounts.list()
    assert caught.value.attempts == 1
    assert patient.closed
    assert server.requests[-2].headers["X-Team"] == "a"
    assert "X-Team" not in server.requests[-1].headers
    assert server.requests[-2].headers["Authorization"] == f"Bearer {TOKEN}"


@pytest.fixture
def threaded_server() -> Iterator[RecordingServer]:
    running = ServerThread()
    yield running.server
    running.stop()


def test_with_options_on_the_sync_client(threaded_server: RecordingServer) -> None:
    threaded_server.add("GET", ONE, Reply(json=ACCOUNT, delay=1))
    with Cloudflare(api_token=TOKEN, base_url=threaded_server.base_url) as client:
        hurried = client.with_options(deadline=0.2)
        with pytest.raises(DeadlineExceededError):
            hurried.accounts.get(account_id=ACCOUNT_ID)
        hurried.close()
        assert not client.closed
        assert client.accounts.get(account_id=ACCOUNT_ID).id == ACCOUNT["result"]["id"]
    assert hurried.closed
