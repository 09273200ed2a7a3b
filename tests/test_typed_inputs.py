"""``cfaccounts.params.token_policy`` and ``member_policy``: typed policy inputs.

They take permission and resource groups by id, as ``{"id": ...}`` or as
read from the API, and build the policy the API receives; a lone string or
mapping where a list belongs, or a group without an id, is refused before
anything is sent. That they type-check where a dict in a variable does not
is shown by the typing page of the docs (tests/test_docs.py runs mypy on it).
"""

from __future__ import annotations

import pytest

from cfaccounts.models import PermissionGroupListResponse
from cfaccounts.params import member_policy, token_policy
from cfaccounts.testing import Sandbox


async def test_a_token_created_with_token_policy_has_that_policy() -> None:
    async with Sandbox(seed=3, accounts=1) as sandbox, sandbox.client() as client:
        account_id = sandbox.account_ids[0]
        listed = await client.accounts.tokens.permission_groups.list(account_id=account_id)
        first, second, third = listed.result[:3]
        assert first.id and second.id and third.id
        resources = {f"com.cloudflare.api.account.{account_id}": "*"}
        policy = token_policy(
            "allow",
            permission_groups=[first, second.id, {"id": third.id}],
            resources=resources,
        )
        token = await client.accounts.tokens.create(
            account_id=account_id, name="reporting", policies=[policy]
        )
        assert token.policies is not None
        [created] = token.policies
        assert created.effect == "allow"
        assert created.resources == resources
        assert [group.id for group in created.permission_groups] == [
            first.id,
            second.id,
            third.id,
        ]


async def test_a_member_created_with_member_policy_has_that_policy() -> None:
    async with Sandbox(seed=3, accounts=1) as sandbox, sandbox.client() as client:
        account_id = sandbox.account_ids[0]
        listed = await client.accounts.tokens.permission_groups.list(account_id=account_id)
        group = listed.result[0]
        assert group.id
        policy = member_policy(
            "deny",
            permission_groups=[group],
            resource_groups=["resource-group-1", {"id": "resource-group-2"}],
        )
        member = await client.accounts.members.create(
            account_id=account_id, email="typed@example.com", policies=[policy]
        )
        assert member.policies is not None
        [created] = member.policies
        assert created.access == "deny"
        assert [g.id for g in created.permission_groups or []] == [group.id]
        assert [g.id for g in created.resource_groups or []] == [
            "resource-group-1",
            "resource-group-2",
        ]


def test_the_helpers_build_the_documented_shapes() -> None:
    assert token_policy(
        "deny", permission_groups=["g", {"id": "h", "meta": {"k": "v"}}], resources={"r": "*"}
    ) == {
        "effect": "deny",
        "permission_groups": [{"id": "g"}, {"id": "h", "meta": {"k": "v"}}],
        "resources": {"r": "*"},
    }
    assert member_policy("allow", permission_groups=(g for g in ["g"]), resource_groups=[]) == {
        "access": "allow",
        "permission_groups": [{"id": "g"}],
        "resource_groups": [],
    }


@pytest.mark.parametrize("lone", ["group-id", {"id": "group-id"}])
def test_a_lone_group_where_a_list_belongs_is_refused(lone: object) -> None:
    # Iterated, a string would give one id per letter; a mapping, its keys.
    with pytest.raises(TypeError, match=r"token_policy\(\): permission_groups must be a list"):
        token_policy("allow", permission_groups=lone, resources={})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"member_policy\(\): resource_groups must be a list"):
        member_policy("allow", permission_groups=[], resource_groups=lone)  # type: ignore[arg-type]


def test_a_group_read_without_an_id_is_refused() -> None:
    nameless = PermissionGroupListResponse(name="Account Settings Read")
    with pytest.raises(ValueError, match=r"permission_groups\[1\] has no id"):
        token_policy("allow", permission_groups=["g", nameless], resources={})
    with pytest.raises(ValueError, match=r"member_policy\(\): permission_groups\[0\] has no id"):
        member_policy("allow", permission_groups=[nameless], resource_groups=[])
