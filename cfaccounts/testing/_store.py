"""The sandbox's state and the API operations on it, free of HTTP.

Each operation takes a :class:`Call` (path parameters, query, JSON body, who
is calling) and returns an :class:`Outcome` or raises a
:class:`~._errors.SandboxError`; ``_app`` turns both into HTTP.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

import attrs
from multidict import MultiMapping

from . import _auditlog
from ._errors import bad_request, conflict, forbidden, not_found, too_many_tokens
from ._records import JSON, AccountRecord, Identity, new_id, parse_timestamp, timestamp
from ._seed import (
    MEMBER_PERMISSION_GROUPS,
    PERMISSION_GROUPS,
    add_owner,
    add_roles,
    new_secret,
    subscription_record,
)

DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 50
#: The API's quota of account-owned API tokens per account.
MAX_TOKENS_PER_ACCOUNT = 500

_GROUPS_BY_ID = {group["id"]: group for group in PERMISSION_GROUPS}
#: Member policies also take the role-named groups ("Super Administrator - All Privileges").
_MEMBER_GROUPS_BY_ID = {group["id"]: group for group in MEMBER_PERMISSION_GROUPS} | _GROUPS_BY_ID


@attrs.frozen
class Call:
    """One request, as the operations see it."""

    params: dict[str, str]
    query: MultiMapping[str]
    body: Any
    identity: Identity


@attrs.frozen
class Outcome:
    """What an operation answers: ``result`` and, for listings, ``result_info``."""

    result: Any
    result_info: JSON | None = None
    #: The id of the resource a change touched, for its audit-log entry.
    resource_id: str | None = None


Operation = Callable[["Store", Call], Outcome]


def _now() -> str:
    return timestamp(datetime.now(UTC))


def _body(call: Call) -> JSON:
    if not isinstance(call.body, dict):
        raise bad_request("The request body must be a JSON object")
    return call.body


def _text(body: JSON, name: str, *, required: bool = True) -> str | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise bad_request(f"{name} is required and must be a non-empty string")
    return value


def _choice(body: JSON, name: str, allowed: Iterable[str]) -> str | None:
    value = body.get(name)
    if value is not None and value not in allowed:
        raise bad_request(f"{name} must be one of {', '.join(allowed)}")
    return value


def _moment(body: JSON, name: str) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    invalid = bad_request(f"{name} must be an RFC 3339 timestamp")
    if not isinstance(value, str):
        raise invalid
    try:
        return parse_timestamp(value)
    except ValueError:
        raise invalid from None


def _integer(query: MultiMapping[str], name: str, default: int) -> int:
    text = query.get(name)
    if text is None:
        return default
    if not text.isdigit() or int(text) < 1:
        raise bad_request(f"{name} must be a positive integer")
    return int(text)


def paginate(items: list[JSON], query: MultiMapping[str]) -> Outcome:
    """A page-number page of ``items``, with Cloudflare's ``result_info``.

    ``per_page`` above the maximum is lowered to it, as the API does.
    """
    page = _integer(query, "page", 1)
    per_page = min(_integer(query, "per_page", DEFAULT_PER_PAGE), MAX_PER_PAGE)
    if query.get("direction") == "desc":
        items = items[::-1]
    chunk = items[(page - 1) * per_page : page * per_page]
    total = len(items)
    info = {
        "page": page,
        "per_page": per_page,
        "count": len(chunk),
        "total_count": total,
        "total_pages": max(1, -(-total // per_page)),
    }
    return Outcome(chunk, info)


def single_page(items: list[JSON]) -> Outcome:
    """All of ``items`` in one page, as the single-page listings answer."""
    count = len(items)
    return Outcome(items, {"page": 1, "per_page": count, "count": count, "total_count": count})


def _resource_group(group: Any, new_id: Callable[[], str]) -> JSON:
    """A member policy's resource group, its scope kept (an id alone has none)."""
    if not isinstance(group, dict):
        return {"id": group, "scope": []}
    scope = group.get("scope", [])
    if not isinstance(scope, list) or not all(
        isinstance(item, dict) and isinstance(item.get("key"), str) for item in scope
    ):
        raise bad_request("a resource group's scope must be a list of objects with a key")
    kept: JSON = {
        "id": group.get("id") or new_id(),
        "scope": [
            {"key": item["key"], "objects": list(item.get("objects") or [])} for item in scope
        ],
    }
    if group.get("name") is not None:
        kept["name"] = group["name"]
    return kept


def _sort_key(path: str) -> Callable[[JSON], tuple[bool, str]]:
    keys = path.split(".")

    def key(item: JSON) -> tuple[bool, str]:
        value: Any = item
        for name in keys:
            value = value.get(name) if isinstance(value, dict) else None
        return (value is None, str(value or "").lower())

    return key


