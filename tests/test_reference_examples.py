"""Every example of the API reference, with the import changed to cfaccounts,
the client to AsyncCloudflare and each call awaited, prints what the
reference's response example implies."""

from __future__ import annotations

import contextlib
import io
import re
import textwrap
from typing import Any

import pytest

from .conftest import EXAMPLES
from .server import RecordingServer

CALL = re.compile(r"\b(client\.accounts\.[\w.]+\()")


def as_async(example: str) -> str:
    code = example.replace(
        "from cloudflare import Cloudflare", "from cfaccounts import AsyncCloudflare"
    )
    code = code.replace("client = Cloudflare(", "client = AsyncCloudflare(")
    code = CALL.sub(r"await \1", code)
    return "async def main():\n" + textwrap.indent(code, "    ") + "\n    return client\n"


def expected_output(example: str, response: dict[str, Any]) -> str:
    printed = re.search(r"print\((\w+)(?:\.(\w+))?\)", example)
    assert printed is not None
    result = response["result"]
    if isinstance(result, list) and printed.group(2):
        return str(result[0][printed.group(2)])
    if printed.group(2):
        return str(result[printed.group(2)])
    return str(result)


def prepare_examples(server: RecordingServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """Serve every reference response, with the environment the examples read."""
    serve_reference(server)
    monkeypatch.setenv("CLOUDFLARE_BASE_URL", server.base_url)
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", "example-token")
    monkeypatch.setenv("CLOUDFLARE_EMAIL", "user@example.com")
    monkeypatch.setenv("CLOUDFLARE_API_KEY", "example-key")


def serve_reference(server: RecordingServer) -> None:
    for entry in EXAMPLES:
        server.reply_json(entry["method"], entry["path"], entry["response"])


@pytest.mark.parametrize("entry", EXAMPLES, ids=[e["call"] for e in EXAMPLES])
async def test_reference_example_runs_on_async_client(
    entry: dict[str, Any], server: RecordingServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    prepare_examples(server, monkeypatch)
    namespace: dict[str, Any] = {}
    exec(as_async(entry["example"]), namespace)  # noqa: S102 - the reference's own examples
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        client = await namespace["main"]()
    await client.close()

    assert [(r.method, r.path.split("/client/v4")[1]) for r in server.requests] == [
        (
            entry["method"],
            re.sub(r"\{\w+\}", lambda m: _example_arg(entry, m.group(0)), entry["path"]),
        )
    ]
    if entry["call"] == "accounts.tokens.permission_groups.get":
        ids = [group["id"] for group in entry["response"]["result"]]
        assert out.getvalue().startswith("[PermissionGroupGetResponseItem(")
        assert all(f"id='{group_id}'" in out.getvalue() for group_id in ids)
    else:
        assert out.getvalue() == expected_output(entry["example"], entry["response"]) + "\n"


def _example_arg(entry: dict[str, Any], placeholder: str) -> str:
    name = placeholder.strip("{}")
    found = re.search(rf'{name}="([^"]*)"', entry["example"])
    assert found is not None
    return found.group(1)
