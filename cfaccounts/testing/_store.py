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
from . import _shapes as shapes
from ._errors import bad_request, conflict, forbidden, not_found, too_many_tokens
from ._records import JSON, AccountRecord, Identity, new_id, timestamp
from ._seed import (
    MEMBER_PERMISSION_GROUPS,
    PERMISSION_GROUPS,
    add_owner,
    add_roles,
    new_secret,
    policy_permission_group,
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
    idempotency_key: str | None = None


@attrs.frozen
class Outcome:
    """What an operation answers: ``result`` and, for listings, ``result_info``."""

    result: Any
    result_info: JSON | None = None
    #: The id of the resource a change touched, for its audit-log entry.
    resource_id: str | None = None
    #: The answer to an earlier request with the same ``Idempotency-Key``: nothing changed.
    replayed: bool = False


Operation = Callable[["Store", Call], Outcome]


def _now() -> str:
    return timestamp(datetime.now(UTC))


def paginate(items: list[JSON], query: MultiMapping[str]) -> Outcome:
    """A page-number page of ``items``, with Cloudflare's ``result_info``.

    ``per_page`` above the maximum is lowered to it, as the API does.
    """
    page = shapes.whole_number(query, "page", 1)
    per_page = min(shapes.whole_number(query, "per_page", DEFAULT_PER_PAGE), MAX_PER_PAGE)
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
        #: Idempotency-Key → the first answer to an accounts.create that carried it.
        self._created_accounts: dict[str, Outcome] = {}
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
        replay = self._created_accounts.get(call.idempotency_key or "")
        if replay is not None:
            return attrs.evolve(replay, replayed=True)
        body = shapes.validate(shapes.ACCOUNT_CREATE, call.body)
        account: JSON = {
            "id": self.new_id(),
            "name": body["name"],
            "type": body.get("type") or "standard",
            "created_on": _now(),
            "settings": {"abuse_contact_email": None, "enforce_twofactor": False},
        }
        unit_id = (body.get("unit") or {}).get("id")
        if unit_id is not None:
            account["managed_by"] = {"parent_org_id": unit_id, "parent_org_name": None}
        record = AccountRecord(account)
        add_roles(record, self._rng)
        add_owner(record, self._rng, self.owner)
        self.accounts[record.id] = record
        outcome = Outcome(account, resource_id=record.id)
        if call.idempotency_key:
            self._created_accounts[call.idempotency_key] = outcome
        return outcome

    def update_account(self, call: Call) -> Outcome:
        record = self.account(call)
        body = shapes.validate(shapes.ACCOUNT_UPDATE, call.body)
        if body["id"] != record.id:
            raise bad_request("id does not match the account in the path")
        account = record.account
        account["name"], account["type"] = body["name"], body["type"]
        if body.get("settings") is not None:
            account["settings"] = {**account.get("settings", {}), **body["settings"]}
        if body.get("managed_by") is not None:
            account["managed_by"] = body["managed_by"]
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

    @staticmethod
    def _roles(record: AccountRecord, role_ids: list[str]) -> list[JSON]:
        """The roles of ``record`` with these ids; a 400 naming one it does not have."""
        for role_id in role_ids:
            if role_id not in record.roles:
                raise bad_request(f"Unknown role {role_id!r}")
        return [record.roles[role_id] for role_id in role_ids]

    @staticmethod
    def _permission_groups(
        group_ids: list[str], known: dict[Any, JSON] = _GROUPS_BY_ID
    ) -> list[JSON]:
        """The permission groups with these ids; a 400 naming one that does not exist."""
        for group_id in group_ids:
            if group_id not in known:
                raise bad_request(f"Unknown permission group {group_id!r}")
        return [policy_permission_group(known[group_id]) for group_id in group_ids]

    def _member_policies(self, policies: list[JSON]) -> Callable[[], list[JSON]]:
        """Checks ``policies`` now; the returned function builds them (new ids and all).

        Role-named permission groups are allowed here, as the API allows them;
        a resource group keeps the scope it was given (an id alone has none).
        """
        groups = [
            self._permission_groups(policy["permission_groups"], _MEMBER_GROUPS_BY_ID)
            for policy in policies
        ]

        def build() -> list[JSON]:
            return [
                {
                    "id": policy.get("id") or self.new_id(),
                    "access": policy["access"],
                    "permission_groups": policy_groups,
                    "resource_groups": [
                        {"scope": [], **group} for group in policy["resource_groups"]
                    ],
                }
                for policy, policy_groups in zip(policies, groups, strict=True)
            ]

        return build

    def create_member(self, call: Call) -> Outcome:
        record = self.account(call)
        body = shapes.validate(shapes.MEMBER_CREATE, call.body)
        email = body["email"]
        if "@" not in email:
            raise bad_request("email must be an email address")
        if any(member["email"] == email for member in record.members.values()):
            raise conflict(f"{email} is already a member of this account")
        roles = self._roles(record, body.get("roles") or [])
        policies = self._member_policies(body.get("policies") or [])
        member_id = self.new_id()
        member = {
            "id": member_id,
            "email": email,
            "policies": policies(),
            "roles": roles,
            "status": body.get("status") or "pending",
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
        body = shapes.validate(shapes.MEMBER_UPDATE, call.body)
        roles = None if body.get("roles") is None else self._roles(record, body["roles"])
        policies = body.get("policies")
        build_policies = None if policies is None else self._member_policies(policies)
        if roles is not None:
            member["roles"] = roles
        if build_policies is not None:
            member["policies"] = build_policies()
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

    def create_subscription(self, call: Call) -> Outcome:
        record = self.account(call)
        body = shapes.validate(shapes.SUBSCRIPTION, call.body)
        now = datetime.now(UTC)
        subscription_id, subscription = subscription_record(
            self._rng, now, body.get("frequency"), body.get("rate_plan")
        )
        record.subscriptions[subscription_id] = subscription
        return Outcome(subscription, resource_id=subscription_id)

    def update_subscription(self, call: Call) -> Outcome:
        record = self.account(call)
        subscription = self._item(record.subscriptions, call, "subscription_identifier")
        body = shapes.validate(shapes.SUBSCRIPTION, call.body)
        if body.get("frequency") is not None:
            subscription["frequency"] = body["frequency"]
        if body.get("rate_plan") is not None:
            subscription["rate_plan"] = {**subscription["rate_plan"], **body["rate_plan"]}
        return Outcome(subscription, resource_id=subscription["id"])

    def delete_subscription(self, call: Call) -> Outcome:
        record = self.account(call)
        subscription = self._item(record.subscriptions, call, "subscription_identifier")
        del record.subscriptions[subscription["id"]]
        return Outcome({"subscription_id": subscription["id"]}, resource_id=subscription["id"])

    # -- tokens --------------------------------------------------------------

    def list_tokens(self, call: Call) -> Outcome:
        tokens = list(self.account(call).tokens.values())
        if call.query.get("include_expired") != "true":
            now = _now()
            tokens = [token for token in tokens if (token["expires_on"] or now) >= now]
        return paginate(tokens, call.query)

    def get_token(self, call: Call) -> Outcome:
        return Outcome(self._item(self.account(call).tokens, call, "token_id"))

    def _token_fields(self, body: JSON) -> Callable[[], JSON]:
        """Checks a token body's policies now; the returned function builds its fields."""
        policies = body["policies"]
        groups = [self._permission_groups(policy["permission_groups"]) for policy in policies]

        def build() -> JSON:
            fields: JSON = {
                "name": body["name"],
                "policies": [
                    {
                        "id": policy.get("id") or self.new_id(),
                        "effect": policy["effect"],
                        "permission_groups": policy_groups,
                        "resources": policy["resources"],
                    }
                    for policy, policy_groups in zip(policies, groups, strict=True)
                ],
                "expires_on": body.get("expires_on"),
                "not_before": body.get("not_before"),
            }
            if body.get("condition") is not None:
                fields["condition"] = body["condition"]
            return fields

        return build

    def create_token(self, call: Call) -> Outcome:
        record = self.account(call)
        fields = self._token_fields(shapes.validate(shapes.TOKEN_CREATE, call.body))
        if len(record.tokens) >= self.max_tokens:
            raise too_many_tokens(self.max_tokens)
        token_id, now = self.new_id(), _now()
        token = {
            "id": token_id,
            "creator_email_at_creation": call.identity.email,
            **fields(),
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
        body = shapes.validate(shapes.TOKEN_UPDATE, call.body)
        fields = self._token_fields(body)
        token.update(fields())
        token["status"] = body.get("status") or token["status"]
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
