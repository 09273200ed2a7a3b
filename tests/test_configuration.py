"""The client's configuration is checked at construction, with typed errors."""

from __future__ import annotations

import gzip
import json
from typing import Any

import aiohttp
import pytest
from aioresponses import aioresponses

from cfaccounts import (
    APIConnectionError,
    AsyncCloudflare,
    Cloudflare,
    CloudflareError,
    ConfigurationError,
    CredentialsError,
    NotFoundError,
)

from .conftest import ACCOUNT_ID, BASE, TOKEN, reference
from .server import RecordingServer, Reply

ACCOUNTS = reference("accounts.list")["response"]

PASSWORD = "pa55-word-in-the-url"


@pytest.mark.parametrize(
    "base_url",
    [
        f"http://user:{PASSWORD}@127.0.0.1:9/client/v4",
        f"https://user:{PASSWORD}@api.example.com/client/v4",
        f"http://:{PASSWORD}@127.0.0.1/client/v4",
    ],
)
def test_a_password_in_base_url_is_refused_and_never_shown(
    base_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ConfigurationError, match="user name or password") as caught:
        AsyncCloudflare(api_token=TOKEN, base_url=base_url)
    assert PASSWORD not in str(caught.value) + repr(caught.value)
    monkeypatch.setenv("CLOUDFLARE_BASE_URL", base_url)
    with pytest.raises(ConfigurationError, match="CLOUDFLARE_BASE_URL must not") as caught:
        Cloudflare(api_token=TOKEN)
    assert PASSWORD not in str(caught.value) + repr(caught.value)


@pytest.mark.parametrize(
    ("base_url", "problem"),
    [
        ("api.cloudflare.com/client/v4", "absolute http:// or https:// URL"),
        ("not-a-url", "absolute http:// or https:// URL"),
        ("/client/v4", "absolute http:// or https:// URL"),
        ("ftp://api.cloudflare.com/client/v4", "absolute http:// or https:// URL"),
        ("http:///client/v4", "absolute http:// or https:// URL"),
        ("https://api.cloudflare.com/client/v4?x=1", "query or a fragment"),
        ("https://api.cloudflare.com/client/v4#frag", "query or a fragment"),
        ("https://api.cloudflare.com/client/v4?", "query or a fragment"),
        ("https://api.cloudflare.com:99999/client/v4", "not a valid URL"),
        ("https://api.cloudflare.com/client v4", "whitespace or a control character"),
        ("https://api.cloudflare.com/client/v4\n", "whitespace or a control character"),
    ],
)
def test_an_unusable_base_url_is_refused_at_construction(base_url: str, problem: str) -> None:
    with pytest.raises(ConfigurationError, match="base_url") as caught:
        AsyncCloudflare(api_token=TOKEN, base_url=base_url)
    assert problem in str(caught.value)
    # One error for the CLI and for callers: a CloudflareError and a ValueError.
    assert isinstance(caught.value, CloudflareError)
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    "base_url",
    [
        "https://api.cloudflare.com/client/v4",
        "https://api.cloudflare.com/client/v4/",
        "http://127.0.0.1:8080/client/v4",
        "http://[::1]:8080/client/v4",
        "https://API.example.com",
    ],
)
def test_usable_base_urls_are_accepted(base_url: str) -> None:
    assert AsyncCloudflare(api_token=TOKEN, base_url=base_url).base_url == base_url.rstrip("/")


@pytest.mark.parametrize("ending", ["\n", "\r\n"])
async def test_one_trailing_newline_of_a_credential_is_dropped(
    ending: str, server: RecordingServer
) -> None:
    # As a token read from a file ends.
    server.reply_json("GET", "/accounts/{account_id}", reference("accounts.get")["response"])
    async with AsyncCloudflare(api_token=TOKEN + ending, base_url=server.base_url) as client:
        await client.accounts.get(account_id=ACCOUNT_ID)
    assert server.requests[0].headers["Authorization"] == f"Bearer {TOKEN}"


@pytest.mark.parametrize("value", ["v4lue\n\n", "a\nbv4lue", "v4lue\x00", "\tv4lue", "v4\rlue"])
@pytest.mark.parametrize(
    ("argument", "extra"),
    [
        ("api_token", {}),
        ("api_key", {"api_email": "e@example.com"}),
        ("user_service_key", {}),
        ("api_email", {"api_key": "k"}),
    ],
)
def test_a_control_character_in_a_credential_is_refused_naming_where(
    value: str, argument: str, extra: dict[str, str]
) -> None:
    with pytest.raises(CredentialsError, match=f"{argument} contains a control character") as e:
        AsyncCloudflare(**{argument: value, **extra})  # type: ignore[arg-type]
    assert "v4lue" not in str(e.value)


