"""No credential or token secret in logs, reprs or error strings."""

from __future__ import annotations

import logging

import pytest

from cfaccounts import APIResponseValidationError, APIStatusError, AsyncCloudflare
from cfaccounts._logging import configure_from_env, logger

from .conftest import ACCOUNT_ID, API_KEY, EMAIL, ROLLED, TOKEN, reference
from .server import RecordingServer, Reply


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
