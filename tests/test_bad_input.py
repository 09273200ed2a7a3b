"""Bad input from users: a clear error naming the argument, and nothing sent.

Every call of the reference is made with its own example's arguments, with
one of them spoiled at a time: each path id replaced by every kind of unsafe
id, each argument given a value of no acceptable type, and an unknown keyword
added. The recording server must see no request at all.
"""

from __future__ import annotations

import ast
import inspect
import re
import typing
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest

from cfaccounts import AsyncCloudflare

from .conftest import EXAMPLES, TOKEN
from .server import RecordingServer

UNSAFE_IDS = ["", " ", "\t", "a/b", "..", ".", "%2e%2e", "a\x00b", "naïve", "ünïcode", "a\nb"]


def example_arguments(entry: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments the reference example passes to its call."""
    for node in ast.walk(ast.parse(entry["example"])):
        if isinstance(node, ast.Call) and ast.unparse(node.func) == f"client.{entry['call']}":
            namespace = {"date": date, "datetime": datetime}
            return {
                keyword.arg: eval(ast.unparse(keyword.value), namespace)  # noqa: S307 - the reference's literals
                for keyword in node.keywords
                if keyword.arg is not None
            }
    raise AssertionError(f"no call in the example of {entry['call']}")


def method_of(client: AsyncCloudflare, call: str) -> Any:
    target: Any = client
    for part in call.split("."):
        target = getattr(target, part)
    return target


def path_ids(entry: dict[str, Any]) -> list[str]:
    return re.findall(r"\{(\w+)\}", entry["path"])


def spoilable(entry: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(call, argument) for every argument of every call that has a checked type."""
    client = AsyncCloudflare(api_token=TOKEN)
    hints = typing.get_type_hints(method_of(client, entry["call"]))
    for name, hint in hints.items():
        if name not in ("return", "options") and Any not in (*typing.get_args(hint), hint):
            yield entry["call"], name


CASES = [case for entry in EXAMPLES for case in spoilable(entry)]
ENTRIES = {entry["call"]: entry for entry in EXAMPLES}


async def _call(method: Any, arguments: dict[str, Any]) -> Any:
    """Call and, for a coroutine or a listing's first page, await."""
    result = method(**arguments)
    return await result if inspect.isawaitable(result) else result


async def _refused(
    server: RecordingServer, call: str, arguments: dict[str, Any], *, naming: str
) -> BaseException:
    async with AsyncCloudflare(api_token=TOKEN, base_url=server.base_url) as client:
        method = method_of(client, call)
        with pytest.raises((TypeError, ValueError)) as refused:
            await _call(method, arguments)
    assert re.search(rf"\b{naming}\b", str(refused.value)), str(refused.value)
    assert server.requests == []
    return refused.value


@pytest.mark.parametrize("bad_id", UNSAFE_IDS, ids=repr)
@pytest.mark.parametrize(
    ("call", "name"),
    [(entry["call"], name) for entry in EXAMPLES for name in path_ids(entry)],
)
async def test_unsafe_ids_are_refused_naming_the_argument(
    call: str, name: str, bad_id: str, server: RecordingServer
) -> None:
    arguments = {**example_arguments(ENTRIES[call]), name: bad_id}
    await _refused(server, call, arguments, naming=name)


@pytest.mark.parametrize(("call", "name"), CASES)
async def test_a_value_of_no_acceptable_type_is_refused_naming_the_argument(
    call: str, name: str, server: RecordingServer
) -> None:
    arguments = {**example_arguments(ENTRIES[call]), name: object()}
    error = await _refused(server, call, arguments, naming=name)
    assert isinstance(error, TypeError) and "got object" in str(error)


@pytest.mark.parametrize("call", list(ENTRIES))
async def test_an_unknown_keyword_argument_is_refused(call: str, server: RecordingServer) -> None:
    arguments = {**example_arguments(ENTRIES[call]), "acount_id": "typo"}
    await _refused(server, call, arguments, naming="acount_id")


@pytest.mark.parametrize(
    ("call", "name", "value", "message"),
    [
        ("accounts.get", "account_id", ["a"], "account_id must be a str, got list"),
        ("accounts.members.create", "email", ["a@example.com"], "email must be a str, got list"),
        ("accounts.members.create", "roles", "r1", "roles must be a list or None, got str"),
        ("accounts.members.create", "roles", [1], r"roles\[0\] must be a str, got int"),
        ("accounts.members.list", "per_page", "50", "per_page must be a number or None, got str"),
        ("accounts.members.list", "page", True, "page must be a number or None, got bool"),
        (
            "accounts.tokens.create",
            "expires_on",
            datetime(2030, 1, 1),
            "expires_on must be timezone-aware",
        ),
        (
            "accounts.logs.audit.list",
            "since",
            datetime(2024, 10, 30),
            "since must be timezone-aware",
        ),
        (
            "accounts.tokens.create",
            "policies",
            [{"effect": "allow", "permision_groups": [], "resources": {}}],
            r"policies\[0\] has an unknown key 'permision_groups'",
        ),
        (
            "accounts.tokens.create",
            "policies",
            [{"effect": "allow", "resources": {}}],
            r"policies\[0\] needs the key 'permission_groups'",
        ),
        (
            "accounts.logs.audit.list",
            "actor_email",
            {"not": "a@example.com"},
            r"actor_email.not must be a list, got str",
        ),
    ],
)
async def test_type_confusions_get_a_precise_message(
    call: str, name: str, value: Any, message: str, server: RecordingServer
) -> None:
    arguments = {**example_arguments(ENTRIES[call]), name: value}
    error = await _refused(server, call, arguments, naming=name)
    assert re.search(message, str(error)), str(error)


async def test_aware_datetimes_dates_and_generators_are_accepted(server: RecordingServer) -> None:
    server.reply_json(
        "POST", "/accounts/{account_id}/tokens", ENTRIES["accounts.tokens.create"]["response"]
    )
    arguments = example_arguments(ENTRIES["accounts.tokens.create"])
    policies = arguments["policies"]
    async with AsyncCloudflare(api_token=TOKEN, base_url=server.base_url) as client:
        await client.accounts.tokens.create(
            **{
                **arguments,
                "policies": (policy for policy in policies),
                "expires_on": datetime(2030, 1, 1, tzinfo=UTC),
            }
        )
    body = server.requests[0].json()
    assert body["policies"] == policies and body["expires_on"] == "2030-01-01T00:00:00Z"
