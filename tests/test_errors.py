"""Every failure is a typed exception with status, Cloudflare codes and cf-ray."""

from __future__ import annotations

import pytest

from cfaccounts import (
    APIResponseValidationError,
    APIStatusError,
    AsyncCloudflare,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    UnprocessableEntityError,
)

from .conftest import ACCOUNT_ID
from .server import RecordingServer, Reply

PATH = "/accounts/{account_id}"


def cf_error(code: int, message: str) -> dict[str, object]:
    return {
        "success": False,
        "errors": [{"code": code, "message": message}],
        "messages": [],
        "result": None,
    }


@pytest.mark.parametrize(
    ("status", "error_class"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, ConflictError),
        (422, UnprocessableEntityError),
        (418, APIStatusError),
    ],
)
async def test_error_status_raises_its_class_with_codes_and_ray(
    status: int, error_class: type[APIStatusError], server: RecordingServer, local: AsyncCloudflare
) -> None:
    server.reply_json(
        "GET", PATH, cf_error(9109, "Unauthorized to access requested resource"), status=status
    )
    with pytest.raises(error_class) as caught:
        await local.accounts.get(account_id=ACCOUNT_ID)
    error = caught.value
    assert type(error) is error_class
    assert error.status_code == status
    assert [(e.code, e.message) for e in error.errors] == [
        (9109, "Unauthorized to access requested resource")
    ]
    assert error.ray_id == "ray-1"
    assert error.method == "GET" and error.url.endswith(f"/accounts/{ACCOUNT_ID}")
    assert "[9109] Unauthorized to access requested resource" in str(error)
    assert "cf-ray ray-1" in str(error)
    assert len(server.requests) == 1


async def test_success_false_on_http_200_raises(
    server: RecordingServer, local: AsyncCloudflare
) -> None:
    server.reply_json("GET", PATH, cf_error(1003, "Invalid or missing account"))
    with pytest.raises(APIStatusError) as caught:
        await local.accounts.get(account_id=ACCOUNT_ID)
    assert caught.value.status_code == 200
    assert caught.value.errors[0].code == 1003
    assert "[1003] Invalid or missing account" in str(caught.value)


async def test_success_false_without_errors_still_raises(
    server: RecordingServer, local: AsyncCloudflare
) -> None:
    server.reply_json("GET", PATH, {"success": False, "result": None})
    with pytest.raises(APIStatusError, match="success is false") as caught:
        await local.accounts.get(account_id=ACCOUNT_ID)
    assert caught.value.errors == []


async def test_html_502_is_an_internal_server_error_with_the_page_title(
    server: RecordingServer, local: AsyncCloudflare
) -> None:
    page = b"<html><head><title>502 Bad Gateway</title></head><body>" + b"x" * 5000 + b"</body>"
    server.add("DELETE", PATH, Reply(status=502, body=page, headers={"Content-Type": "text/html"}))
    with pytest.raises(InternalServerError) as caught:
        await local.accounts.delete(account_id=ACCOUNT_ID)
    error = caught.value
    assert error.status_code == 502 and error.errors == []
    assert "502 Bad Gateway" in str(error)
    assert len(str(error)) < 400


async def test_error_status_without_body(server: RecordingServer, local: AsyncCloudflare) -> None:
    server.add("POST", "/accounts", Reply(status=400, body=b""))
    with pytest.raises(BadRequestError, match="body is empty"):
        await local.accounts.create(name="x")


async def test_json_error_without_errors_key(
    server: RecordingServer, local: AsyncCloudflare
) -> None:
    server.reply_json("POST", "/accounts", {"message": "nope"}, status=400)
    with pytest.raises(BadRequestError) as caught:
        await local.accounts.create(name="x")
    assert caught.value.errors == []


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b'{"success": true, "result": {"id": "a", "na', "not JSON"),
        (b"<html><title>Maintenance</title></html>", "not JSON: 'Maintenance'"),
        (b"", "empty"),
        (b"[1, 2]", "not a Cloudflare envelope"),
    ],
)
async def test_unusable_success_body_is_a_validation_error(
    body: bytes, problem: str, server: RecordingServer, local: AsyncCloudflare
) -> None:
    server.add("GET", PATH, Reply(status=200, body=body))
    with pytest.raises(APIResponseValidationError, match=problem) as caught:
        await local.accounts.get(account_id=ACCOUNT_ID)
    assert caught.value.status_code == 200
    assert caught.value.ray_id == "ray-1"
    assert len(server.requests) == 1


async def test_result_of_the_wrong_shape_is_a_validation_error(
    server: RecordingServer, local: AsyncCloudflare
) -> None:
    server.reply_json("GET", PATH, {"success": True, "result": {"name": "missing id and type"}})
    with pytest.raises(APIResponseValidationError, match="documented shape"):
        await local.accounts.get(account_id=ACCOUNT_ID)
    server.reply_json("GET", "/accounts", {"success": True, "result": {"not": "a list"}})
    with pytest.raises(APIResponseValidationError, match="expected a list"):
        await local.accounts.list()


async def test_rate_limit_error_carries_retry_after(
    server: RecordingServer, waits: list[float]
) -> None:
    server.add(
        "GET",
        PATH,
        Reply(status=429, json=cf_error(971, "Please wait"), headers={"Retry-After": "120"}),
    )
    async with AsyncCloudflare(api_token="t", base_url=server.base_url) as client:
        with pytest.raises(RateLimitError) as caught:
            await client.accounts.get(account_id=ACCOUNT_ID)
    assert caught.value.retry_after == 120
    # More than 60 s is not waited out: the caller decides.
    assert waits == [] and len(server.requests) == 1
