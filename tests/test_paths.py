"""Path ids: validated before anything is sent, and never able to change the path."""

from __future__ import annotations

import pytest

from cfaccounts import AsyncCloudflare

from .conftest import ACCOUNT_ID
from .server import RecordingServer


@pytest.mark.parametrize(
    "bad_id",
    ["", ".", "..", "a/../b", "a/b", "%2e%2e", "a\\b", "a\x00b", "ünïcode", " ", "a b", "a\n"],
)
async def test_unsafe_ids_are_refused_before_sending(
    bad_id: str, server: RecordingServer, local: AsyncCloudflare
) -> None:
    with pytest.raises(ValueError, match="member_id"):
        await local.accounts.members.get(bad_id, account_id=ACCOUNT_ID)
    with pytest.raises(ValueError, match="account_id"):
        await local.accounts.members.get("m1", account_id=bad_id)
    assert server.requests == []


async def test_non_string_id_is_a_type_error(
    server: RecordingServer, local: AsyncCloudflare
) -> None:
    with pytest.raises(TypeError, match="account_id must be a str, got list"):
        await local.accounts.get(account_id=["a"])  # type: ignore[arg-type]
    assert server.requests == []


async def test_reserved_characters_are_percent_encoded(
    server: RecordingServer, local: AsyncCloudflare
) -> None:
    server.reply_json(
        "GET",
        "/accounts/{account_id}/tokens/{token_id}",
        {"success": True, "result": {"id": "a:b@c?d#e"}},
    )
    token = await local.accounts.tokens.get("a:b@c?d#e", account_id=ACCOUNT_ID)
    assert token.id == "a:b@c?d#e"
    assert server.requests[0].path.endswith("/tokens/a%3Ab%40c%3Fd%23e")
