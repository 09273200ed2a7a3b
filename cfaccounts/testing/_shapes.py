"""The documented request shapes, and checking a request against them whole.

Every write names its body's shape here. A check takes the decoded JSON and
returns it normalized — only the keys the shape knows, timestamps in
Cloudflare's form — or raises a 400 :class:`~._errors.SandboxError` naming
the first problem, before the operation changes anything. Unknown keys are
accepted and ignored: clients send back what they read, newer fields
included. Query parameters and the raw body are checked here too, so that
nothing a client sends reaches an operation in a form it cannot handle.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from typing import Any, get_args

from multidict import MultiMapping

from ..models.subscriptions import RatePlanID
from ._errors import SandboxError, bad_request
from ._records import parse_timestamp

Check = Callable[[Any, str], Any]
"""Checks a value found at a path (``policies[0].effect``); returns it normalized."""

#: Deeper bodies are refused: no documented shape nests beyond a few levels,
#: and a deep one stored in the audit log would be too deep to serve back.
MAX_DEPTH = 32

#: Digits a whole number in a query may have (a page beyond any listing).
_MAX_DIGITS = 9


def malformed_json() -> SandboxError:
    return SandboxError(400, 6007, "Malformed JSON in request body")


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):  # 1e400: a valid literal that no JSON value can hold
        raise ValueError(f"{text} is out of range")
    return number


def _depth(value: Any) -> int:
    """How deeply ``value`` nests arrays and objects (walked without recursion)."""
    deepest, pending = 0, [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            deepest = max(deepest, depth)
            pending.extend((child, depth + 1) for child in item)
    return deepest


def decode_body(raw: bytes) -> Any:
    """The JSON of a request body (``None`` if empty); a 400 unless it is strict JSON.

    ``NaN``, ``Infinity`` and numbers too large for a float are refused, as
    is nesting deeper than :data:`MAX_DEPTH`.
    """
    if not raw:
        return None
    try:
        body = json.loads(raw, parse_constant=_refuse_constant, parse_float=_finite_float)
    except (ValueError, RecursionError):
        raise malformed_json() from None
    if _depth(body) > MAX_DEPTH:
        raise malformed_json()
    return body


# -- query parameters ---------------------------------------------------------


def whole_number(
    query: MultiMapping[str], name: str, default: int, maximum: int | None = None
) -> int:
    """A positive whole number from the query (ASCII digits only), or ``default``."""
    text = query.get(name)
    if text is None:
        return default
    top = maximum if maximum is not None else 10**_MAX_DIGITS - 1
    if not (text.isascii() and text.isdigit()) or len(text) > _MAX_DIGITS:
        raise bad_request(f"{name} must be an integer from 1 to {top}")
    number = int(text)
    if not 1 <= number <= top:
        raise bad_request(f"{name} must be an integer from 1 to {top}")
    return number


# -- checks ---------------------------------------------------------------------


def _invalid(path: str, expected: str) -> SandboxError:
    return bad_request(f"{path} must be {expected}")


def string(value: Any, path: str) -> str:
    """Any string, empty included."""
    if not isinstance(value, str):
        raise _invalid(path, "a string")
    return value


def text(value: Any, path: str) -> str:
    """A string with something in it."""
    if not isinstance(value, str) or not value.strip():
        raise _invalid(path, "a non-empty string")
    return value


def boolean(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise _invalid(path, "true or false")
    return value


def moment(value: Any, path: str) -> str:
    """An RFC 3339 timestamp, in Cloudflare's form."""
    if isinstance(value, str):
        try:
            return parse_timestamp(value)
        except ValueError:
            pass
    raise _invalid(path, "an RFC 3339 timestamp")


def choice(*allowed: str) -> Check:
    """One of ``allowed``."""

    def check(value: Any, path: str) -> str:
        if value not in allowed or not isinstance(value, str):
            raise _invalid(path, "one of " + ", ".join(allowed))
        return value

    return check


def nullable(check: Check) -> Check:
    """``null``, or what ``check`` accepts."""

    def checked(value: Any, path: str) -> Any:
        return None if value is None else check(value, path)

    return checked


def list_of(check: Check, *, non_empty: bool = False) -> Check:
    """A list whose items ``check`` accepts."""

    def checked(value: Any, path: str) -> list[Any]:
        if not isinstance(value, list) or (non_empty and not value):
            raise _invalid(path, "a non-empty list" if non_empty else "a list")
        return [check(item, f"{path}[{index}]") for index, item in enumerate(value)]

    return checked


def map_of(check: Check, *, non_empty: bool = False) -> Check:
    """An object whose values ``check`` accepts (any keys)."""

    def checked(value: Any, path: str) -> dict[str, Any]:
        if not isinstance(value, dict) or (non_empty and not value):
            raise _invalid(path, "a non-empty object" if non_empty else "an object")
        return {key: check(item, f"{path}.{key}") for key, item in value.items()}

    return checked