class Store:
    """Every account the sandbox serves, and the token secrets that authenticate.

    Args:
        records: the seeded accounts.
        secrets: token id → secret of every seeded account-owned token.
        owner: the user the sandbox's own credential acts as.
        seed: makes the ids of new resources deterministic too.
        max_tokens: how many account-owned tokens an account may hold.
    """

    def __init__(
        self,
        records: Iterable[AccountRecord],
        secrets: dict[str, str],
        owner: JSON,
        seed: object,
        max_tokens: int = MAX_TOKENS_PER_ACCOUNT,
    ) -> None:
        self.accounts: dict[str, AccountRecord] = {record.id: record for record in records}
        self.max_tokens = max_tokens
        self.owner = owner
        self._rng = random.Random(f"{seed}:changes")
        #: secret → (account id, token id); the inverse is kept to forget old secrets.
        self.token_by_secret: dict[str, tuple[str, str]] = {}
        self._secret_by_token: dict[str, str] = {}
        for record in self.accounts.values():
            for token_id in record.tokens:
                self._remember_secret(record.id, token_id, secrets[token_id])

    def new_id(self) -> str:
        return new_id(self._rng)

    def _remember_secret(self, account_id: str, token_id: str, secret: str) -> None:
        old = self._secret_by_token.pop(token_id, None)
        if old is not None:
            del self.token_by_secret[old]
        self.token_by_secret[secret] = (account_id, token_id)
        self._secret_by_token[token_id] = secret

    def _forget_secret(self, token_id: str) -> None:
        secret = self._secret_by_token.pop(token_id, None)
        if secret is not None:
            del self.token_by_secret[secret]

    def secret_of(self, token_id: str) -> str:
        """The current secret of an account-owned token (for tests that call with it)."""
        return self._secret_by_token[token_id]

    # -- lookups -------------------------------------------------------------

    def account(self, call: Call) -> AccountRecord:
        """The account of the path; a 404 if it is gone, a 403 if out of reach."""
        account_id = call.params["account_id"]
        reach = call.identity.account_id
        if reach is not None and reach != account_id:
            raise forbidden()
        record = self.accounts.get(account_id)
        if record is None:
            raise not_found(f"/accounts/{account_id}")
        return record

    @staticmethod
    def _item(items: dict[str, JSON], call: Call, name: str) -> JSON:
        item = items.get(call.params[name])
        if item is None:
            raise not_found(f"{name.removesuffix('_id')} {call.params[name]}")
        return item

    # -- accounts ------------------------------------------------------------

    def list_accounts(self, call: Call) -> Outcome:
        name = call.query.get("name")
        reach = call.identity.account_id
        accounts = [
            record.account
            for record in self.accounts.values()
            if (name is None or name.lower() in record.name.lower())
            and (reach is None or record.id == reach)
        ]
        return paginate(accounts, call.query)

    def get_account(self, call: Call) -> Outcome:
        return Outcome(self.account(call).account)

    def create_account(self, call: Call) -> Outcome:
        body = _body(call)
        account: JSON = {
            "id": self.new_id(),
            "name": _text(body, "name"),
            "type": _choice(body, "type", ("standard", "enterprise")) or "standard",
            "created_on": _now(),
            "settings": {"abuse_contact_email": None, "enforce_twofactor": False},
        }
        unit = body.get("unit")
        if isinstance(unit, dict) and unit.get("id"):
            account["managed_by"] = {"parent_org_id": unit["id"], "parent_org_name": None}
        record = AccountRecord(account)
        add_roles(record, self._rng)
        add_owner(record, self._rng, self.owner)
        self.accounts[record.id] = record
        return Outcome(account, resource_id=record.id)

    def update_account(self, call: Call) -> Outcome:
        record = self.account(call)
        body = _body(call)
        if body.get("id") not in (None, record.id):
            raise bad_request("id does not match the account in the path")
        account = record.account
        account["name"] = _text(body, "name")
        account["type"] = _choice(body, "type", ("standard", "enterprise")) or account["type"]
        settings = body.get("settings")
        if isinstance(settings, dict):
            account["settings"] = {**account.get("settings", {}), **settings}
        managed_by = body.get("managed_by")
        if isinstance(managed_by, dict):
            account["managed_by"] = managed_by
        return Outcome(account, resource_id=record.id)

    def delete_account(self, call: Call) -> Outcome:
        record = self.account(call)
        for token_id in record.tokens:
            self._forget_secret(token_id)
        del self.accounts[record.id]
        return Outcome({"id": record.id}, resource_id=record.id)

    # -- members -------------------------------------------------------------

    def list_members(self, call: Call) -> Outcome:
        members = list(self.account(call).members.values())
        status = call.query.get("status")
        if status is not None:
            members = [member for member in members if member["status"] == status]
        order = call.query.get("order")
        if order is not None:
            if order not in ("user.first_name", "user.last_name", "user.email", "status"):
                raise bad_request(
                    "order must be user.first_name, user.last_name, user.email or status"
                )
            members.sort(key=_sort_key(order))
        return paginate(members, call.query)

    def get_member(self, call: Call) -> Outcome:
        return Outcome(self._item(self.account(call).members, call, "member_id"))

    def _roles(self, record: AccountRecord, given: Any) -> list[JSON]:
        if not isinstance(given, list):
            raise bad_request("roles must be a list")
        roles = []
        for role in given:
            role_id = role.get("id") if isinstance(role, dict) else role
            if role_id not in record.roles:
                raise bad_request(f"Unknown role {role_id!r}")
            roles.append(record.roles[role_id])
        return roles

    def _member_policies(self, given: Any) -> list[JSON]:
        if not isinstance(given, list):
            raise bad_request("policies must be a list")
        policies: list[JSON] = []
        for policy in given:
            if not isinstance(policy, dict):
                raise bad_request("each policy must be an object")
            groups = [
                self._permission_group(group, _MEMBER_GROUPS_BY_ID)
                for group in policy.get("permission_groups", [])
            ]
            policies.append(
                {
                    "id": policy.get("id") or self.new_id(),
                    "access": _choice(policy, "access", ("allow", "deny")) or "allow",
                    "permission_groups": groups,
                    "resource_groups": [
                        _resource_group(group, self.new_id)
                        for group in policy.get("resource_groups", [])
                    ],
                }
            )
        return policies

    @staticmethod
    def _permission_group(group: Any, known_groups: dict[Any, JSON] = _GROUPS_BY_ID) -> JSON:
        group_id = group.get("id") if isinstance(group, dict) else group
        known = known_groups.get(group_id)
        if known is None:
            raise bad_request(f"Unknown permission group {group_id!r}")
        return {"id": known["id"], "meta": {}, "name": known["name"]}

    def create_member(self, call: Call) -> Outcome:
        record = self.account(call)
        body = _body(call)
        email = _text(body, "email")
        if email is None or "@" not in email:
            raise bad_request("email must be an email address")
        if any(member["email"] == email for member in record.members.values()):
            raise conflict(f"{email} is already a member of this account")
        status = _choice(body, "status", ("accepted", "pending")) or "pending"
        member_id = self.new_id()
        member = {
            "id": member_id,
            "email": email,
            "policies": self._member_policies(body.get("policies", [])),
            "roles": self._roles(record, body.get("roles", [])),
            "status": status,
            "user": {
                "email": email,
                "id": self.new_id(),
                "first_name": None,
                "last_name": None,
                "two_factor_authentication_enabled": False,
            },
        }
        record.members[member_id] = member
        return Outcome(member, resource_id=member_id)

    def update_member(self, call: Call) -> Outcome:
        record = self.account(call)
        member = self._item(record.members, call, "member_id")
        body = _body(call)
        if "roles" in body:
            member["roles"] = self._roles(record, body["roles"])
        if "policies" in body:
            member["policies"] = self._member_policies(body["policies"])
        return Outcome(member, resource_id=member["id"])

    def delete_member(self, call: Call) -> Outcome:
        record = self.account(call)
        member = self._item(record.members, call, "member_id")
        del record.members[member["id"]]
        return Outcome({"id": member["id"]}, resource_id=member["id"])

    # -- roles ---------------------------------------------------------------

    def list_roles(self, call: Call) -> Outcome:
        return paginate(list(self.account(call).roles.values()), call.query)

    def get_role(self, call: Call) -> Outcome:
        return Outcome(self._item(self.account(call).roles, call, "role_id"))

    # -- subscriptions -------------------------------------------------------

    def list_subscriptions(self, call: Call) -> Outcome:
        return single_page(list(self.account(call).subscriptions.values()))

    def _subscription_terms(self, body: JSON) -> tuple[str | None, JSON | None]:
        frequency = _choice(body, "frequency", ("weekly", "monthly", "quarterly", "yearly"))
        rate_plan = body.get("rate_plan")
        if rate_plan is not None and not isinstance(rate_plan, dict):
            raise bad_request("rate_plan must be an object")
        return frequency, rate_plan

    def create_subscription(self, call: Call) -> Outcome:
        record = self.account(call)
        frequency, rate_plan = self._subscription_terms(_body(call))
        now = datetime.now(UTC)
        subscription_id, subscription = subscription_record(self._rng, now, frequency, rate_plan)
        record.subscriptions[subscription_id] = subscription
        return Outcome(subscription, resource_id=subscription_id)

    def update_subscription(self, call: Call) -> Outcome:
        record = self.account(call)
        subscription = self._item(record.subscriptions, call, "subscription_identifier")
        frequency, rate_plan = self._subscription_terms(_body(call))
        if frequency is not None:
            subscription["frequency"] = frequency
        if rate_plan is not None:
            subscription["rate_plan"] = {**subscription["rate_plan"], **rate_plan}
        return Outcome(subscription, resource_id=subscription["id"])

    def delete_subscription(self, call: Call) -> Outcome:
        record = self.account(call)
        subscription = self._item(record.subscriptions, call, "subscription_identifier")
        del record.subscriptions[subscription["id"]]
        return Outcome({"subscription_id": subscription["id"]}, resource_id=subscription["id"])

    # -- tokens --------------------------------------------------------------

    def list_tokens(self, call: Call) -> Outcome:
        return paginate(list(self.account(call).tokens.values()), call.query)

    def get_token(self, call: Call) -> Outcome:
        return Outcome(self._item(self.account(call).tokens, call, "token_id"))

    def _token_fields(self, body: JSON) -> JSON:
        policies = body.get("policies")
        if not isinstance(policies, list) or not policies:
            raise bad_request("policies is required and must be a non-empty list")
        fields: JSON = {
            "name": _text(body, "name"),
            "policies": [self._token_policy(policy) for policy in policies],
            "expires_on": _moment(body, "expires_on"),
            "not_before": _moment(body, "not_before"),
        }
        condition = body.get("condition")
        if condition is not None:
            if not isinstance(condition, dict):
                raise bad_request("condition must be an object")
            fields["condition"] = condition
        return fields

    def _token_policy(self, policy: Any) -> JSON:
        if not isinstance(policy, dict):
            raise bad_request("each policy must be an object")
        effect = _choice(policy, "effect", ("allow", "deny"))
        resources = policy.get("resources")
        if effect is None or not isinstance(resources, dict) or not resources:
            raise bad_request("each policy needs effect, permission_groups and resources")
        groups = policy.get("permission_groups")
        if not isinstance(groups, list) or not groups:
            raise bad_request("each policy needs at least one permission group")
        return {
            "id": policy.get("id") or self.new_id(),
            "effect": effect,
            "permission_groups": [self._permission_group(group) for group in groups],
            "resources": resources,
        }

    def create_token(self, call: Call) -> Outcome:
        record = self.account(call)
        fields = self._token_fields(_body(call))
        if len(record.tokens) >= self.max_tokens:
            raise too_many_tokens(self.max_tokens)
        token_id, now = self.new_id(), _now()
        token = {
            "id": token_id,
            **fields,
            "status": "active",
            "issued_on": now,
            "modified_on": now,
            "last_used_on": None,
        }
        record.tokens[token_id] = token
        secret = new_secret(self._rng)
        self._remember_secret(record.id, token_id, secret)
        return Outcome({**token, "value": secret}, resource_id=token_id)

    def update_token(self, call: Call) -> Outcome:
        record = self.account(call)
        token = self._item(record.tokens, call, "token_id")
        body = _body(call)
        token.update(self._token_fields(body))
        token["status"] = (
            _choice(body, "status", ("active", "disabled", "expired")) or token["status"]
        )
        token["modified_on"] = _now()
        return Outcome(token, resource_id=token["id"])

    def delete_token(self, call: Call) -> Outcome:
        record = self.account(call)
        token = self._item(record.tokens, call, "token_id")
        del record.tokens[token["id"]]
        self._forget_secret(token["id"])
        return Outcome({"id": token["id"]}, resource_id=token["id"])

    def roll_token(self, call: Call) -> Outcome:
        record = self.account(call)
        token = self._item(record.tokens, call, "token_id")
        secret = new_secret(self._rng)
        self._remember_secret(record.id, token["id"], secret)
        token["modified_on"] = _now()
        return Outcome(secret, resource_id=token["id"])

    def verify_token(self, call: Call) -> Outcome:
        self.account(call)
        identity = call.identity
        if identity.token_id is None:
            raise bad_request("Only an API token can be verified; this call used an API key")
        token = None
        if identity.account_id is not None:
            token = self.accounts[identity.account_id].tokens[identity.token_id]
        return Outcome(
            {
                "id": identity.token_id,
                "status": "active",
                "expires_on": token and token.get("expires_on"),
                "not_before": token and token.get("not_before"),
            }
        )

    def list_permission_groups(self, call: Call) -> Outcome:
        self.account(call)
        name, scope = call.query.get("name"), call.query.get("scope")
        groups = [
            group
            for group in PERMISSION_GROUPS
            if (name is None or group["name"] == name)
            and (scope is None or scope in group["scopes"])
        ]
        return single_page(groups)

    # -- audit logs ----------------------------------------------------------

    def list_audit_logs(self, call: Call) -> Outcome:
        page, info = _auditlog.list_entries(self.account(call), call.query)
        return Outcome(page, info)
