"""Settings from the environment: proxies (through a real local proxy) and ``CLOUDFLARE_LOG``."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from threading import Thread
from typing import Unpack

import aiohttp
import pytest
from aiohttp import web
from yarl import URL

from cfaccounts import AsyncCloudflare, Cloudflare, ConfigurationError
from cfaccounts._client import ClientOptions
from cfaccounts.testing import Sandbox

_SCRIPT = Path(sys.executable).with_name("cfaccounts")
COMMAND = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "cfaccounts"]
_HOP_BY_HOP = {"host", "proxy-authorization", "proxy-connection", "connection"}


class ForwardProxy:
    """A plain-HTTP forward proxy on 127.0.0.1, run from a thread of its own.

    It records each request's absolute-form target and ``Proxy-Authorization``
    header, and forwards it.
    """

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []
        self.authorizations: list[str | None] = []
        self.url = ""
        self._stop: Future[None] = Future()

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        self.seen.append((request.method, str(request.url)))
        self.authorizations.append(request.headers.get("Proxy-Authorization"))
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP}
        async with (
            aiohttp.ClientSession() as session,
            session.request(
                request.method, request.url, headers=headers, data=await request.read()
            ) as upstream,
        ):
            body = await upstream.read()
            passed = {
                k: v
                for k, v in upstream.headers.items()
                if k.lower() not in {"content-length", "transfer-encoding", "content-encoding"}
            }
            return web.Response(status=upstream.status, body=body, headers=passed)

    def __enter__(self) -> ForwardProxy:
        started: Future[str] = Future()

        async def serve() -> None:
            app = web.Application()
            app.router.add_route("*", "/{tail:.*}", self._forward)
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            started.set_result(f"http://127.0.0.1:{runner.addresses[0][1]}")
            loop = asyncio.get_running_loop()
            await asyncio.wrap_future(self._stop, loop=loop)
            await runner.cleanup()

        self._thread = Thread(target=lambda: asyncio.run(serve()), daemon=True)
        self._thread.start()
        self.url = started.result(timeout=10)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set_result(None)
        self._thread.join(timeout=10)

    def targets(self) -> set[str]:
        """The hosts:ports the proxied requests were for."""
        return {f"{URL(url).host}:{URL(url).port}" for _, url in self.seen}


@pytest.fixture
def proxy() -> Iterator[ForwardProxy]:
    with ForwardProxy() as running:
        yield running


def _sandbox_authority(sandbox: Sandbox) -> str:
    url = URL(sandbox.base_url)
    return f"{url.host}:{url.port}"


# -- the SDK ---------------------------------------------------------------------------------


async def test_the_environment_proxy_is_used(
    proxy: ForwardProxy, cloudflare_sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    async with AsyncCloudflare(**_sdk(cloudflare_sandbox)) as client:
        page = await client.accounts.list()
    assert page.result
    assert proxy.seen == [("GET", f"{cloudflare_sandbox.base_url}/accounts")]
    # aiohttp would hand the session's Authorization to the proxy: never the token.
    assert proxy.authorizations == [None]


def test_an_environment_proxy_without_a_scheme_is_http(
    proxy: ForwardProxy, cloudflare_sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.url.removeprefix("http://"))  # as curl takes it
    with Cloudflare(**_sdk(cloudflare_sandbox)) as client:
        assert client.accounts.list().result
    assert proxy.targets() == {_sandbox_authority(cloudflare_sandbox)}


def test_no_proxy_and_proxy_false_connect_directly(
    proxy: ForwardProxy, cloudflare_sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("http_proxy", proxy.url)
    with Cloudflare(**_sdk(cloudflare_sandbox, proxy=False)) as client:
        assert client.accounts.list().result
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    with Cloudflare(**_sdk(cloudflare_sandbox)) as client:
        assert client.accounts.list().result
    assert proxy.seen == []


def test_an_explicit_proxy_with_a_login(proxy: ForwardProxy, cloudflare_sandbox: Sandbox) -> None:
    login = URL(proxy.url).with_user("egress").with_password("proxy-secret")
    with Cloudflare(**_sdk(cloudflare_sandbox, proxy=str(login))) as client:
        assert client.accounts.list().result
    assert proxy.targets() == {_sandbox_authority(cloudflare_sandbox)}
    assert proxy.authorizations == ["Basic ZWdyZXNzOnByb3h5LXNlY3JldA=="]


@pytest.mark.parametrize("bad", ["ftp://egress:proxy-secret@proxy.example", "proxy.example:3128"])
def test_a_malformed_proxy_is_a_configuration_error_without_its_password(bad: str) -> None:
    with pytest.raises(ConfigurationError, match="http:// or https://") as caught:
        AsyncCloudflare(api_token="t", proxy=bad)
    assert "proxy-secret" not in str(caught.value)


def test_netrc_is_never_read(
    proxy: ForwardProxy,
    cloudflare_sandbox: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    # aiohttp's trust_env would send this login to the proxy; it is never on.
    (tmp_path / ".netrc").write_text("machine 127.0.0.1 login egress password netrc-secret\n")
    (tmp_path / ".netrc").chmod(0o600)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("NETRC", str(tmp_path / ".netrc"))
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    with Cloudflare(**_sdk(cloudflare_sandbox)) as client:
        assert client.accounts.list().result
    assert proxy.seen
    assert proxy.authorizations == [None]


def _sdk(sandbox: Sandbox, **options: Unpack[ClientOptions]) -> ClientOptions:
    return {"api_token": sandbox.api_token, "base_url": sandbox.base_url, **options}


# -- the command line ------------------------------------------------------------------------


def _cli(sandbox: Sandbox, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("CLOUDFLARE_") and not name.lower().endswith("_proxy")
    }
    return subprocess.run(
        [*COMMAND, "audit", "--format", "json", *args],
        capture_output=True,
        text=True,
        env={**environment, **sandbox.env, **env},
        timeout=120,
        check=False,
    )


@pytest.mark.cloudflare_sandbox(accounts=2, members_per_account=3, tokens_per_account=2)
def test_the_command_goes_through_the_environment_proxy(
    proxy: ForwardProxy, cloudflare_sandbox: Sandbox
) -> None:
    result = _cli(cloudflare_sandbox, HTTP_PROXY=proxy.url)
    assert result.returncode == 0, result.stderr
    assert proxy.targets() == {_sandbox_authority(cloudflare_sandbox)}
    assert len(proxy.seen) == sum(cloudflare_sandbox.counters.received.values())
    assert set(proxy.authorizations) == {None}


@pytest.mark.cloudflare_sandbox(accounts=1, members_per_account=3, tokens_per_account=2)
def test_the_command_proxy_options(proxy: ForwardProxy, cloudflare_sandbox: Sandbox) -> None:
    assert _cli(cloudflare_sandbox, "--proxy", "none", HTTP_PROXY=proxy.url).returncode == 0
    assert _cli(cloudflare_sandbox, HTTP_PROXY=proxy.url, NO_PROXY="127.0.0.1").returncode == 0
    assert proxy.seen == []
    assert _cli(cloudflare_sandbox, "--proxy", proxy.url).returncode == 0
    assert proxy.targets() == {_sandbox_authority(cloudflare_sandbox)}


# -- CLOUDFLARE_LOG --------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["verbose", "warn", "1"])
def test_an_unknown_log_level_is_an_error(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CLOUDFLARE_LOG", value)
    with pytest.raises(ConfigurationError, match=f"CLOUDFLARE_LOG='{value}' is not a known level"):
        AsyncCloudflare(api_token="t")


@pytest.mark.parametrize("value", ["", "  "])
def test_an_empty_log_level_is_no_level(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CLOUDFLARE_LOG", value)
    AsyncCloudflare(api_token="t")
