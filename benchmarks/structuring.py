"""Where the per-item CPU of a listing goes: decoding, structuring, and its floor.

Run ``python benchmarks/structuring.py``. For one member and one audit-log
entry (the canned server's bodies), it prints µs per item for:

- ``json.loads``: what the raw-aiohttp floor pays per item;
- ``converter``: cfaccounts' structuring of the decoded item into its model;
- ``bare attrs``: calling the same attrs classes' constructors directly with
  values already in hand, which no structuring of these models can beat.
"""

from __future__ import annotations

import json
import statistics
import timeit
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any

from canned_server import CannedAPI

from cfaccounts._converter import converter
from cfaccounts.models import (
    AuditAccount,
    AuditAction,
    AuditActor,
    AuditListResponse,
    AuditRaw,
    AuditResource,
    AuditZone,
    Member,
    PermissionGrant,
    Permissions,
    Role,
    User,
)


def _grants(permissions: dict[str, Any]) -> dict[str, Any]:
    return {area: PermissionGrant(**grant) for area, grant in permissions.items()}


def bare_member(data: dict[str, Any]) -> Member:
    roles = [
        Role(
            id=role["id"],
            name=role["name"],
            description=role["description"],
            permissions=Permissions(**_grants(role["permissions"])),
        )
        for role in data["roles"]
    ]
    return Member(
        id=data["id"],
        email=data["email"],
        status=data["status"],
        policies=[],
        roles=roles,
        user=User(**data["user"]),
    )


_RAW_NAMES = {"cf_ray_id": "cf_rayid"}


def bare_entry(data: dict[str, Any]) -> AuditListResponse:
    return AuditListResponse(
        id=data["id"],
        account=AuditAccount(**data["account"]),
        action=AuditAction(
            **{**data["action"], "time": datetime.fromisoformat(data["action"]["time"])}
        ),
        actor=AuditActor(**data["actor"]),
        raw=AuditRaw(**{_RAW_NAMES.get(k, k): v for k, v in data["raw"].items()}),
        resource=AuditResource(**data["resource"]),
        zone=AuditZone(**data["zone"]),
    )


def per_item_us(function: Callable[[], object], repeat: int = 7, number: int = 2000) -> float:
    return statistics.median(timeit.repeat(function, repeat=repeat, number=number)) / number * 1e6


def main() -> None:
    api = CannedAPI()
    cases: list[tuple[str, bytes, type[Any], Callable[[dict[str, Any]], object]]] = [
        ("member", api.member, Member, bare_member),
        ("audit-log entry", api.entries[0], AuditListResponse, bare_entry),
    ]
    print(f"{'µs per item':22}{'json.loads':>12}{'converter':>12}{'bare attrs':>12}")
    for name, body, model, bare in cases:
        data = json.loads(body)
        assert converter.structure(data, model) == bare(data)
        decode = per_item_us(partial(json.loads, body))
        structure = per_item_us(partial(converter.structure, data, model))
        construct = per_item_us(partial(bare, data))
        print(f"{name:22}{decode:12.2f}{structure:12.2f}{construct:12.2f}")


if __name__ == "__main__":
    main()
