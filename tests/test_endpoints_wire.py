"""Members, roles, subscriptions, tokens, permission groups, token roll and
audit logs: the exact wire request of each call, against a real loopback
server answering with the reference's response examples."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from cfaccounts import AsyncCloudflare
from cfaccounts.models import (
    AuditListResponse,
    Condition,
    ConditionRequestIP,
    Member,
    MemberDeleteResponse,
    PermissionGroupListResponse,
    Role,
    Subscription,
    SubscriptionDeleteResponse,
    Token,
    TokenCreateResponse,
    TokenDeleteResponse,
    TokenValue,
    TokenVerifyResponse,
)

from .conftest import ACCOUNT_ID, TOKEN, reference
from .server import BASE_PATH, Recorded, RecordingServer

MEMBER_ID = "4536bcfad5faccb111b47003c79917fa"
ROLE_ID = "3536bcfad5faccb999b47003c79917fb"
SUB_ID = "506e3185e9c882d175a2d0cb0093d9f2"
TOKEN_ID = "ed17574386854bf78a67040be0a770b0"
ACCOUNTS = f"{BASE_PATH}/accounts/{ACCOUNT_ID}"
POLICY = {
    "effect": "allow",
    "permission_groups": [{"id": "c8fed203ed3043cba015a93ad1616f1f"}],
    "resources": {"com.cloudflare.api.account.*": "*"},
}


def serve(server: RecordingServer, call: str) -> dict[str, Any]:
    entry = reference(call)
    response: dict[str, Any] = entry["response"]
    server.reply_json(entry["method"], entry["path"], response)
    return response


def only(server: RecordingServer) -> Recorded:
    assert len(server.requests) == 1
    request = server.requests[0]
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    return request


async def test_members_list(server: RecordingServer, local: AsyncCloudflare) -> None:
    serve(server, "accounts.members.list")
    page = await local.accounts.members.list(
        account_id=ACCOUNT_ID,
        direction="asc",
        order="user.email",
        page=3,
        per_page=50.0,
        status="pending",
    )
    request = only(server)
    assert (request.method, request.path) == ("GET", f"{ACCOUNTS}/members")
    assert request.query == [
        ("direction", "asc"),
        ("order", "user.email"),
        ("page", "3"),
        ("per_page", "50"),
        ("status", "pending"),
    ]
    member = page.result[0]
    assert isinstance(member, Member)
    assert member.id == MEMBER_ID and member.status == "accepted"
    assert member.user is not None and member.user.two_factor_authentication_enabled is True
    assert member.roles is not None
    zones = member.roles[0].permissions.zones
    assert zones is not None and zones.write is True
    assert member.policies is not None
    group = member.policies[0].resource_groups[0]  # type: ignore[index]
    assert isinstance(group.scope, list)  # the reference's shape, kept
    assert group.scope[0].objects[0].key.endswith("23f8d65290b24279ba6f44721b3eaad5")


async def test_members_get(server: RecordingServer, local: AsyncCloudflare) -> None:
    serve(server, "accounts.members.get")
    member = await local.accounts.members.get(MEMBER_ID, account_id=ACCOUNT_ID)
    request = only(server)
    assert (request.method, request.path, request.query) == (
        "GET",
        f"{ACCOUNTS}/members/{MEMBER_ID}",
        [],
    )
    assert member.email == "user@example.com"


async def test_members_create_with_roles(server: RecordingServer, local: AsyncCloudflare) -> None:
    serve(server, "accounts.members.create")
    member = await local.accounts.members.create(
        account_id=ACCOUNT_ID,
        email="user@example.com",
        roles=[ROLE_ID],
        status="accepted",
    )
    request = only(server)
    assert (request.method, request.path) == ("POST", f"{ACCOUNTS}/members")
    assert request.headers["Content-Type"] == "application/json"
    assert request.json() == {"email": "user@example.com", "roles": [ROLE_ID], "status": "accepted"}
    assert member.id == MEMBER_ID


async def test_members_create_with_policies(
    server: RecordingServer, local: AsyncCloudflare
) -> None:
    serve(server, "accounts.members.create")
    policy = {
        "access": "allow",
        "permission_groups": [{"id": "c8fed203ed3043cba015a93ad1616f1f"}],
        "resource_groups": [{"id": "6d7f2f5f5b1d4a0e9081fdc98d432fd1"}],
    }
    await local.accounts.members.create(
        account_id=ACCOUNT_ID,
        email="user@example.com",
        policies=(p for p in [policy]),  # type: ignore[misc]
    )
    assert only(server).json() == {"email": "user@example.com", "policies": [policy]}


async def test_members_update_sends_roles_read_back_from_the_api(
    server: RecordingServer, local: AsyncCloudflare
) -> None:
    response = serve(server, "accounts.members.update")
    serve(server, "accounts.roles.get")
    role = await local.accounts.roles.get(ROLE_ID, account_id=ACCOUNT_ID)
    server.requests.clear()
    member = await local.accounts.members.update(MEMBER_ID, account_id=ACCOUNT_ID, roles=[role])
    request = only(server)
    assert (request.method, request.path) == ("PUT", f"{ACCOUNTS}/members/{MEMBER_ID}")
    # Only the id, as the API expects (issue 18): the rest of a role is the API's to say.
    assert request.json()["roles"] == [{"id": ROLE_ID}]
    assert member.id == response["result"]["id"]


async def test_members_update_with_policies(
    server: RecordingServer, local: AsyncCloudflare
) -> None:
    serve(server, "accounts.members.update")
    policy = {
        "access": "deny",
        "permission_groups": [{"id": "g"}],
        "resource_groups": [{"id": "r"}],
    }
    await local.accounts.members.update(
        MEMBER_ID,
        account_id=ACCOUNT_ID,
        policies=[policy],  # type: ignore[list-item]
    )
    assert only(server).json() == {"policies": [policy]}


async def test_members_delete(server: RecordingServer, local: AsyncCloudflare) -> None:
    response = serve(server, "accounts.members.delete")
    deleted = await local.accounts.members.delete(member_id=MEMBER_ID, account_id=ACCOUNT_ID)
    request = only(server)
    assert (request.method, request.path, request.body) == (
        "DELETE",
        f"{ACCOUNTS}/members/{MEMBER_ID}",
        b"",
    )
    assert deleted == MemberDeleteResponse(id=response["result"]["id"])


async def test_roles_list(server: RecordingServer, local: AsyncCloudflare) -> None:
    serve(server, "accounts.roles.list")
    page = await local.accounts.roles.list(account_id=ACCOUNT_ID, page=1, per_page=20)
    request = only(server)
    assert (request.method, request.path) == ("GET", f"{ACCOUNTS}/roles")
    assert request.query == [("page", "1"), ("per_page", "20")]
    assert isinstance(page.result[0], Role)
    assert page.result[0].name


async def test_roles_get(server: RecordingServer, local: AsyncCloudflare) -> None:
    serve(server, "accounts.roles.get")
    role = await local.accounts.roles.get(ROLE_ID, account_id=ACCOUNT_ID)
    assert (only(server).method, only(server).path) == ("GET", f"{ACCOUNTS}/roles/{ROLE_ID}")
    assert role.id == ROLE_ID
    assert role.permissions.analytics is not None and role.permissions.analytics.read is True


async def test_subscriptions_get_is_a_single_page(
    server: RecordingServer, local: AsyncCloudflare
) -> None:
    response = serve(server, "accounts.subscriptions.get")
    page = await local.accounts.subscriptions.get(account_id=ACCOUNT_ID)
    request = only(server)
    assert (request.method, request.path, request.query) == (
        "GET",
        f"{ACCOUNTS}/subscriptions",
        [],
    )
    subscription = page.result[0]
    assert isinstance(subscription, Subscription)
    assert subscription.id == response["result"][0]["id"]
    assert subscription.rate_plan is not None
    assert isinstance(subscription.current_period_end, datetime)
    assert not page.has_next_page()
    assert [s.id async for s in local.accounts.subscriptions.get(account_id=ACCOUNT_ID)] == [
        subscription.id
    ]
    assert len(server.requests) == 2


async def test_subscriptions_create(server: RecordingServer, local: AsyncCloudflare) -> None:
    serve(server, "accounts.subscriptions.create")
    subscription = await local.accounts.subscriptions.create(
        account_id=ACCOUNT_ID, frequency="monthly", rate_plan={"id": "pro", "sets": ["a"]}
    )
    request = only(server)
    assert (request.method, request.path) == ("POST", f"{ACCOUNTS}/subscriptions")
    assert request.json() == {"frequency": "monthly", "rate_plan": {"id": "pro", "sets": ["a"]}}
    assert subscription.id == SUB_ID


async def test_subscriptions_update(server: RecordingServer, local: AsyncCloudflare) -> None:
    serve(server, "accounts.subscriptions.update")
    subscription = await local.accounts.subscriptions.update(
        subscription_identifier=SUB_ID, account_id=ACCOUNT_ID, frequency="yearly"
    )
    request = only(server)
    assert (request.method, request.path) == ("PUT", f"{ACCOUNTS}/subscriptions/{SUB_ID}")
    assert request.json() == {"frequency": "yearly"}
    assert subscription.id == SUB_ID


async def test_subscriptions_delete(server: RecordingServer, local: AsyncCloudflare) -> None:
    serve(server, "accounts.subscriptions.delete")
    deleted = await local.accounts.subscriptions.delete(SUB_ID, account_id=ACCOUNT_ID)
    request = only(server)
    assert (request.method, request.path) == ("DELETE", f"{ACCOUNTS}/subscriptions/{SUB_ID}")
    assert deleted == SubscriptionDeleteResponse(subscription_id=SUB_ID)


async def test_tokens_list(server: RecordingServer, local: AsyncCloudflare) -> None:
    serve(server, "accounts.tokens.list")
    page = await local.accounts.tokens.list(account_id=ACCOUNT_ID, direction="desc", per_page=10)
    request = only(server)
    assert (request.method, request.path) == ("GET", f"{ACCOUNTS}/tokens")
    assert request.query == [("direction", "desc"), ("per_page", "10")]
    token = page.result[0]
    assert isinstance(token, Token)
    assert token.condition == Condition(
        request_ip=ConditionRequestIP(
            in_=["123.123.123.0/24", "2606:4700::/32"],
            not_in=["123.123.123.100/24", "2606:4700:4700::/48"],
        )
    )
    assert token.expires_on == datetime(2020, 1, 1, tzinfo=UTC)
    assert token.policies is not None and token.policies[0].resources == {"foo": "string"}


async def test_tokens_get(server: RecordingServer, local: AsyncCloudflare) -> None:
    serve(server, "accounts.tokens.get")
    token = await local.accounts.tokens.get(TOKEN_ID, account_id=ACCOUNT_ID)
    assert only(server).path == f"{ACCOUNTS}/tokens/{TOKEN_ID}"
    assert token.name == "readonly token" and token.status == "active"


async def test_tokens_create_with_condition_and_datetimes(
    server: RecordingServer, local: AsyncCloudflare
) -> None:
    serve(server, "accounts.tokens.create")
    created = await local.accounts.tokens.create(
        account_id=ACCOUNT_ID,
        name="readonly token",
        policies=[POLICY],  # type: ignore[list-item]
        condition={"request_ip": {"in_": ["10.0.0.0/8"], "not_in": ["10.1.0.0/16"]}},
        expires_on=datetime(2030, 1, 1, 2, 0, tzinfo=timezone(timedelta(hours=2))),
        not_before=datetime(2029, 1, 1, tzinfo=UTC),
    )
    request = only(server)
    assert (request.method, request.path) == ("POST", f"{ACCOUNTS}/tokens")
    assert request.json() == {
        "name": "readonly token",
        "policies": [POLICY],
        "condition": {"request_ip": {"in": ["10.0.0.0/8"], "not_in": ["10.1.0.0/16"]}},
        "expires_on": "2030-01-01T00:00:00Z",
        "not_before": "2029-01-01T00:00:00Z",
    }
    assert isinstance(created, TokenCreateResponse)
    assert created.value == "8M7wS6hCpXVc-DoRnPPY_UCWPgy8aea4Wy6kCe5T"
    assert "8M7wS6hC" not in repr(created)


async def test_tokens_update(server: RecordingServer, local: AsyncCloudflare) -> None:
    serve(server, "accounts.tokens.update")
    token = await local.accounts.tokens.update(
        TOKEN_ID,
        account_id=ACCOUNT_ID,
        name="renamed",
        policies=[POLICY],  # type: ignore[list-item]
        condition={"request_ip": {"in": ["192.0.2.0/24"]}},
        status="disabled",
    )
    request = only(server)
    assert (request.method, request.path) == ("PUT", f"{ACCOUNTS}/tokens/{TOKEN_ID}")
    assert request.json() == {
        "name": "renamed",
        "policies": [POLICY],
        "condition": {"request_ip": {"in": ["192.0.2.0/24"]}},
        "status": "disabled",
    }
    assert token.id == TOKEN_ID


async def test_tokens_delete(server: RecordingServer, local: AsyncCloudflare) -> None:
    serve(server, "accounts.tokens.delete")
    deleted = await local.accounts.tokens.delete(TOKEN_ID, account_id=ACCOUNT_ID)
    request = only(server)
    assert (request.method, request.path) == ("DELETE", f"{ACCOUNTS}/tokens/{TOKEN_ID}")
    assert isinstance(deleted, TokenDeleteResponse)


async def test_tokens_verify(server: RecordingServer, local: AsyncCloudflare) -> None:
    serve(server, "accounts.tokens.verify")
    serve(server, "accounts.tokens.get")
    verified = await local.accounts.tokens.verify(account_id=ACCOUNT_ID)
    request = only(server)
    assert (request.method, request.path) == ("GET", f"{ACCOUNTS}/tokens/verify")
    assert verified == TokenVerifyResponse(
        id=TOKEN_ID,
        status="active",
        expires_on=datetime(2020, 1, 1, tzinfo=UTC),
        not_before=datetime(2018, 7, 1, 5, 20, tzinfo=UTC),
    )


async def test_permission_groups_list_with_filters(
    server: RecordingServer, local: AsyncCloudflare
) -> None:
    serve(server, "accounts.tokens.permission_groups.list")
    page = await local.accounts.tokens.permission_groups.list(
        account_id=ACCOUNT_ID, name="Zone Read", scope="com.cloudflare.api.account.zone"
    )
    request = only(server)
    assert (request.method, request.path) == ("GET", f"{ACCOUNTS}/tokens/permission_groups")
    assert request.query == [("name", "Zone Read"), ("scope", "com.cloudflare.api.account.zone")]
    assert all(isinstance(g, PermissionGroupListResponse) for g in page.result)
    assert page.result and not page.has_next_page()


async def test_permission_groups_get_returns_a_list(
    server: RecordingServer, local: AsyncCloudflare
) -> None:
    response = serve(server, "accounts.tokens.permission_groups.get")
    groups = await local.accounts.tokens.permission_groups.get(account_id=ACCOUNT_ID)
    assert only(server).path == f"{ACCOUNTS}/tokens/permission_groups"
    assert isinstance(groups, list)
    assert [g.id for g in groups] == [g["id"] for g in response["result"]]


async def test_token_roll_puts_empty_object_and_returns_the_secret(
    server: RecordingServer, local: AsyncCloudflare
) -> None:
    serve(server, "accounts.tokens.value.update")
    value = await local.accounts.tokens.value.update(TOKEN_ID, account_id=ACCOUNT_ID, body={})
    request = only(server)
    assert (request.method, request.path) == ("PUT", f"{ACCOUNTS}/tokens/{TOKEN_ID}/value")
    assert request.body == b"{}"
    assert isinstance(value, TokenValue)
    assert value == "8M7wS6hCpXVc-DoRnPPY_UCWPgy8aea4Wy6kCe5T"
    assert "8M7wS6hC" not in repr(value)


async def test_audit_list_encodes_every_filter(
    server: RecordingServer, local: AsyncCloudflare
) -> None:
    serve(server, "accounts.logs.audit.list")
    page = await local.accounts.logs.audit.list(
        account_id=ACCOUNT_ID,
        before=date(2024, 10, 31),
        since=datetime(2024, 10, 30, 12, 0, tzinfo=UTC),
        id={"not": ["a", "b"]},
        account_name={"not_": ["Acme"]},
        action_result={"not": ["failure"]},
        action_type={"not": ["view"]},
        actor_context={"not": ["dash"]},
        actor_email={"not": ["bot@example.com"]},
        actor_id={"not": ["u1"]},
        actor_ip_address={"not": ["198.51.100.1"]},
        actor_token_id={"not": ["t1"]},
        actor_token_name={"not": ["ci"]},
        actor_type={"not": ["system"]},
        audit_log_id={"not": ["l1"]},
        cursor="c0",
        direction="asc",
        limit=25.0,
        raw_cf_rayid={"not": ["8e9b1c60ef9e1c9a"]},
        raw_method={"not": ["GET"]},
        raw_status_code={"not_": [200, 304]},
        raw_uri={"not": ["/x"]},
        resource_id={"not": ["r1"]},
        resource_product={"not": ["dns"]},
        resource_scope={"not": ["zones"]},
        resource_type={"not": ["record"]},
        zone_id={"not": ["z1"]},
        zone_name={"not": ["example.com"]},
    )
    request = only(server)
    assert (request.method, request.path) == ("GET", f"{ACCOUNTS}/logs/audit")
    assert request.query == [
        ("before", "2024-10-31"),
        ("since", "2024-10-30T12:00:00Z"),
        ("id.not", "a"),
        ("id.not", "b"),
        ("account_name.not", "Acme"),
        ("action_result.not", "failure"),
        ("action_type.not", "view"),
        ("actor_context.not", "dash"),
        ("actor_email.not", "bot@example.com"),
        ("actor_id.not", "u1"),
        ("actor_ip_address.not", "198.51.100.1"),
        ("actor_token_id.not", "t1"),
        ("actor_token_name.not", "ci"),
        ("actor_type.not", "system"),
        ("audit_log_id.not", "l1"),
        ("cursor", "c0"),
        ("direction", "asc"),
        ("limit", "25"),
        ("raw_cf_ray_id.not", "8e9b1c60ef9e1c9a"),
        ("raw_method.not", "GET"),
        ("raw_status_code.not", "200"),
        ("raw_status_code.not", "304"),
        ("raw_uri.not", "/x"),
        ("resource_id.not", "r1"),
        ("resource_product.not", "dns"),
        ("resource_scope.not", "zones"),
        ("resource_type.not", "record"),
        ("zone_id.not", "z1"),
        ("zone_name.not", "example.com"),
    ]
    entry = page.result[0]
    assert isinstance(entry, AuditListResponse)
    assert entry.raw is not None and entry.raw.cf_rayid == "8e9b1c60ef9e1c9a"
    assert entry.action is not None and entry.action.time == datetime(
        2024, 4, 26, 17, 31, 7, tzinfo=UTC
    )
    assert entry.actor is not None and entry.actor.context == "dash"
    assert page.result_info is not None and page.result_info.count == 1
