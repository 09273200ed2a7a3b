"""No credential or token secret in logs, reprs or error strings."""

from __future__ import annotations

import logging
import traceback

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cfaccounts import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    AsyncCloudflare,
    Cloudflare,
    CloudflareError,
    NotFoundError,
)
from cfaccounts._logging import configure_from_env, logger
from cfaccounts._response import Envelope, RawResponse, decode_response
from cfaccounts._secrets import Redactor

from .conftest import ACCOUNT_ID, API_KEY, EMAIL, ROLLED, TOKEN, reference
from .server import RecordingServer, Reply
from .test_sync import ServerThread


async def test_logs_name_method_url_status_ray_and_retries_never_secrets(
    server: RecordingServer, caplog: pytest.LogCaptureFixture, waits: list[float]
) -> None:
    server.add(
        "GET",
        "/accounts/{account_id}",
        Reply(status=503, json={"success": False}),
        Reply(json=reference("accounts.get")["response"]),
    )
    server.reply_json(
        "PUT",
        "/accounts/{account_id}/tokens/{token_id}/value",
        reference("accounts.tokens.value.update")["response"],
    )
    server.add(
        "GET",
        "/accounts",
        Reply(
            status=403,
            json={"success": False, "errors": [{"code": 9109, "message": f"bad token {TOKEN}"}]},
        ),
    )
    caplog.set_level(logging.DEBUG, logger="cfaccounts")
    async with AsyncCloudflare(api_token=TOKEN, base_url=server.base_url) as client:
        await client.accounts.get(account_id=ACCOUNT_ID)
        value = await client.accounts.tokens.value.update("t1", account_id=ACCOUNT_ID, body={})
        with pytest.raises(APIStatusError) as caught:
            await client.accounts.list()
        texts = [repr(client), repr(value), str(caught.value), repr(caught.value)]
    messages = [record.getMessage() for record in caplog.records]
    assert any("retrying in" in m and "503" in m for m in messages)
    assert any(
        f"GET {server.base_url}/accounts/{ACCOUNT_ID} -> 200" in m and "cf-ray ray-2" in m
        for m in messages
    )
    for text in messages + texts:
        assert TOKEN not in text
        assert ROLLED not in text
    assert "****" in str(caught.value)
    assert "credential=api_token" in repr(client)


def test_key_client_repr_shows_kind_only() -> None:
    client = AsyncCloudflare(api_key=API_KEY, api_email=EMAIL)
    assert "api_key" in repr(client)
    assert API_KEY not in repr(client) and API_KEY not in repr(client._credentials)


def test_cloudflare_log_env_turns_logging_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOUDFLARE_LOG", "info")
    monkeypatch.setattr(logger, "handlers", [])
    monkeypatch.setattr(logger, "level", logging.NOTSET)
    configure_from_env()
    assert logger.level == logging.INFO
    assert len(logger.handlers) == 1


@pytest.mark.parametrize(
    "body",
    [b'{"success": true, "result": "SENTINEL-rolled-value-000111222333', b"SENTINEL-rolled-value"],
    ids=["truncated", "not-json"],
)
async def test_a_malformed_answer_that_holds_a_secret_is_not_quoted(
    body: bytes, server: RecordingServer
) -> None:
    server.add("PUT", "/accounts/{account_id}/tokens/{token_id}/value", Reply(body=body))
    server.add("GET", "/accounts/{account_id}", Reply(body=body))
    async with AsyncCloudflare(api_token=TOKEN, base_url=server.base_url) as client:
        with pytest.raises(APIResponseValidationError, match="not quoted") as withheld:
            await client.accounts.tokens.value.update("t1", account_id=ACCOUNT_ID, body={})
        assert "SENTINEL" not in str(withheld.value) + repr(vars(withheld.value))
        # Any other call's malformed body is quoted, which helps debugging.
        with pytest.raises(APIResponseValidationError, match="SENTINEL-rolled-value"):
            await client.accounts.get(account_id=ACCOUNT_ID)


#: A caller's own header secret (a Cloudflare Access service token, say).
ACCESS_SECRET = "access-secret-9f8e7d6c5b4a"
# Module constants, not locals: the guard renders this file's frames too.
SECRETS = (TOKEN, API_KEY, ROLLED, ACCESS_SECRET)

CREDENTIALS = {
    "api_token": {"api_token": TOKEN},
    "api_key": {"api_key": API_KEY, "api_email": EMAIL},
    "user_service_key": {"user_service_key": API_KEY},
}


async def _failing_calls(client: AsyncCloudflare) -> list[BaseException]:
    """One failure of each kind: an error status, a roll whose answer has the
    wrong shape, a dropped connection, a timeout, a refused connection."""
    failures: list[BaseException] = []
    for call in (
        client.accounts.get(account_id=ACCOUNT_ID, extra_headers={"X-Access": ACCESS_SECRET}),
        client.accounts.tokens.value.update("t1", account_id=ACCOUNT_ID, body={}),
        client.accounts.members.get("dropped", account_id=ACCOUNT_ID),
        client.accounts.members.get("slow", account_id=ACCOUNT_ID, timeout=0.05),
    ):
        with pytest.raises(CloudflareError) as caught:
            await call
        failures.append(caught.value)
    return failures


