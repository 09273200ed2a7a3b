"""Every reference call through AsyncCloudflare against the embedded sandbox."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from cfaccounts import (
    AsyncCloudflare,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
)
from cfaccounts.models.audit import AuditListResponse
from cfaccounts.params import TokenPolicyParam
from cfaccounts.testing import Sandbox

POLICY: TokenPolicyParam = {
    "effect": "allow",
    "permission_groups": [{"id": "c8fed203ed3043cba015a93ad1616f1f"}],
    "resources": {"com.cloudflare.api.account.zone.*": "*"},
}


@pytest.fixture
async def client(cloudflare_sandbox: Sandbox) -> AsyncIterator[AsyncCloudflare]:
    async with cloudflare_sandbox.client(max_retries=0) as c:
        yield c


@pytest.fixture
def account_id(cloudflare_sandbox: Sandbox) -> str:
    return cloudflare_sandbox.account_ids[0]


async def audit_entries(client: AsyncCloudflare, account_id: str) -> list[AuditListResponse]:
    """Today's and yesterday's entries, newest first, across every cursor page."""
    now = datetime.now(UTC)
    listing = client.accounts.logs.audit.list(
        account_id=account_id, since=now - timedelta(days=1), before=now + timedelta(minutes=1)
    )
    return [entry async for entry in listing]


async def test_accounts_round_trip(client: AsyncCloudflare, cloudflare_sandbox: Sandbox) -> None:
    created = await client.accounts.create(name="Demo Corp", type="enterprise")
    assert created.name == "Demo Corp"
    assert created.type == "enterprise"
    assert (await client.accounts.get(account_id=created.id)) == created

    listed = [account.id async for account in client.accounts.list()]
    assert listed == [*cloudflare_sandbox.account_ids[:-1], created.id]
    page = await client.accounts.list(name="demo corp")
    assert [account.id for account in page.result] == [created.id]

    updated = await client.accounts.update(
        account_id=created.id,
        id=created.id,
        name="Demo Corporation",
        type="standard",
        settings={"enforce_twofactor": True},
    )
    assert updated.name == "Demo Corporation"
    assert updated.settings is not None
    assert updated.settings.enforce_twofactor is True
    entries = await audit_entries(client, created.id)
    assert [(e.action and e.action.description) for e in entries] == [
        "Update Account",
        "Create Account",
    ]

    deleted = await client.accounts.delete(account_id=created.id)
    assert deleted.id == created.id
    with pytest.raises(NotFoundError) as caught:
        await client.accounts.get(account_id=created.id)
    assert caught.value.errors[0].code == 7003
    assert caught.value.ray_id


async def test_members_round_trip_is_audited(client: AsyncCloudflare, account_id: str) -> None:
    roles = (await client.accounts.roles.list(account_id=account_id)).result
    admin = next(role for role in roles if role.name == "Administrator")
    billing = next(role for role in roles if role.name == "Billing")

    member = await client.accounts.members.create(
        account_id=account_id, email="new.hire@example.com", roles=[admin.id]
    )
    assert member.status == "pending"
    assert member.roles == [admin]
    assert member.user is not None
    assert member.user.email == "new.hire@example.com"
    assert member.id is not None
    assert (await client.accounts.members.get(member.id, account_id=account_id)) == member

    pending = client.accounts.members.list(account_id=account_id, status="pending")
    assert member.id in [m.id async for m in pending]

    updated = await client.accounts.members.update(
        member.id, account_id=account_id, roles=[{"id": billing.id}]
    )
    assert updated.roles == [billing]
    removed = await client.accounts.members.delete(member.id, account_id=account_id)
    assert removed.id == member.id
    with pytest.raises(NotFoundError):
        await client.accounts.members.get(member.id, account_id=account_id)

    entries = await audit_entries(client, account_id)
    assert [(e.action and e.action.type, e.resource and e.resource.id) for e in entries[:3]] == [
        ("delete", member.id),
        ("update", member.id),
        ("create", member.id),
    ]
    create = entries[2]
    assert create.actor is not None
    assert create.actor.email == "owner@sandbox.example"
    assert create.actor.context == "api_token"
    assert create.raw is not None
    assert create.raw.method == "POST"
    assert create.raw.uri == f"/accounts/{account_id}/members"
    assert create.raw.cf_rayid
    assert create.resource is not None
    assert create.resource.request == {"email": "new.hire@example.com", "roles": [admin.id]}


async def test_member_listing_pages_and_orders(cloudflare_sandbox: Sandbox) -> None:
    cloudflare_sandbox.store.accounts.clear()
    async with cloudflare_sandbox.client() as client:
        account = await client.accounts.create(name="Big Team")
        for number in range(44):
            await client.accounts.members.create(
                account_id=account.id, email=f"user{number:02}@example.com", status="accepted"
            )
        first = await client.accounts.members.list(account_id=account.id, per_page=20)
        assert first.result_info is not None
        info = first.result_info
        assert (info.page, info.per_page, info.count, info.total_count, info.total_pages) == (
            1,
            20,
            20,
            45,
            3,
        )
        emails = [
            str(m.email)
            async for m in client.accounts.members.list(
                account_id=account.id, order="user.email", direction="desc", per_page=20
            )
        ]
    assert len(emails) == 45
    assert emails == sorted(emails, reverse=True)


async def test_roles_list_and_get(client: AsyncCloudflare, account_id: str) -> None:
    roles = [role async for role in client.accounts.roles.list(account_id=account_id)]
    assert "Super Administrator - All Privileges" in [role.name for role in roles]
    one = await client.accounts.roles.get(roles[3].id, account_id=account_id)
    assert one == roles[3]
    with pytest.raises(NotFoundError):
        await client.accounts.roles.get("0" * 32, account_id=account_id)


async def test_subscriptions_round_trip(client: AsyncCloudflare, account_id: str) -> None:
    before = [s.id async for s in client.accounts.subscriptions.get(account_id=account_id)]
    created = await client.accounts.subscriptions.create(
        account_id=account_id, frequency="monthly", rate_plan={"id": "business"}
    )
    assert created.rate_plan is not None
    assert (created.rate_plan.id, created.rate_plan.public_name) == ("business", "Business Plan")
    listed = await client.accounts.subscriptions.get(account_id=account_id)
    assert [s.id for s in listed.result] == [*before, created.id]

    assert created.id is not None
    updated = await client.accounts.subscriptions.update(
        created.id, account_id=account_id, frequency="yearly"
    )
    assert updated.frequency == "yearly"
    deleted = await client.accounts.subscriptions.delete(created.id, account_id=account_id)
    assert deleted.subscription_id == created.id
    after = [s.id async for s in client.accounts.subscriptions.get(account_id=account_id)]
    assert after == before


async def test_tokens_round_trip_roll_and_verify(
    client: AsyncCloudflare, cloudflare_sandbox: Sandbox, account_id: str
) -> None:
    created = await client.accounts.tokens.create(
        account_id=account_id,
        name="deploy",
        policies=[POLICY],
        condition={"request_ip": {"in": ["192.0.2.0/24"]}},
        expires_on=datetime.now(UTC) + timedelta(days=30),
    )
    assert created.id is not None
    assert created.value
    assert created.status == "active"
    token = await client.accounts.tokens.get(created.id, account_id=account_id)
    assert token.condition is not None
    assert token.condition.request_ip is not None
    assert token.condition.request_ip.in_ == ["192.0.2.0/24"]
    assert created.id in [t.id async for t in client.accounts.tokens.list(account_id=account_id)]

    updated = await client.accounts.tokens.update(
        created.id, account_id=account_id, name="deploy-v2", policies=[POLICY], status="active"
    )
    assert updated.name == "deploy-v2"

    async with cloudflare_sandbox.client(api_token=str(created.value)) as as_token:
        verified = await as_token.accounts.tokens.verify(account_id=account_id)
        assert (verified.id, verified.status) == (created.id, "active")

    rolled = await client.accounts.tokens.value.update(created.id, account_id=account_id, body={})
    assert rolled != created.value
    async with cloudflare_sandbox.client(api_token=str(created.value), max_retries=0) as old:
        with pytest.raises(AuthenticationError) as caught:
            await old.accounts.tokens.verify(account_id=account_id)
        assert caught.value.errors[0].code == 1000
    async with cloudflare_sandbox.client(api_token=str(rolled)) as new:
        assert (await new.accounts.tokens.verify(account_id=account_id)).id == created.id

    deleted = await client.accounts.tokens.delete(created.id, account_id=account_id)
    assert deleted.id == created.id
    with pytest.raises(NotFoundError):
        await client.accounts.tokens.get(created.id, account_id=account_id)

    entries = await audit_entries(client, account_id)
    descriptions = [e.action and e.action.description for e in entries[:4]]
    assert descriptions == ["Delete Token", "Roll Token", "Update Token", "Create Token"]
    # The log keeps what was asked and answered, but never a token secret.
    assert str(created.value) not in repr(entries)
    assert str(rolled) not in repr(entries)


async def test_sandbox_token_verifies_as_itself(client: AsyncCloudflare, account_id: str) -> None:
    verified = await client.accounts.tokens.verify(account_id=account_id)
    assert verified.status == "active"
    assert verified.id == "5a2dbc0f1e2d4b6c8a9b0c1d2e3f4a5b"


async def test_permission_groups_list_and_get(client: AsyncCloudflare, account_id: str) -> None:
    groups = await client.accounts.tokens.permission_groups.list(account_id=account_id)
    assert len(groups.result) >= 10
    zone_read = await client.accounts.tokens.permission_groups.get(
        account_id=account_id, name="Zone Read"
    )
    assert [(g.id, g.scopes) for g in zone_read] == [
        ("c8fed203ed3043cba015a93ad1616f1f", ["com.cloudflare.api.account.zone"])
    ]
    r2 = await client.accounts.tokens.permission_groups.get(
        account_id=account_id, scope="com.cloudflare.edge.r2.bucket"
    )
    assert [g.name for g in r2] == ["R2 Bucket Item Read"]


async def test_audit_log_cursor_filters_and_window(
    client: AsyncCloudflare, account_id: str
) -> None:
    for number in range(5):
        await client.accounts.members.create(
            account_id=account_id, email=f"audit{number}@example.com"
        )
    member = await client.accounts.members.create(account_id=account_id, email="gone@example.com")
    assert member.id is not None
    await client.accounts.members.delete(member.id, account_id=account_id)
    now = datetime.now(UTC)
    since, before = now - timedelta(minutes=5), now + timedelta(minutes=1)

    first = await client.accounts.logs.audit.list(
        account_id=account_id, limit=3, since=since, before=before
    )
    assert len(first.result) == 3
    assert first.result_info is not None
    assert first.result_info.count == 3
    assert first.result_info.cursor
    every = [
        e.id
        async for e in client.accounts.logs.audit.list(
            account_id=account_id, limit=3, since=since, before=before
        )
    ]
    assert len(every) == len(set(every)) == 7

    creates_only = client.accounts.logs.audit.list(
        account_id=account_id,
        action_type={"not": ["delete"]},
        direction="asc",
        since=since,
        before=before,
    )
    emails = [e.resource.request["email"] async for e in creates_only if e.resource]
    assert emails == [*(f"audit{n}@example.com" for n in range(5)), "gone@example.com"]

    old = await client.accounts.logs.audit.list(
        account_id=account_id, since=now - timedelta(days=1), before=now - timedelta(minutes=5)
    )
    assert all(e.action and e.action.time and e.action.time < now for e in old.result)
    assert all(e.resource and e.resource.id != member.id for e in old.result)


async def test_account_token_reaches_only_its_account(cloudflare_sandbox: Sandbox) -> None:
    own, other = cloudflare_sandbox.account_ids[:2]
    record = cloudflare_sandbox.store.accounts[own]
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    token_id = next(
        t["id"]
        for t in record.tokens.values()
        # Usable: active, valid already, not expired.
        if t["status"] == "active"
        and (t["not_before"] is None or t["not_before"] < now)
        and (t["expires_on"] is None or t["expires_on"] > now)
    )
    secret = cloudflare_sandbox.store.secret_of(token_id)
    async with cloudflare_sandbox.client(api_token=secret, max_retries=0) as client:
        accounts = await client.accounts.list()
        assert [a.id for a in accounts.result] == [own]
        with pytest.raises(PermissionDeniedError) as caught:
            await client.accounts.members.list(account_id=other)
        assert caught.value.errors[0].code == 10000


@pytest.mark.cloudflare_sandbox(api_email="ops@example.com", api_key="sandbox-global-key")
async def test_answers_to_key_and_email_only_when_both_match(cloudflare_sandbox: Sandbox) -> None:
    url = cloudflare_sandbox.base_url
    async with AsyncCloudflare(
        api_email="ops@example.com", api_key="sandbox-global-key", base_url=url
    ) as client:
        accounts = await client.accounts.list()
        assert len(accounts.result) == 3
        with pytest.raises(BadRequestError):
            await client.accounts.tokens.verify(account_id=accounts.result[0].id)
    async with AsyncCloudflare(
        api_email="ops@example.com", api_key="wrong", base_url=url, max_retries=0
    ) as client:
        with pytest.raises(PermissionDeniedError) as caught:
            await client.accounts.list()
        assert caught.value.errors[0].code == 9103


async def test_rejects_missing_and_unknown_credentials(cloudflare_sandbox: Sandbox) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.get(cloudflare_sandbox.base_url + "/accounts") as response,
    ):
        assert response.status == 401
        assert (await response.json())["errors"][0]["code"] == 9106
        assert response.headers["cf-ray"]
    async with cloudflare_sandbox.client(api_token="not-the-token", max_retries=0) as client:
        with pytest.raises(AuthenticationError):
            await client.accounts.list()


async def test_conflicts_and_invalid_input_are_cloudflare_errors(
    client: AsyncCloudflare, cloudflare_sandbox: Sandbox, account_id: str
) -> None:
    existing = next(iter(cloudflare_sandbox.store.accounts[account_id].members.values()))
    with pytest.raises(ConflictError) as conflict:
        await client.accounts.members.create(account_id=account_id, email=existing["email"])
    assert conflict.value.status_code == 409
    with pytest.raises(BadRequestError) as invalid:
        await client.accounts.tokens.create(
            account_id=account_id,
            name="bad",
            policies=[{**POLICY, "permission_groups": [{"id": "no-such-group"}]}],
        )
    assert "no-such-group" in invalid.value.errors[0].message
    with pytest.raises(BadRequestError, match="before is required"):
        await client.accounts.logs.audit.list(account_id=account_id, before="", since="2024-01-01")


async def test_every_response_is_an_envelope_with_a_ray_id(cloudflare_sandbox: Sandbox) -> None:
    headers = {"Authorization": f"Bearer {cloudflare_sandbox.api_token}"}
    async with aiohttp.ClientSession(headers=headers) as session:
        for path in ("/accounts", "/accounts/missing", "/nowhere"):
            async with session.get(cloudflare_sandbox.base_url + path) as response:
                body = await response.json()
                assert set(body) >= {"success", "errors", "messages", "result"}
                assert len(response.headers["cf-ray"]) == len("0123456789abcdef-SBX")
    assert cloudflare_sandbox.counters.responses == {200: 1, 404: 2}
