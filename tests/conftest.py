from __future__ import annotations

import asyncio
import inspect
import json
import logging
import traceback
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import _pytest.raises
import aiohttp
import aioresponses.core as aioresponses_core
import pytest
from aioresponses import aioresponses

from cfaccounts import AsyncCloudflare, CloudflareError
from cfaccounts._logging import logger

from .server import RecordingServer

TOKEN = "sentinel-token-0123456789abcdef"
API_KEY = "sentinel-key-fedcba9876543210"
EMAIL = "owner@example.com"
ACCOUNT_ID = "023e105f4ecef8ad9ca31a8372d0c353"
BASE = "https://api.cloudflare.com/client/v4"

EXAMPLES: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "reference" / "examples.json").read_text()
)


def reference(call: str) -> dict[str, Any]:
    """The reference's entry for ``call`` (``accounts.members.get``)."""
    return next(entry for entry in EXAMPLES if entry["call"] == call)


#: The token value the reference's roll example returns: a secret too.
ROLLED: str = reference("accounts.tokens.value.update")["response"]["result"]


def _patch_aioresponses_for_aiohttp_314() -> None:
    # aioresponses 0.7.9 builds ClientResponse without the keyword-only
    # `stream_writer` that aiohttp 3.14 requires (pnuckowski/aioresponses#289,
    # fix in PR #288, unmerged). aiohttp only reads `.output_size` from it, so
    # its default response class gets a stand-in. Remove once the fix ships.
    if "stream_writer" not in inspect.signature(aiohttp.ClientResponse.__init__).parameters:
        return

    class _StreamWriter:
        output_size = 0

    class _ClientResponse(aiohttp.ClientResponse):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs.setdefault("stream_writer", _StreamWriter())
            super().__init__(*args, **kwargs)

    aioresponses_core.ClientResponse = _ClientResponse  # type: ignore[attr-defined]


_patch_aioresponses_for_aiohttp_314()


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "CLOUDFLARE_API_TOKEN",
        "CLOUDFLARE_API_KEY",
        "CLOUDFLARE_EMAIL",
        "CLOUDFLARE_API_USER_SERVICE_KEY",
        "CLOUDFLARE_BASE_URL",
        "CLOUDFLARE_LOG",
        # The SDK reads these (cfaccounts/_proxy.py): a proxy set on the
        # machine must not reroute the suite's loopback servers.
        *(
            variable
            for lower in ("http_proxy", "https_proxy", "all_proxy", "no_proxy")
            for variable in (lower, lower.upper())
        ),
    ):
        monkeypatch.delenv(name, raising=False)


async def eventually(condition: Callable[[], bool], seconds: float = 3.0) -> None:
    """Wait until ``condition()`` holds (checked every 10 ms), or fail after ``seconds``."""
    for _ in range(int(seconds * 100)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"still not true after {seconds} s: {condition}")


class SecretsGuard:
    """Every secret a test used, checked against everything it let out."""

    def __init__(self, secrets: set[str]) -> None:
        self.secrets = secrets
        self.errors: list[BaseException] = []
        self.leaked: list[str] = []

    def watch(self, *secrets: str) -> None:
        """Also check for ``secrets`` (token values a test rolled, say)."""
        self.secrets.update(secrets)

    def check(self, text: str) -> None:
        if any(secret in text for secret in self.secrets):
            self.leaked.append(text)

    def check_errors(self) -> None:
        """Check the exceptions seen so far, and let them go (long tests call this).

        Each one's str, repr and attributes, and its traceback rendered with
        every frame's locals (as ``pytest -l`` or Sentry show them), causes
        and contexts included.
        """
        for error in self.errors:
            for text in (str(error), repr(error), repr(vars(error)), render_with_locals(error)):
                self.check(text)
        self.errors.clear()


def render_with_locals(error: BaseException) -> str:
    """``error``'s traceback as ``traceback`` prints it with ``capture_locals=True``.

    Python 3.11's ``traceback`` gives up on a local whose repr fails (a
    deeply nested list from a fuzzed body: RecursionError); then each
    frame's locals of the chain are rendered one by one instead.
    """
    try:
        return "".join(
            traceback.TracebackException.from_exception(error, capture_locals=True).format()
        )
    except RecursionError:
        return "\n".join(_locals_one_by_one(error, set()))


