"""The five accounts calls: exact wire request and structured result (aioresponses)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from aioresponses import aioresponses
from yarl import URL

from cfaccounts import AsyncCloudflare
from cfaccounts.models import Account, AccountDeleteResponse, ManagedBy, Settings

from .conftest import ACCOUNT_ID, BASE, TOKEN, reference


def only_request(mocked: aioresponses) -> tuple[str, URL, dict[str, Any]]:
    assert len(mocked.requests) == 1
    (method, url), calls = next(iter(mocked.requests.items()))
    assert len(calls) == 1
    return method, url, calls[0].kwargs


def assert_auth(kwargs: dict[str, Any]) -> None:
    assert kwargs["headers"]["Authorization"] == f"Bearer {TOKEN}"
    assert kwargs["headers"]["Accept"] == "application/json"


def assert_demo_account(account: Account) -> None:
    assert account == Account(
        id=ACCOUNT_ID,
        name="Demo Account",
        type="standard",
        created_on=datetime(2014, 3, 1, 12, 21, 2, tzinfo=UTC),
        managed_by=ManagedBy(
            parent_org_id="4536bcfad5faccb111b47003c79917fa",
            parent_org_name="Demo Parent Organization",
        ),
        settings=Settings(abuse_contact_email="abuse_contact_email", enforce_twofactor=True),
    )


async def test_list_sends_get_with_query_and_returns_first_page(
    client: AsyncCloudflare, mocked: aioresponses
) -> None:
    mocked.get(
        f"{BASE}/accounts?direction=desc&name=Demo&page=2&per_page=5",
        payload=reference("accounts.list")["response"],
    )
    page = await client.accounts.list(direction="desc", name="Demo", page=2.0, per_page=5)
    method, url, kwargs = only_request(mocked)
    assert method == "GET"
    assert url.path == "/client/v4/accounts"
    assert list(url.query.items()) == [
        ("direction", "desc"),
        ("name", "Demo"),
        ("page", "2"),
        ("per_page", "5"),
    ]
    assert kwargs["data"] is None
    assert_auth(kwargs)
    assert len(page.result) == 1
    assert_demo_account(page.result[0])
    assert page.result_info is not None
    assert page.result_info.total_count == 2000


async def test_list_without_arguments_sends_no_query(
    client: AsyncCloudflare, mocked: aioresponses
) -> None:
    mocked.get(f"{BASE}/accounts", payload=reference("accounts.list")["response"])
    await client.accounts.list()
    _, url, _ = only_request(mocked)
    assert url.query_string == ""


async def test_get_sends_get_to_account_path(client: AsyncCloudflare, mocked: aioresponses) -> None:
    mocked.get(f"{BASE}/accounts/{ACCOUNT_ID}", payload=reference("accounts.get")["response"])
    account = await client.accounts.get(account_id=ACCOUNT_ID)
    method, url, kwargs = only_request(mocked)
    assert (method, url.path, url.query_string) == ("GET", f"/client/v4/accounts/{ACCOUNT_ID}", "")
    assert_auth(kwargs)
    assert_demo_account(account)


async def test_create_posts_json_body_without_omitted_fields(
    client: AsyncCloudflare, mocked: aioresponses
) -> None:
    mocked.post(f"{BASE}/accounts", payload=reference("accounts.create")["response"])
    account = await client.accounts.create(name="name", unit={"id": "unit-1"})
    method, url, kwargs = only_request(mocked)
    assert (method, url.path) == ("POST", "/client/v4/accounts")
    assert kwargs["data"] == b'{"name":"name","unit":{"id":"unit-1"}}'
    assert kwargs["headers"]["Content-Type"] == "application/json"
    assert_auth(kwargs)
    assert_demo_account(account)


async def test_update_puts_every_given_field(client: AsyncCloudflare, mocked: aioresponses) -> None:
    mocked.put(f"{BASE}/accounts/{ACCOUNT_ID}", payload=reference("accounts.update")["response"])
    account = await client.accounts.update(
        account_id=ACCOUNT_ID,
        id=ACCOUNT_ID,
        name="Demo Account",
        type="standard",
        settings=Settings(enforce_twofactor=True),
    )
    method, url, kwargs = only_request(mocked)
    assert (method, url.path) == ("PUT", f"/client/v4/accounts/{ACCOUNT_ID}")
    assert json.loads(kwargs["data"]) == {
        "id": ACCOUNT_ID,
        "name": "Demo Account",
        "type": "standard",
        "settings": {"enforce_twofactor": True},
    }
    assert_demo_account(account)


async def test_delete_sends_delete_and_returns_the_id(
    client: AsyncCloudflare, mocked: aioresponses
) -> None:
    mocked.delete(f"{BASE}/accounts/{ACCOUNT_ID}", payload=reference("accounts.delete")["response"])
    deleted = await client.accounts.delete(account_id=ACCOUNT_ID)
    method, url, kwargs = only_request(mocked)
    assert (method, url.path) == ("DELETE", f"/client/v4/accounts/{ACCOUNT_ID}")
    assert kwargs["data"] is None
    assert deleted == AccountDeleteResponse(id=ACCOUNT_ID)


async def test_key_and_email_are_sent_as_x_auth_headers(mocked: aioresponses) -> None:
    mocked.get(f"{BASE}/accounts/{ACCOUNT_ID}", payload=reference("accounts.get")["response"])
    async with AsyncCloudflare(api_key="k3y", api_email="me@example.com") as client:
        await client.accounts.get(account_id=ACCOUNT_ID)
    _, _, kwargs = only_request(mocked)
    assert kwargs["headers"]["X-Auth-Key"] == "k3y"
    assert kwargs["headers"]["X-Auth-Email"] == "me@example.com"
    assert "Authorization" not in kwargs["headers"]


async def test_user_service_key_header(mocked: aioresponses) -> None:
    mocked.get(f"{BASE}/accounts/{ACCOUNT_ID}", payload=reference("accounts.get")["response"])
    async with AsyncCloudflare(user_service_key="v1.0-svc") as client:
        await client.accounts.get(account_id=ACCOUNT_ID)
    _, _, kwargs = only_request(mocked)
    assert kwargs["headers"]["X-Auth-User-Service-Key"] == "v1.0-svc"


async def test_extra_options_reach_the_wire(client: AsyncCloudflare, mocked: aioresponses) -> None:
    mocked.post(f"{BASE}/accounts?trace=1", payload=reference("accounts.create")["response"])
    await client.accounts.create(
        name="n",
        extra_headers={"X-Request-Source": "tests"},
        extra_query={"trace": 1},
        extra_body={"type": "enterprise"},
        timeout=5,
    )
    _, url, kwargs = only_request(mocked)
    assert url.query_string == "trace=1"
    assert kwargs["headers"]["X-Request-Source"] == "tests"
    assert kwargs["data"] == b'{"name":"n","type":"enterprise"}'
    assert kwargs["timeout"].total == 5


async def test_unknown_keyword_argument_is_a_type_error_before_sending(
    client: AsyncCloudflare, mocked: aioresponses
) -> None:
    with pytest.raises(TypeError, match="unexpected keyword argument 'nmae'"):
        await client.accounts.create(name="n", nmae="typo")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="unexpected keyword argument 'colour'"):
        client.accounts.list(colour="red")  # type: ignore[call-arg]
    assert not mocked.requests


async def test_default_headers_and_query_go_with_every_request(mocked: aioresponses) -> None:
    mocked.get(
        f"{BASE}/accounts/{ACCOUNT_ID}?tenant=t1", payload=reference("accounts.get")["response"]
    )
    async with AsyncCloudflare(
        api_token=TOKEN, default_headers={"X-Team": "sec"}, default_query={"tenant": "t1"}
    ) as client:
        await client.accounts.get(account_id=ACCOUNT_ID)
    _, url, kwargs = only_request(mocked)
    assert url.query_string == "tenant=t1"
    assert kwargs["headers"]["X-Team"] == "sec"
