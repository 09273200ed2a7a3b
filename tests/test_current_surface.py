"""Issue 18: the API as the official SDK 5.9 sees it, on top of the reference.

The three data defects (a scope object, unknown fields below the top level,
timestamps UTC cannot hold), the current fields, the current parameters on
the wire, the idempotent retry of ``accounts.create``, and ``result: null``.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from cfaccounts import APIConnectionError, APIResponseValidationError, AsyncCloudflare
from cfaccounts._converter import converter, format_datetime
from cfaccounts.models import (
    AuditListResponse,
    PermissionGroupGetResponseItem,
    PermissionGroupListResponse,
    Scope,
    ScopeObject,
)
from cfaccounts.testing import Fault, Sandbox

from .conftest import ACCOUNT_ID
from .server import BASE_PATH, RecordingServer, envelope

MEMBER_ID = "4536bcfad5faccb111b47003c79917fa"
TOKEN_ID = "ed17574386854bf78a67040be0a770b0"
ACCOUNTS = f"{BASE_PATH}/accounts/{ACCOUNT_ID}"
MEMBER_PATH = "/accounts/{account_id}/members/{member_id}"
TOKEN_PATH = "/accounts/{account_id}/tokens/{token_id}"


def current_member(scope: Any) -> dict[str, Any]:
    return {
        "id": MEMBER_ID,
        "email": "user@example.com",
        "status": "accepted",
        "policies": [
            {
                "id": "p1",
                "access": "allow",
                "permission_groups": [
                    {
                        "id": "g1",
                        "meta": {
                            "category": "dns_and_zones",
                            "deprecated": "false",
                            "description": "Read DNS",
                            "editable": "true",
                            "eol_at": "2030-01-01T00:00:00Z",
                            "label": "dns_read",
                            "scopes": "com.cloudflare.api.account.zone",
                            "visibility": "visible",
                        },
                    }
                ],
                "resource_groups": [{"id": "x", "scope": scope}],
            }
        ],
    }


# -- 1. a resource group's scope: one object today, a list in the reference ------------


@pytest.mark.parametrize(
    "scope",
    [
        {"key": "k", "objects": []},
        {"key": "k", "objects": [{"key": "zone", "new": 1}], "new": 2},
        [{"key": "k", "objects": [{"key": "zone"}]}],
    ],
    ids=["object", "object-with-unknown-keys", "list"],
)
async def test_members_with_either_scope_shape_are_read_and_sent_back_as_received(
    server: RecordingServer, local: AsyncCloudflare, scope: Any
) -> None:
    server.reply_json("GET", MEMBER_PATH, envelope(current_member(scope)))
    server.reply_json("PUT", MEMBER_PATH, envelope(current_member(scope)))

    member = await local.accounts.members.get(MEMBER_ID, account_id=ACCOUNT_ID)

    assert member.policies is not None and member.policies[0].resource_groups is not None
    read = member.policies[0].resource_groups[0].scope
    if isinstance(scope, dict):
        assert isinstance(read, Scope) and read.key == "k"
    else:
        assert read == [Scope(key="k", objects=[ScopeObject(key="zone")])]
    assert member.to_dict() == current_member(scope)

    await local.accounts.members.update(MEMBER_ID, account_id=ACCOUNT_ID, policies=member.policies)
    assert server.requests[-1].json()["policies"] == current_member(scope)["policies"]


# -- 2. unknown fields kept at every depth, both ways ------------------------------------


async def test_unknown_nested_fields_survive_to_dict(
    server: RecordingServer, local: AsyncCloudflare
) -> None:
    account = {
        "id": ACCOUNT_ID,
        "name": "Demo",
        "type": "standard",
        "managed_by": {"new_field": 1},
        "settings": {"enforce_twofactor": True, "new_setting": {"deep": [1, {"x": None}]}},
    }
    server.reply_json("GET", "/accounts/{account_id}", envelope(account))

    read = await local.accounts.get(account_id=ACCOUNT_ID)

    assert read.to_dict() == account
    assert json.loads(read.to_json()) == account


async def test_a_token_policy_sent_back_keeps_unknown_fields_on_the_wire(
    server: RecordingServer, local: AsyncCloudflare
) -> None:
    policies = [
        {
            "id": "pol",
            "effect": "allow",
            "permission_groups": [{"id": "g1", "meta": {"key": "k", "future": "x"}, "name": "G"}],
            "resources": {"com.cloudflare.api.account.*": "*"},
            "future_policy_field": {"a": 1},
        }
    ]
    token = {"id": TOKEN_ID, "name": "t", "policies": policies}
    server.reply_json("GET", TOKEN_PATH, envelope(token))
    server.reply_json("PUT", TOKEN_PATH, envelope(token))

    read = await local.accounts.tokens.get(TOKEN_ID, account_id=ACCOUNT_ID)
    assert read.policies is not None
    await local.accounts.tokens.update(
        TOKEN_ID, account_id=ACCOUNT_ID, name="t", policies=read.policies
    )

    assert server.requests[-1].json()["policies"] == policies


# -- 3. timestamps that parse but do not fit UTC --------------------------------------


@pytest.mark.parametrize("stamp", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-01:00"])
async def test_to_dict_keeps_a_timestamp_utc_cannot_hold(
    server: RecordingServer, local: AsyncCloudflare, stamp: str
) -> None:
    account = {"id": ACCOUNT_ID, "name": "Demo", "type": "standard", "created_on": stamp}
    server.reply_json("GET", "/accounts/{account_id}", envelope(account))

    read = await local.accounts.get(account_id=ACCOUNT_ID)

    assert read.to_dict()["created_on"] == stamp
    assert read.created_on == datetime.fromisoformat(stamp)


def test_a_timestamp_utc_can_hold_is_written_in_utc() -> None:
    moment = datetime(2024, 1, 1, 5, tzinfo=timezone(timedelta(hours=5)))
    assert format_datetime(moment) == "2024-01-01T00:00:00Z"


# -- 4. the current fields ---------------------------------------------------------------


async def test_current_token_and_permission_group_fields(
    server: RecordingServer, local: AsyncCloudflare
) -> None:
    token = {
        "id": TOKEN_ID,
        "creator_email_at_creation": "admin@example.com",
        "provisioner_id": None,
        "provisioner_type": "oauth",
    }
    group = {
        "id": "g1",
        "category": "dns_and_zones",
        "is_selectable": True,
        "name": "DNS Read",
        "scopes": ["com.cloudflare.api.account.zone"],
    }
    server.reply_json("GET", TOKEN_PATH, envelope(token))
    server.reply_json("GET", "/accounts/{account_id}/tokens/permission_groups", envelope([group]))
    server.reply_json("GET", MEMBER_PATH, envelope(current_member({"key": "k", "objects": []})))

    read = await local.accounts.tokens.get(TOKEN_ID, account_id=ACCOUNT_ID)
    assert (read.creator_email_at_creation, read.provisioner_type) == ("admin@example.com", "oauth")
    assert read.extra == {}

    listed = (await local.accounts.tokens.permission_groups.list(account_id=ACCOUNT_ID)).result
    got = await local.accounts.tokens.permission_groups.get(account_id=ACCOUNT_ID)
    assert type(listed[0]) is PermissionGroupListResponse
    assert type(got[0]) is PermissionGroupGetResponseItem
    assert repr(got[0]).startswith("PermissionGroupGetResponseItem(")
    for item in (listed[0], got[0]):
        assert (item.category, item.is_selectable, item.extra) == ("dns_and_zones", True, {})

    member = await local.accounts.members.get(MEMBER_ID, account_id=ACCOUNT_ID)
    assert member.policies is not None and member.policies[0].permission_groups is not None
    meta = member.policies[0].permission_groups[0].meta
    assert meta is not None and meta.extra == {}
    assert (meta.category, meta.label, meta.eol_at) == (
        "dns_and_zones",
        "dns_read",
        datetime(2030, 1, 1, tzinfo=UTC),
    )


def test_audit_actor_current_values() -> None:
    entry = converter.structure(
        {"actor": {"context": "api", "type": "delegated_service"}}, AuditListResponse
    )
    assert entry.actor is not None
    assert (entry.actor.context, entry.actor.type) == ("api", "delegated_service")


# -- 5. the current parameters, on the wire ----------------------------------------------


async def test_accounts_create_standalone_with_an_idempotency_key(
    server: RecordingServer, local: AsyncCloudflare
) -> None:
    created = {"id": ACCOUNT_ID, "name": "Free", "type": "standard"}
    server.reply_json("POST", "/accounts", envelope(created))

    await local.accounts.create(name="Free", standalone=True, idempotency_key="req-0001")

    request = server.requests[-1]
    assert (request.method, request.path) == ("POST", f"{BASE_PATH}/accounts")
    assert request.headers["Idempotency-Key"] == "req-0001"
    assert request.json() == {"name": "Free", "standalone": True}


async def test_no_idempotency_key_header_without_a_key(
    server: RecordingServer, local: AsyncCloudflare
) -> None:
    server.reply_json("POST", "/accounts", envelope({"id": "a", "name": "n", "type": "standard"}))
    await local.accounts.create(name="n")
    assert "Idempotency-Key" not in server.requests[-1].headers


@pytest.mark.parametrize("key", ["", "two words", "line\nbreak", "ключ"])
async def test_a_bad_idempotency_key_is_refused_before_sending(
    server: RecordingServer, local: AsyncCloudflare, key: str
) -> None:
    with pytest.raises(ValueError, match="idempotency_key"):
        await local.accounts.create(name="n", idempotency_key=key)
    assert server.requests == []


async def test_tokens_list_include_expired_and_audit_product_category(
    server: RecordingServer, local: AsyncCloudflare
) -> None:
    server.reply_json("GET", "/accounts/{account_id}/tokens", envelope([]))
    server.reply_json("GET", "/accounts/{account_id}/logs/audit", envelope([]))

    await local.accounts.tokens.list(account_id=ACCOUNT_ID, include_expired=True)
    assert server.requests[-1].query == [("include_expired", "true")]

    await local.accounts.logs.audit.list(
        account_id=ACCOUNT_ID,
        since="2024-01-01",
        before="2024-02-01",
        product_category=["dns_and_zones", "media"],
        actor_context={"not": ["api"]},
        actor_type={"not_": ["delegated_service"]},
        resource_scope={"not": ["memberships"]},
    )
    assert server.requests[-1].query == [
        ("before", "2024-02-01"),
        ("since", "2024-01-01"),
        ("actor_context.not", "api"),
        ("actor_type.not", "delegated_service"),
        ("product_category", "dns_and_zones"),
        ("product_category", "media"),
        ("resource_scope.not", "memberships"),
    ]


async def test_token_roll_with_and_without_a_body(
    server: RecordingServer, local: AsyncCloudflare
) -> None:
    server.reply_json("PUT", TOKEN_PATH + "/value", envelope("new-secret-value"))

    await local.accounts.tokens.value.update(TOKEN_ID, account_id=ACCOUNT_ID)
    await local.accounts.tokens.value.update(TOKEN_ID, account_id=ACCOUNT_ID, body={})

    assert [request.body for request in server.requests] == [b"{}", b"{}"]


async def test_accounts_update_does_not_send_read_only_managed_by(
    server: RecordingServer, local: AsyncCloudflare
) -> None:
    account = {"id": ACCOUNT_ID, "name": "n", "type": "standard"}
    server.reply_json("PUT", "/accounts/{account_id}", envelope(account))

    await local.accounts.update(
        account_id=ACCOUNT_ID,
        id=ACCOUNT_ID,
        name="n",
        type="standard",
        managed_by={"parent_org_id": "org"},
        settings={"enforce_twofactor": True},
    )

    assert server.requests[-1].json() == {
        "id": ACCOUNT_ID,
        "name": "n",
        "type": "standard",
        "settings": {"enforce_twofactor": True},
    }


# -- 5. the idempotent retry of accounts.create, against the sandbox --------------------


async def test_accounts_create_with_a_key_is_retried_after_reaching_the_server(
    waits: list[float],
) -> None:
    async with Sandbox(accounts=1, members_per_account=1, tokens_per_account=1) as sandbox:
        before = len(sandbox.store.accounts)
        # Carried out, then the connection drops before the answer: the client cannot know.
        sandbox.inject(Fault.disconnect("after_read"), "POST /accounts")
        sandbox.inject(Fault.error(503), "POST /accounts")
        async with sandbox.client() as client:
            account = await client.accounts.create(name="Once", idempotency_key="create-once")
            again = await client.accounts.create(name="Once", idempotency_key="create-once")

        assert sandbox.received("POST /accounts") == 4
        assert len(sandbox.store.accounts) == before + 1
        assert account.id == again.id
        assert [a.name for a in (account, again)] == ["Once", "Once"]
        assert len(waits) == 2


async def test_accounts_create_without_a_key_is_not_retried_after_reaching_the_server(
    waits: list[float],
) -> None:
    async with Sandbox(accounts=1, members_per_account=1, tokens_per_account=1) as sandbox:
        before = len(sandbox.store.accounts)
        sandbox.inject(Fault.disconnect("after_read"), "POST /accounts")
        async with sandbox.client() as client:
            with pytest.raises(APIConnectionError) as caught:
                await client.accounts.create(name="Once")

        assert caught.value.reached_server
        assert sandbox.received("POST /accounts") == 1
        assert len(sandbox.store.accounts) == before + 1
        assert waits == []


# -- the sandbox serves the current shapes ---------------------------------------------


async def test_sandbox_omits_expired_tokens_unless_asked() -> None:
    async with (
        Sandbox(accounts=1, members_per_account=1, tokens_per_account=40) as sandbox,
        sandbox.client() as client,
    ):
        account_id = sandbox.account_ids[0]
        now = datetime.now(UTC)
        current = [t async for t in client.accounts.tokens.list(account_id=account_id)]
        every = [
            t
            async for t in client.accounts.tokens.list(account_id=account_id, include_expired=True)
        ]

    def expired(token: Any) -> bool:
        return token.expires_on is not None and token.expires_on < now

    assert len(every) == 40
    assert any(expired(t) for t in every)
    assert not any(expired(t) for t in current)
    assert {t.id for t in current} == {t.id for t in every if not expired(t)}
    assert all(t.creator_email_at_creation for t in every)


async def test_sandbox_serves_scope_objects_and_permission_group_categories() -> None:
    async with (
        Sandbox(accounts=1, members_per_account=60, tokens_per_account=1) as sandbox,
        sandbox.client() as client,
    ):
        account_id = sandbox.account_ids[0]
        members = [m async for m in client.accounts.members.list(account_id=account_id)]
        groups = (await client.accounts.tokens.permission_groups.list(account_id=account_id)).result

    scopes = [
        group.scope
        for member in members
        for policy in member.policies or []
        for group in policy.resource_groups or []
    ]
    assert scopes and all(isinstance(scope, Scope) for scope in scopes)
    assert all(group.category and group.is_selectable is not None for group in groups)


# -- 6. result: null -------------------------------------------------------------------

SINGLE_OBJECT_CALLS: dict[str, tuple[str, str, Callable[[Any], Awaitable[object]]]] = {
    "accounts.get": ("GET", "/accounts/{account_id}", lambda a: a.get(account_id=ACCOUNT_ID)),
    "accounts.create": ("POST", "/accounts", lambda a: a.create(name="n")),
    "accounts.update": (
        "PUT",
        "/accounts/{account_id}",
        lambda a: a.update(account_id=ACCOUNT_ID, id=ACCOUNT_ID, name="n", type="standard"),
    ),
    "accounts.delete": (
        "DELETE",
        "/accounts/{account_id}",
        lambda a: a.delete(account_id=ACCOUNT_ID),
    ),
    "members.get": ("GET", MEMBER_PATH, lambda a: a.members.get(MEMBER_ID, account_id=ACCOUNT_ID)),
    "members.create": (
        "POST",
        "/accounts/{account_id}/members",
        lambda a: a.members.create(account_id=ACCOUNT_ID, email="e@example.com", roles=["r"]),
    ),
    "members.update": (
        "PUT",
        MEMBER_PATH,
        lambda a: a.members.update(MEMBER_ID, account_id=ACCOUNT_ID, roles=[{"id": "r"}]),
    ),
    "members.delete": (
        "DELETE",
        MEMBER_PATH,
        lambda a: a.members.delete(MEMBER_ID, account_id=ACCOUNT_ID),
    ),
    "roles.get": (
        "GET",
        "/accounts/{account_id}/roles/{role_id}",
        lambda a: a.roles.get("r", account_id=ACCOUNT_ID),
    ),
    "subscriptions.create": (
        "POST",
        "/accounts/{account_id}/subscriptions",
        lambda a: a.subscriptions.create(account_id=ACCOUNT_ID),
    ),
    "subscriptions.update": (
        "PUT",
        "/accounts/{account_id}/subscriptions/{sub}",
        lambda a: a.subscriptions.update("s", account_id=ACCOUNT_ID),
    ),
    "subscriptions.delete": (
        "DELETE",
        "/accounts/{account_id}/subscriptions/{sub}",
        lambda a: a.subscriptions.delete("s", account_id=ACCOUNT_ID),
    ),
    "tokens.get": ("GET", TOKEN_PATH, lambda a: a.tokens.get(TOKEN_ID, account_id=ACCOUNT_ID)),
    "tokens.create": (
        "POST",
        "/accounts/{account_id}/tokens",
        lambda a: a.tokens.create(account_id=ACCOUNT_ID, name="t", policies=[]),
    ),
    "tokens.update": (
        "PUT",
        TOKEN_PATH,
        lambda a: a.tokens.update(TOKEN_ID, account_id=ACCOUNT_ID, name="t", policies=[]),
    ),
    "tokens.delete": (
        "DELETE",
        TOKEN_PATH,
        lambda a: a.tokens.delete(TOKEN_ID, account_id=ACCOUNT_ID),
    ),
    "tokens.verify": (
        "GET",
        "/accounts/{account_id}/tokens/verify",
        lambda a: a.tokens.verify(account_id=ACCOUNT_ID),
    ),
    "permission_groups.get": (
        "GET",
        "/accounts/{account_id}/tokens/permission_groups",
        lambda a: a.tokens.permission_groups.get(account_id=ACCOUNT_ID),
    ),
    "tokens.value.update": (
        "PUT",
        TOKEN_PATH + "/value",
        lambda a: a.tokens.value.update(TOKEN_ID, account_id=ACCOUNT_ID),
    ),
}


@pytest.mark.parametrize("call", SINGLE_OBJECT_CALLS)
async def test_a_null_result_raises_on_every_single_object_call(
    server: RecordingServer, local: AsyncCloudflare, call: str
) -> None:
    method, path, invoke = SINGLE_OBJECT_CALLS[call]
    server.reply_json(method, path, {"success": True, "errors": [], "messages": [], "result": None})

    with pytest.raises(APIResponseValidationError, match="the result is null") as caught:
        await invoke(local.accounts)

    assert caught.value.status_code == 200
    assert len(server.requests) == 1