def _locals_one_by_one(error: BaseException | None, seen: set[int]) -> Iterator[str]:
    if error is None or id(error) in seen:
        return
    seen.add(id(error))
    for frame, _ in traceback.walk_tb(error.__traceback__):
        for name, value in frame.f_locals.items():
            try:
                yield f"{name} = {value!r}"
            except RecursionError:
                yield f"{name} = <too deeply nested to show>"
    yield from _locals_one_by_one(error.__cause__, seen)
    yield from _locals_one_by_one(error.__context__, seen)


class _Checker(logging.Handler):
    """Checks each log record as it is emitted (keeping none: long runs stay flat)."""

    def __init__(self, guard: SecretsGuard) -> None:
        super().__init__(logging.DEBUG)
        self.guard = guard

    def emit(self, record: logging.LogRecord) -> None:
        self.guard.check(record.getMessage())
        if record.exc_info and record.exc_info[1] is not None:
            self.guard.check(render_with_locals(record.exc_info[1]))


@pytest.fixture(autouse=True)
def secrets_guard(monkeypatch: pytest.MonkeyPatch) -> Iterator[SecretsGuard]:
    """Runs every test with debug logging on, then fails it if a secret got out.

    Checked: every ``cfaccounts`` log record, every cfaccounts exception
    created during the test and every exception a ``pytest.raises`` caught:
    its str, repr and attributes, and its traceback rendered with the locals
    of every frame. Warnings need no check: the suite turns every one into
    an error.
    """
    guard = SecretsGuard({TOKEN, API_KEY, ROLLED})
    created = CloudflareError.__init__

    def recording_init(self: CloudflareError, *args: Any, **kwargs: Any) -> None:
        created(self, *args, **kwargs)
        guard.errors.append(self)

    monkeypatch.setattr(CloudflareError, "__init__", recording_init)
    # Every failing call a test expects, whatever its type: pytest.raises'
    # context manager (pytest's own module; pytest >= 8.4) hands it over here.
    caught_exit = _pytest.raises.RaisesExc.__exit__

    def recording_exit(self: Any, exc_type: Any, exc: BaseException | None, tb: Any) -> bool:
        if exc is not None:
            guard.errors.append(exc)
        return caught_exit(self, exc_type, exc, tb)

    monkeypatch.setattr(_pytest.raises.RaisesExc, "__exit__", recording_exit)
    handler = _Checker(guard)
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield guard
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    guard.check_errors()
    where = [
        line
        for text in guard.leaked
        for line in text.splitlines()
        if any(secret in line for secret in guard.secrets)
    ]
    assert not guard.leaked, f"a secret appeared in a log record or an exception: {where[:3]}"


@pytest.fixture
def mocked() -> Iterator[aioresponses]:
    with aioresponses() as mock:
        yield mock


@pytest.fixture
async def client() -> AsyncIterator[AsyncCloudflare]:
    """A token client against the real base URL, for use with ``mocked``."""
    async with AsyncCloudflare(api_token=TOKEN) as c:
        yield c


@pytest.fixture
async def server() -> AsyncIterator[RecordingServer]:
    srv = RecordingServer()
    await srv.start()
    yield srv
    await srv.close()


@pytest.fixture
async def local(server: RecordingServer) -> AsyncIterator[AsyncCloudflare]:
    """A token client talking to ``server``, retrying without waiting."""
    async with AsyncCloudflare(api_token=TOKEN, base_url=server.base_url) as c:
        yield c


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Retry and rate-limit waits, recorded instead of slept, on a fake clock."""
    recorded: list[float] = []
    clock = [1000.0]

    async def fake_sleep(delay: float) -> None:
        recorded.append(delay)
        clock[0] += delay
        await asyncio.sleep(0)  # still let other tasks run, as a real wait would

    monkeypatch.setattr("cfaccounts._core._sleep", fake_sleep)
    monkeypatch.setattr("cfaccounts._limiter._sleep", fake_sleep)
    monkeypatch.setattr("cfaccounts._limiter._monotonic", lambda: clock[0])
    return recorded