@pytest.mark.parametrize("kind", list(CREDENTIALS))
async def test_a_failing_call_rendered_with_its_locals_shows_no_secret(
    kind: str, server: RecordingServer, waits: list[float]
) -> None:
    # What pytest -l, traceback.TracebackException(capture_locals=True) and
    # Sentry's frame variables show: the locals of every frame, Core.send's
    # request, the transport's and aiohttp's headers included.
    server.add("GET", "/accounts/{account_id}", Reply(status=404, json={"success": False}))
    server.reply_json(
        "PUT", "/accounts/{account_id}/tokens/{token_id}/value", {"result": {"v": ROLLED}}
    )
    server.add("GET", "/accounts/{account_id}/members/dropped", Reply(drop=True))
    server.add("GET", "/accounts/{account_id}/members/slow", Reply(delay=1, json={}))
    async with AsyncCloudflare(
        **CREDENTIALS[kind],  # type: ignore[arg-type]
        base_url=server.base_url,
        default_headers={"CF-Access-Client-Secret": ACCESS_SECRET},
        max_retries=0,
    ) as client:
        failures = await _failing_calls(client)
    async with AsyncCloudflare(
        **CREDENTIALS[kind],  # type: ignore[arg-type]
        base_url="http://127.0.0.1:9/client/v4",
        max_retries=0,
    ) as refused:
        with pytest.raises(APIConnectionError) as caught:
            await refused.accounts.get(account_id=ACCOUNT_ID)
    failures.append(caught.value)
    for failure in failures:
        rendered = "".join(
            traceback.TracebackException.from_exception(failure, capture_locals=True).format()
        )
        # The locals were rendered: Core.send's request, with its headers.
        assert "request = Request(method=" in rendered
        assert "'****'" in rendered
        assert not any(secret in rendered for secret in SECRETS)


def test_reprs_of_the_sdk_objects_a_frame_holds_show_no_secret() -> None:
    client = AsyncCloudflare(api_key=API_KEY, api_email=EMAIL)
    core = client._core
    request = core.builder.build(
        client.accounts.tokens.value.update.__wrapped__.__globals__["_ROLL"],  # type: ignore[attr-defined]
        {"account_id": ACCOUNT_ID, "token_id": "t1"},
        {"extra_headers": {"Authorization": f"Bearer {TOKEN}"}},
        body={},
    )
    shown = [
        repr(client),
        repr(core.builder),
        repr(core.credentials),
        repr(core.transport),
        repr(request),
        repr(RawResponse(200, "OK", {}, ROLLED.encode())),
        repr(Envelope(ROLLED, None, 200, "ray", RawResponse(200, "OK", {}, ROLLED.encode()))),
    ]
    for text in shown:
        assert API_KEY not in text and TOKEN not in text and ROLLED not in text
    assert "'X-Auth-Key': '****'" in repr(request)


@settings(max_examples=300, deadline=None)
@given(
    before=st.integers(0, 400),
    filler=st.sampled_from(["x", " ", "é", "<p>"]),
    status=st.sampled_from([200, 403, 502]),
)
def test_an_error_snippet_is_redacted_before_it_is_cut(
    before: int, filler: str, status: int
) -> None:
    # A secret anywhere in the body, straddling any cut: not one piece of it
    # longer than 3 characters in the message.
    with pytest.raises(CloudflareError) as caught:
        decode_response(
            _answer_holding(TOKEN, before * filler, status),
            method="GET",
            url="u",
            redact=Redactor([TOKEN]),
        )
    message = str(caught.value)
    assert not any(TOKEN[i : i + 4] in message for i in range(len(TOKEN) - 3)), message


def _answer_holding(secret: str, before: str, status: int) -> RawResponse:
    # Built here: a test's local holding the secret would trip the guard.
    return RawResponse(status, "", {}, f"{before}value={secret}{'x' * 400}".encode())


def test_the_start_of_a_secret_left_at_a_cut_is_masked() -> None:
    redact = Redactor([TOKEN])
    assert redact.excerpt("x" * 10 + TOKEN[:25], 20) == "x" * 10 + "****…"
    assert redact.excerpt("x" * 30, 20) == "x" * 19 + "…"
    assert redact.excerpt(f"a {TOKEN} b", 200) == "a **** b"


def test_a_failing_sync_call_rendered_with_its_locals_shows_no_secret() -> None:
    running = ServerThread()
    server = running.server
    server.add("GET", "/accounts/{account_id}", Reply(status=404, json={"success": False}))
    try:
        with (
            Cloudflare(api_token=TOKEN, base_url=server.base_url) as client,
            pytest.raises(NotFoundError) as caught,
        ):
            client.accounts.get(account_id=ACCOUNT_ID, extra_headers={"X-A": ACCESS_SECRET})
    finally:
        running.stop()
    rendered = "".join(
        traceback.TracebackException.from_exception(caught.value, capture_locals=True).format()
    )
    assert "kwargs = {" in rendered  # the sync wrapper's frame, with its locals
    assert not any(secret in rendered for secret in SECRETS)