@pytest.mark.parametrize("value", [b"bytes-token", 12345])
def test_a_credential_that_is_not_a_str_is_refused(value: object) -> None:
    # It used to be sent as its repr: "Bearer b'bytes-token'".
    with pytest.raises(CredentialsError, match="api_token must be a str, got"):
        AsyncCloudflare(api_token=value)  # type: ignore[arg-type]


def test_a_control_character_in_an_environment_credential_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", "abc\rdef")
    with pytest.raises(CredentialsError, match="CLOUDFLARE_API_TOKEN contains a control"):
        AsyncCloudflare()


async def test_a_callers_session_settings_do_not_change_our_calls(
    server: RecordingServer,
) -> None:
    # raise_for_status=True made a 404 an APIConnectionError, sent 3 times;
    # auto_decompress=False left a gzip body undecoded.
    server.add("GET", "/accounts/{account_id}", Reply(status=404, json={"success": False}))
    server.add(
        "GET",
        "/accounts",
        Reply(
            body=gzip.compress(json.dumps(ACCOUNTS).encode()), headers={"Content-Encoding": "gzip"}
        ),
    )
    async with aiohttp.ClientSession(raise_for_status=True, auto_decompress=False) as session:
        client = AsyncCloudflare(api_token=TOKEN, base_url=server.base_url, session=session)
        with pytest.raises(NotFoundError) as caught:
            await client.accounts.get(account_id=ACCOUNT_ID)
        page = await client.accounts.list()
    assert caught.value.attempts == 1
    assert [r.path for r in server.requests].count(f"/client/v4/accounts/{ACCOUNT_ID}") == 1
    assert page.result[0].id == ACCOUNTS["result"][0]["id"]


@pytest.mark.parametrize(
    ("settings", "problem"),
    [
        ({"base_url": "http://127.0.0.1:9/"}, "session has a base_url"),
        ({"trust_env": True}, "session has trust_env=True"),
        ({"auth": ("user", "password")}, "session has auth"),
        ({"headers": {"X-Auth-Key": "k"}}, "session sends X-Auth-Key"),
        ({"headers": {"authorization": "Bearer t"}}, "session sends authorization"),
    ],
)
# aiohttp 3.14 deprecates session auth; it still sends it.
@pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")
@pytest.mark.filterwarnings("ignore:The 'auth' parameter is deprecated:DeprecationWarning")
async def test_a_session_whose_settings_we_cannot_undo_is_refused(
    settings: dict[str, Any], problem: str
) -> None:
    if "auth" in settings:
        settings = {"auth": aiohttp.BasicAuth(*settings["auth"])}
    async with aiohttp.ClientSession(**settings) as session:
        with pytest.raises(ConfigurationError, match=problem):
            AsyncCloudflare(api_token=TOKEN, session=session)


async def test_a_failed_tls_handshake_fails_fast_and_is_not_retried(
    server: RecordingServer,
) -> None:
    # https:// to a plain-HTTP server: the handshake fails; retried 6 times before.
    url = server.base_url.replace("http://", "https://")
    async with AsyncCloudflare(api_token=TOKEN, base_url=url, max_retries=5) as client:
        with pytest.raises(APIConnectionError, match="TLS handshake failed") as caught:
            await client.accounts.members.create(account_id=ACCOUNT_ID, email="a@example.com")
    assert caught.value.attempts == 1
    assert caught.value.reached_server is False
    assert caught.value.retryable is False
    assert server.requests == []


@pytest.mark.parametrize(
    "headers",
    [{"X-Bad": "a\nb"}, {"X-Bad": "a\rb"}, {"X-Bad": "\x00"}, {"Bad Name": "v"}, {"": "v"}],
)
async def test_headers_that_cannot_be_sent_are_refused_before_sending(
    headers: dict[str, str], server: RecordingServer
) -> None:
    with pytest.raises(ConfigurationError, match="default_headers"):
        AsyncCloudflare(api_token=TOKEN, default_headers=headers)
    async with AsyncCloudflare(api_token=TOKEN, base_url=server.base_url) as client:
        with pytest.raises(ValueError, match="extra_headers") as caught:
            await client.accounts.get(account_id=ACCOUNT_ID, extra_headers=headers)
    assert not isinstance(caught.value, APIConnectionError)
    assert server.requests == []


async def test_a_request_aiohttp_cannot_build_fails_fast(mocked: aioresponses) -> None:
    # aiohttp's bare ValueError (InvalidURL is one) means nothing was sent.
    mocked.post(f"{BASE}/accounts", exception=aiohttp.InvalidURL("bad"), repeat=True)
    async with AsyncCloudflare(api_token=TOKEN, max_retries=5) as client:
        with pytest.raises(APIConnectionError, match="could not send the request") as caught:
            await client.accounts.create(name="x")
    assert caught.value.attempts == 1
    assert (caught.value.reached_server, caught.value.retryable) == (False, False)
