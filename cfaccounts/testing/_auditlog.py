"""Audit logs (version 2): writing entries, filtering and cursor paging.

Every filter works as on the API: ``actor_email=a`` keeps entries whose
actor email is ``a``; ``actor_email.not=a`` leaves them out. A cursor is the
position after the last entry served, so entries appended meanwhile do not
shift the pages of a listing in progress.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from multidict import MultiMapping

from ._errors import bad_request
from ._records import JSON, AccountRecord, Identity, parse_timestamp, timestamp
from ._shapes import whole_number

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000

#: Filter name → where its value sits in an entry.
_FILTER_FIELDS: Mapping[str, tuple[str, ...]] = {
    "id": ("id",),
    "audit_log_id": ("id",),
    "account_name": ("account", "name"),
    "action_result": ("action", "result"),
    "action_type": ("action", "type"),
    "actor_context": ("actor", "context"),
    "actor_email": ("actor", "email"),
    "actor_id": ("actor", "id"),
    "actor_ip_address": ("actor", "ip_address"),
    "actor_token_id": ("actor", "token_id"),
    "actor_token_name": ("actor", "token_name"),
    "actor_type": ("actor", "type"),
    "raw_cf_ray_id": ("raw", "cf_ray_id"),
    "raw_method": ("raw", "method"),
    "raw_status_code": ("raw", "status_code"),
    "raw_uri": ("raw", "uri"),
    "resource_id": ("resource", "id"),
    "resource_product": ("resource", "product"),
    "resource_scope": ("resource", "scope", "type"),
    "resource_type": ("resource", "type"),
    "zone_id": ("zone", "id"),
    "zone_name": ("zone", "name"),
}

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _field(entry: JSON, path: tuple[str, ...]) -> str | None:
    value: Any = entry
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return None if value is None else str(value)


def _moment(query: MultiMapping[str], name: str) -> str:
    """``before``/``since`` as a comparable Cloudflare timestamp; both are required."""
    raw = query.get(name)
    if not raw:
        raise bad_request(f"{name} is required")
    try:
        if _DATE.match(raw):
            return timestamp(datetime.combine(date.fromisoformat(raw), datetime.min.time(), UTC))
        return parse_timestamp(raw)
    except ValueError:
        raise bad_request(f"{name} must be a date or an RFC 3339 timestamp") from None


def _filters(query: MultiMapping[str]) -> list[Callable[[JSON], bool]]:
    tests: list[Callable[[JSON], bool]] = []
    for name, path in _FILTER_FIELDS.items():
        wanted = set(query.getall(name, ()))
        unwanted = set(query.getall(f"{name}.not", ()))
        if wanted:
            tests.append(lambda entry, p=path, w=wanted: _field(entry, p) in w)  # type: ignore[misc]
        if unwanted:
            tests.append(lambda entry, p=path, u=unwanted: _field(entry, p) not in u)  # type: ignore[misc]
    return tests


def _encode_cursor(position: int) -> str:
    return base64.urlsafe_b64encode(f"audit:{position}".encode()).decode()


def _decode_cursor(cursor: str) -> int:
    try:
        label, _, position = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
        if label != "audit":
            raise ValueError(cursor)
        return int(position)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise bad_request("cursor is invalid") from None


def list_entries(record: AccountRecord, query: MultiMapping[str]) -> tuple[list[JSON], JSON]:
    """One page of ``record``'s audit log for ``query``, and its ``result_info``."""
    since, before = _moment(query, "since"), _moment(query, "before")
    limit = whole_number(query, "limit", DEFAULT_LIMIT, MAX_LIMIT)
    descending = query.get("direction", "desc") != "asc"
    entries = record.audit
    positions: range
    cursor = query.get("cursor")
    if descending:
        start = _decode_cursor(cursor) - 1 if cursor else len(entries) - 1
        positions = range(min(start, len(entries) - 1), -1, -1)
    else:
        start = _decode_cursor(cursor) + 1 if cursor else 0
        positions = range(max(start, 0), len(entries))
    tests = _filters(query)
    page: list[JSON] = []
    last = -1
    for position in positions:
        entry = entries[position]
        if since <= entry["action"]["time"] < before and all(test(entry) for test in tests):
            if len(page) == limit:
                break
            page.append(entry)
            last = position
    else:
        # The walk ran out of entries: no further page.
        return page, {"count": str(len(page)), "cursor": ""}
    return page, {"count": str(len(page)), "cursor": _encode_cursor(last)}


def sanitize(value: Any) -> Any:
    """A request or response body as the log keeps it: without token secrets."""
    if isinstance(value, dict):
        return {key: sanitize(item) for key, item in value.items() if key != "value"}
    return value


def new_entry(
    *,
    entry_id: str,
    record: AccountRecord,
    identity: Identity,
    action: tuple[str, str],
    resource: tuple[str, str, str | None],
    ip_address: str,
    raw: JSON,
    request: Any,
    response: Any,
) -> JSON:
    """A new entry for a change.

    ``action`` is (type, description) and ``resource`` (product, type, id).
    """
    action_type, description = action
    product, resource_type, resource_id = resource
    return {
        "id": entry_id,
        "account": {"id": record.id, "name": record.name},
        "action": {
            "description": description,
            "result": "success",
            "time": timestamp(datetime.now(UTC)),
            "type": action_type,
        },
        "actor": {
            "id": identity.user_id,
            "context": identity.context,
            "email": identity.email,
            "ip_address": ip_address,
            "token_id": identity.token_id,
            "token_name": identity.token_name,
            "type": "user",
        },
        "raw": raw,
        "resource": {
            "id": resource_id,
            "product": product,
            "request": sanitize(request),
            "response": sanitize(response),
            "scope": {"id": record.id, "type": "accounts"},
            "type": resource_type,
        },
        "zone": {},
    }
