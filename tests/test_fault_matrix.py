"""Every fault against every kind of call: a typed error or a correct retry, never a duplicate.

Each case runs one call through :class:`AsyncCloudflare` against a fresh
sandbox with one fault scripted on the call's route, and checks three things:

- the outcome: the result, or the documented exception, after the documented
  number of attempts;
- the writes the sandbox carried out (its audit log): a POST, a token roll or
  any other write is never applied twice;
- the time: retry waits are recorded, not slept, so a case takes only its
  real network time, bounded by the client's timeout.

Listings are faulted on their *second* page, mid-iteration. The Accounts API
has no PATCH call; PATCH shares POST's path (not idempotent by method), and
``test_patch_is_never_retried_once_sent`` checks it against the recording
server. ``python -m tests.test_fault_matrix`` prints the matrix as observed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import attrs
import pytest

from cfaccounts import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AsyncCloudflare,
)
from cfaccounts._endpoint import Endpoint
from cfaccounts.models import Member
from cfaccounts.testing import Fault, Sandbox

from .conftest import TOKEN, SecretsGuard, eventually
from .server import RecordingServer, Reply

TIMEOUT = 0.25
MAX_RETRIES = 2
_HTML = b"<html><head><title>Maintenance</title></head><body>Back soon</body></html>"
_NO_ERRORS = b'{"success": false, "errors": [], "messages": [], "result": null}'


@attrs.frozen
class Setup:
    """What a call needs from the seeded sandbox."""

    account_id: str
    member_id: str
    role_id: str
    token_id: str


Inject = Callable[[], Awaitable[None]]


@attrs.frozen
class CallKind:
    """One kind of call: its route, whether it may be repeated, and how to make it.

    ``make(client, setup, inject)`` makes the call and must await ``inject``
    right before the request the fault should hit.
    """

    route: str
    idempotent: bool
    make: Callable[[AsyncCloudflare, Setup, Inject], Awaitable[Any]]
    #: (method, path suffix) of the writes it makes, as the audit log records them.
    writes: tuple[str, str] | None = None


async def _get(client: AsyncCloudflare, setup: Setup, inject: Inject) -> Any:
    await inject()
    return await client.accounts.members.get(setup.member_id, account_id=setup.account_id)


async def _list_members(client: AsyncCloudflare, setup: Setup, inject: Inject) -> Any:
    first = await client.accounts.members.list(account_id=setup.account_id, per_page=2)
    await inject()
    return [member.id async for member in first]


async def _list_audit_log(client: AsyncCloudflare, setup: Setup, inject: Inject) -> Any:
    first = await client.accounts.logs.audit.list(
        account_id=setup.account_id, before="2100-01-01", since="2000-01-01", limit=2
    )
    await inject()
    return [entry.id async for entry in first]


async def _create_member(client: AsyncCloudflare, setup: Setup, inject: Inject) -> Any:
    await inject()
    return await client.accounts.members.create(
        account_id=setup.account_id, email="new.member@example.com", roles=[setup.role_id]
    )


async def _update_member(client: AsyncCloudflare, setup: Setup, inject: Inject) -> Any:
    await inject()
    return await client.accounts.members.update(
        setup.member_id, account_id=setup.account_id, roles=[{"id": setup.role_id}]
    )


async def _roll_token(client: AsyncCloudflare, setup: Setup, inject: Inject) -> Any:
    await inject()
    return await client.accounts.tokens.value.update(
        setup.token_id, account_id=setup.account_id, body={}
    )


async def _delete_member(client: AsyncCloudflare, setup: Setup, inject: Inject) -> Any:
    await inject()
    return await client.accounts.members.delete(setup.member_id, account_id=setup.account_id)


MEMBER = "/accounts/{account_id}/members/{member_id}"
CALL_KINDS = {
    "GET": CallKind("GET " + MEMBER, True, _get),
    "GET pages": CallKind("GET /accounts/{account_id}/members", True, _list_members),
    "GET cursor": CallKind("GET /accounts/{account_id}/logs/audit", True, _list_audit_log),
    "POST": CallKind(
        "POST /accounts/{account_id}/members", False, _create_member, ("POST", "/members")
    ),
    "PUT": CallKind("PUT " + MEMBER, True, _update_member, ("PUT", "")),
    "PUT roll": CallKind(
        "PUT /accounts/{account_id}/tokens/{token_id}/value",
        False,
        _roll_token,
        ("PUT", "/value"),
    ),
    "DELETE": CallKind("DELETE " + MEMBER, True, _delete_member, ("DELETE", "")),
}


@attrs.frozen
class FaultCase:
    """A fault, how often it strikes, and what it leads to.

    ``idempotent`` and ``once`` are the expected outcomes for calls that may
    be repeated and for those that may not (POST, the token roll):
    ``"ok"`` or an exception class name, then ``" xN"`` for N attempts when
    there is more than one. ``applied`` is how many times a write that may
    not be repeated is carried out.
    """

    fault: Fault | None  # None: connection refused (the sandbox is stopped)
    idempotent: str
    once: str
    applied: int
    times: int | None = 1
    #: Outcomes that differ for one kind of call, and why.
    exceptions: dict[str, str] = attrs.field(factory=dict)


RETRIED_OK = "ok x2"
AFTER_WRITE = {"DELETE": "NotFoundError x2"}  # the lost response's delete was done
FAULTS = {
    "connection refused": FaultCase(None, "APIConnectionError x3", "APIConnectionError x3", 0),
    "reset before the request is read": FaultCase(
        Fault.disconnect("before_read"), RETRIED_OK, "APIConnectionError", 0
    ),
    "reset after it is carried out": FaultCase(
        Fault.disconnect("after_read"), RETRIED_OK, "APIConnectionError", 1, exceptions=AFTER_WRITE
    ),
    "reset mid-body": FaultCase(
        Fault.disconnect("mid_body"), RETRIED_OK, "APIConnectionError", 1, exceptions=AFTER_WRITE
    ),
    "truncated JSON (200)": FaultCase(
        Fault.truncated(), "APIResponseValidationError", "APIResponseValidationError", 1
    ),
    "plain-text body (200)": FaultCase(
        Fault.body(200, b"OK", content_type="text/plain"),
        "APIResponseValidationError",
        "APIResponseValidationError",
        0,
    ),
    "HTML page (200)": FaultCase(
        Fault.body(200, _HTML, content_type="text/html"),
        "APIResponseValidationError",
        "APIResponseValidationError",
        0,
    ),
    "HTML error page (502)": FaultCase(
        Fault.error(502, html=True), RETRIED_OK, "InternalServerError", 0
    ),
    "empty body (200)": FaultCase(
        Fault.body(200, b""), "APIResponseValidationError", "APIResponseValidationError", 0
    ),
    "empty body (503)": FaultCase(Fault.body(503, b""), RETRIED_OK, "InternalServerError", 0),
    "success: false (200)": FaultCase(Fault.unsuccessful(), "APIStatusError", "APIStatusError", 0),
    "4xx with errors": FaultCase(Fault.error(400), "BadRequestError", "BadRequestError", 0),
    "4xx without errors": FaultCase(
        Fault.body(403, _NO_ERRORS), "PermissionDeniedError", "PermissionDeniedError", 0
    ),
    "5xx with errors": FaultCase(Fault.error(500), RETRIED_OK, "InternalServerError", 0),
    "5xx without errors": FaultCase(
        Fault.body(503, _NO_ERRORS), RETRIED_OK, "InternalServerError", 0
    ),
    "429 x2, Retry-After": FaultCase(Fault.rate_limited(1), "ok x3", "ok x3", 1, times=2),
    "429 x2, no Retry-After": FaultCase(Fault.rate_limited(None), "ok x3", "ok x3", 1, times=2),
    "429 storm": FaultCase(
        Fault.rate_limited(1), "RateLimitError x3", "RateLimitError x3", 0, None
    ),
    "latency past the timeout": FaultCase(
        Fault.latency(TIMEOUT * 2), RETRIED_OK, "APITimeoutError", 1
    ),
}


def expected(fault_name: str, kind_name: str) -> str:
    case, kind = FAULTS[fault_name], CALL_KINDS[kind_name]
    return case.exceptions.get(kind_name, case.idempotent if kind.idempotent else case.once)


@attrs.frozen
class Observed:
    outcome: str
    applied: int | None
    seconds: float


def _outcome(name: str, attempts: int) -> str:
    return name if attempts == 1 else f"{name} x{attempts}"


async def _setup(sandbox: Sandbox) -> Setup:
    account_id = sandbox.account_ids[0]
    record = sandbox.store.accounts[account_id]
    member_id = next(m["id"] for m in record.members.values() if m["roles"])
    assert len(record.audit) >= 3, "the cursor case needs a second page"
    return Setup(account_id, member_id, next(iter(record.roles)), next(iter(record.tokens)))


def _writes(sandbox: Sandbox, setup: Setup, kind: CallKind) -> int:
    if kind.writes is None:
        return 0
    method, suffix = kind.writes
    return sum(
        entry["raw"]["method"] == method and entry["raw"]["uri"].endswith(suffix)
        for entry in sandbox.store.accounts[setup.account_id].audit
    )


async def _nothing() -> None:
    pass


async def run_case(
    fault_name: str, kind_name: str, watch: Callable[..., None] = lambda *_: None
) -> Observed:
    """Run one cell of the matrix and say what happened.

    The client uses the suite's sentinel token; ``watch`` is given every
    token secret the sandbox holds afterwards, rolled ones included.
    """
    case, kind = FAULTS[fault_name], CALL_KINDS[kind_name]
    sandbox = Sandbox(
        seed="faults", accounts=1, members_per_account=30, tokens_per_account=2, api_token=TOKEN
    )
    await sandbox.start()
    setup = await _setup(sandbox)
    client = sandbox.client(timeout=TIMEOUT, max_retries=MAX_RETRIES, rate_limit=None)
    writes_before = _writes(sandbox, setup, kind)

    rules = []

    async def inject() -> None:
        if case.fault is None:
            await sandbox.close()
        else:
            rules.append(sandbox.inject(case.fault, kind.route, times=case.times))

    started = time.monotonic()
    try:
        result = await kind.make(client, setup, inject)
        if isinstance(result, list):  # a whole listing: nothing lost, nothing twice
            record = sandbox.store.accounts[setup.account_id]
            assert (
                len(set(result))
                == len(result)
                == len(record.members if kind_name == "GET pages" else record.audit)
            )
        outcome = _outcome("ok", rules[0].hits + 1)
    except APIError as error:
        outcome = _outcome(type(error).__name__, error.attempts)
    finally:
        seconds = time.monotonic() - started
        await client.close()
        # A write that arrives after the client gave up is still a write: wait for it.
        await eventually(lambda: sandbox.counters.in_flight == 0)
        await sandbox.close()
        # Not a loop: its variable would hold a secret in this frame's locals.
        watch(*sandbox.store.token_by_secret)
    applied = None if kind.idempotent else _writes(sandbox, setup, kind) - writes_before
    return Observed(outcome, applied, seconds)


@pytest.mark.usefixtures("waits")
@pytest.mark.parametrize("kind_name", list(CALL_KINDS))
@pytest.mark.parametrize("fault_name", list(FAULTS))
async def test_fault_matrix(fault_name: str, kind_name: str, secrets_guard: SecretsGuard) -> None:
    observed = await run_case(fault_name, kind_name, secrets_guard.watch)
    assert observed.outcome == expected(fault_name, kind_name)
    if observed.applied is not None:
        assert observed.applied == FAULTS[fault_name].applied
    # Retry waits are not slept here; what is left is network time and timeouts.
    assert observed.seconds < TIMEOUT * (MAX_RETRIES + 1) + 1.0


async def test_timeouts_and_refusals_say_whether_the_request_reached_the_server(
    waits: list[float],
) -> None:
    sandbox = Sandbox(seed="faults", accounts=1, members_per_account=30)
    async with sandbox:
        setup = await _setup(sandbox)
        sandbox.inject(Fault.latency(1.0), CALL_KINDS["POST"].route)
        async with sandbox.client(timeout=TIMEOUT) as client:
            with pytest.raises(APITimeoutError) as timed_out:
                await _create_member(client, setup, _nothing)
        options = sandbox.env
    assert timed_out.value.reached_server
    stopped = AsyncCloudflare(
        api_token=options["CLOUDFLARE_API_TOKEN"],
        base_url=options["CLOUDFLARE_BASE_URL"],
        max_retries=1,
    )
    async with stopped as client:
        with pytest.raises(APIConnectionError) as refused:
            await client.accounts.get(account_id=setup.account_id)
    assert not refused.value.reached_server and refused.value.attempts == 2


_PATCH = Endpoint("PATCH", "/accounts/{account_id}/members/{member_id}", Member)


@pytest.mark.parametrize(
    "reply",
    [Reply(drop=True), Reply(status=500, json={}), Reply(status=503, body=b""), Reply(delay=1.0)],
    ids=["reset", "500", "503", "timeout"],
)
async def test_patch_is_never_retried_once_sent(
    reply: Reply, server: RecordingServer, waits: list[float]
) -> None:
    server.add("PATCH", "/accounts/{account_id}/members/{member_id}", reply)
    client = AsyncCloudflare(api_token="t" * 40, base_url=server.base_url, timeout=TIMEOUT)
    async with client:
        with pytest.raises(APIError) as failed:
            await client.accounts.members._core.call(
                _PATCH, {"account_id": "a", "member_id": "m"}, {}, body={"status": "accepted"}
            )
    assert failed.value.attempts == 1
    assert [request.method for request in server.requests] == ["PATCH"]
    assert waits == []


def print_matrix() -> None:
    """The matrix as observed, as a Markdown table (for the closing note)."""

    async def observe() -> dict[tuple[str, str], Observed]:
        return {
            (fault, kind): await run_case(fault, kind) for fault in FAULTS for kind in CALL_KINDS
        }

    observed = asyncio.run(observe())
    print("| fault | " + " | ".join(CALL_KINDS) + " |")
    print("|---" * (len(CALL_KINDS) + 1) + "|")
    for fault in FAULTS:
        cells = []
        for kind in CALL_KINDS:
            cell = observed[fault, kind]
            applied = "" if cell.applied is None else f" (applied {cell.applied})"
            cells.append(cell.outcome + applied)
        print(f"| {fault} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    print_matrix()