def one_of(*checks: Check, expected: str) -> Check:
    """What the first of ``checks`` accepts."""

    def checked(value: Any, path: str) -> Any:
        for check in checks:
            try:
                return check(value, path)
            except SandboxError:
                continue
        raise _invalid(path, expected)

    return checked


def shape(
    required: Mapping[str, Check] | None = None, optional: Mapping[str, Check] | None = None
) -> Check:
    """An object with these fields: the known ones checked and kept, unknown ones ignored.

    An optional field that is absent stays absent, so an update can tell
    "not given" from ``null``.
    """
    needed, allowed = dict(required or {}), dict(optional or {})

    def checked(value: Any, path: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise _invalid(path or "The request body", "a JSON object")
        prefix = f"{path}." if path else ""
        result: dict[str, Any] = {}
        for name, check in needed.items():
            if name not in value:
                raise bad_request(f"{prefix}{name} is required")
            result[name] = check(value[name], prefix + name)
        for name, check in allowed.items():
            if name in value:
                result[name] = check(value[name], prefix + name)
        return result

    return checked


def reference(value: Any, path: str) -> str:
    """An object referred to by id: ``"<id>"`` or ``{"id": "<id>"}``."""
    if isinstance(value, dict):
        return text(value.get("id"), f"{path}.id")
    return text(value, path)


def validate(check: Check, body: Any) -> dict[str, Any]:
    """``body`` checked against a request shape; a 400 naming the first problem."""
    result: dict[str, Any] = check(body, "")
    return result


# -- the documented request shapes ------------------------------------------------

ACCOUNT_TYPE = choice("standard", "enterprise")

ACCOUNT_CREATE = shape(
    {"name": text},
    {"type": nullable(ACCOUNT_TYPE), "unit": nullable(shape(optional={"id": nullable(text)}))},
)

ACCOUNT_UPDATE = shape(
    {"id": text, "name": text, "type": ACCOUNT_TYPE},
    {
        "settings": nullable(
            shape(
                optional={
                    "abuse_contact_email": nullable(string),
                    "enforce_twofactor": nullable(boolean),
                }
            )
        ),
        "managed_by": nullable(
            shape(optional={"parent_org_id": nullable(string), "parent_org_name": nullable(string)})
        ),
    },
)

SCOPE = shape({"key": text}, {"objects": nullable(list_of(shape({"key": text})))})
RESOURCE_GROUP = one_of(
    lambda value, path: {"id": text(value, path)},
    shape(
        {"id": text},
        {
            "name": nullable(string),
            "scope": one_of(SCOPE, list_of(SCOPE), expected="a scope object or a list of them"),
        },
    ),
    expected="a resource group id or object",
)
"""A member policy's resource group: an id, or an object keeping its scope (either shape)."""

MEMBER_POLICY = shape(
    {
        "access": choice("allow", "deny"),
        "permission_groups": list_of(reference),
        "resource_groups": list_of(RESOURCE_GROUP),
    },
    {"id": nullable(text)},
)

MEMBER_CREATE = shape(
    {"email": text},
    {
        "roles": nullable(list_of(reference)),
        "policies": nullable(list_of(MEMBER_POLICY)),
        "status": nullable(choice("accepted", "pending")),
    },
)

MEMBER_UPDATE = shape(
    optional={"roles": nullable(list_of(reference)), "policies": nullable(list_of(MEMBER_POLICY))}
)

RATE_PLAN = shape(
    optional={
        "id": nullable(choice(*get_args(RatePlanID))),
        "currency": nullable(string),
        "externally_managed": nullable(boolean),
        "is_contract": nullable(boolean),
        "public_name": nullable(string),
        "scope": nullable(string),
        "sets": nullable(list_of(string)),
    }
)

SUBSCRIPTION = shape(
    optional={
        "frequency": nullable(choice("weekly", "monthly", "quarterly", "yearly")),
        "rate_plan": nullable(RATE_PLAN),
    }
)

RESOURCES = map_of(
    one_of(string, map_of(string), expected="a string or an object of strings"),
    non_empty=True,
)

TOKEN_POLICY = shape(
    {
        "effect": choice("allow", "deny"),
        "permission_groups": list_of(reference, non_empty=True),
        "resources": RESOURCES,
    },
    {"id": nullable(text)},
)

CONDITION = shape(
    optional={
        "request_ip": nullable(
            shape(optional={"in": nullable(list_of(string)), "not_in": nullable(list_of(string))})
        )
    }
)

_TOKEN_FIELDS: dict[str, Check] = {
    "condition": nullable(CONDITION),
    "expires_on": nullable(moment),
    "not_before": nullable(moment),
}

TOKEN_CREATE = shape(
    {"name": text, "policies": list_of(TOKEN_POLICY, non_empty=True)}, _TOKEN_FIELDS
)

TOKEN_UPDATE = shape(
    {"name": text, "policies": list_of(TOKEN_POLICY, non_empty=True)},
    {**_TOKEN_FIELDS, "status": nullable(choice("active", "disabled", "expired"))},
)
