"""The converter: tolerant where the API is loose, strict where coercion would lie."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from cfaccounts._converter import converter
from cfaccounts.models import (
    Account,
    AuditListResponse,
    PermissionGrant,
    ResultInfo,
    Role,
    Token,
    TokenCreateResponse,
)


def test_unknown_fields_are_kept_in_extra() -> None:
    account = converter.structure(
        {"id": "a", "name": "n", "type": "standard", "legacy_flags": {"x": 1}}, Account
    )
    assert account.extra == {"legacy_flags": {"x": 1}}
    assert "legacy_flags" not in repr(account)


def test_unknown_enum_values_are_kept() -> None:
    account = converter.structure({"id": "a", "name": "n", "type": "platinum"}, Account)
    assert str(account.type) == "platinum"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2014-03-01T12:21:02.0000Z", datetime(2014, 3, 1, 12, 21, 2, tzinfo=UTC)),
        ("2024-04-26T17:31:07.123456789Z", datetime(2024, 4, 26, 17, 31, 7, 123456, tzinfo=UTC)),
        ("2024-04-26T19:31:07+02:00", datetime(2024, 4, 26, 17, 31, 7, tzinfo=UTC)),
        ("2024-04-26T17:31:07", datetime(2024, 4, 26, 17, 31, 7, tzinfo=UTC)),
    ],
)
def test_cloudflare_timestamps_parse(text: str, expected: datetime) -> None:
    account = converter.structure(
        {"id": "a", "name": "n", "type": "standard", "created_on": text}, Account
    )
    assert account.created_on == expected


def test_booleans_are_not_coerced_from_strings() -> None:
    with pytest.raises(Exception, match="boolean"):
        converter.structure(
            {
                "id": "a",
                "name": "n",
                "type": "standard",
                "settings": {"enforce_twofactor": "false"},
            },
            Account,
        )


def test_wire_renames_in_and_cf_ray_id() -> None:
    token = converter.structure({"condition": {"request_ip": {"in": ["10.0.0.0/8"]}}}, Token)
    assert token.condition is not None and token.condition.request_ip is not None
    assert token.condition.request_ip.in_ == ["10.0.0.0/8"]
    entry = converter.structure({"raw": {"cf_ray_id": "abc"}}, AuditListResponse)
    assert entry.raw is not None and entry.raw.cf_rayid == "abc"
    assert converter.unstructure(token.condition) == {"request_ip": {"in": ["10.0.0.0/8"]}}


def test_string_counts_in_result_info_become_numbers() -> None:
    assert converter.structure({"count": "1", "cursor": "x"}, ResultInfo).count == 1


def test_token_secret_is_hidden_from_repr_but_usable() -> None:
    created = converter.structure({"id": "t", "value": "s3cr3t-value"}, TokenCreateResponse)
    assert created.value == "s3cr3t-value" and f"{created.value}" == "s3cr3t-value"
    assert "s3cr3t" not in repr(created)


def _role(permissions: object) -> dict[str, object]:
    return {"id": "r", "name": "Admin", "description": "d", "permissions": permissions}


def test_permission_grants_structure_exactly() -> None:
    role = converter.structure(
        _role({"dns": {"read": True, "write": False}, "waf": {"read": True}, "ssl": None}),
        Role,
    )
    assert role.permissions.dns == PermissionGrant(read=True, write=False)
    assert role.permissions.waf == PermissionGrant(read=True, write=None)
    assert role.permissions.ssl is None and role.permissions.billing is None
    unknown = converter.structure(_role({"dns": {"read": True, "scope": "all"}}), Role)
    assert unknown.permissions.dns is not None
    assert unknown.permissions.dns.extra == {"scope": "all"}


@pytest.mark.parametrize("grant", [{"read": 1}, {"write": "true"}, ["read"], "rw"])
def test_permission_grants_that_are_not_booleans_are_refused(grant: object) -> None:
    with pytest.raises((TypeError, ValueError)):
        converter.structure(_role({"dns": grant}), Role)


def test_to_dict_gives_the_wire_data_back() -> None:
    data = {
        "id": "t",
        "name": "ci",
        "condition": {"request_ip": {"in": ["10.0.0.0/8"]}},
        "expires_on": "2030-01-01T00:00:00Z",
        "brand_new_field": {"x": 1},
    }
    token = converter.structure(data, Token)
    assert token.to_dict() == data
    assert json.loads(token.to_json()) == data
    assert converter.structure(token.to_dict(), Token) == token
