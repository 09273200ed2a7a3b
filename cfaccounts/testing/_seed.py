"""Deterministic, varied seed data shaped like the reference's response examples.

Every account is generated from its own ``random.Random(f"{seed}:{index}")``,
so the same seed gives the same accounts, members and tokens whatever the
counts of the others. Times are relative to ``now``: a token "expiring in
ten days" stays so whenever the sandbox starts.

What an audit must tell apart is there, in proportions like a real fleet's:

- members granted access by roles or by policies (role-named permission
  groups such as "Super Administrator - All Privileges" over the whole
  account or over one zone), some narrowed by a deny policy;
- tokens whose permission groups fit their resources (account groups on the
  account, zone groups on zones, R2 groups on buckets), some with a deny
  policy taking write access back from a wildcard; some valid only from a
  future ``not_before``; IP conditions that allow a range, deny only
  (``not_in``), or allow every address (``/0``);
- an audit log holding only the last :data:`AUDIT_LOG_RETENTION_DAYS` days
  (older invitations have no entry), with gaps (an invitation whose entry is
  missing, though someone's ``view`` of the member is there).
"""

from __future__ import annotations

import hashlib
import random
import string
from datetime import datetime, timedelta
from typing import Any

import attrs

from ._records import JSON, AccountRecord, new_id, timestamp

_GRANT_AREAS = (
    "analytics",
    "billing",
    "cache_purge",
    "dns",
    "dns_records",
    "lb",
    "logs",
    "organization",
    "ssl",
    "waf",
    "zone_settings",
    "zones",
)

SUPER_ADMIN = "Super Administrator - All Privileges"
#: Days of audit log the API keeps (version 2): older entries are not seeded.
AUDIT_LOG_RETENTION_DAYS = 30

#: (name, description, areas readable, areas writable); "*" means all.
_ROLES: tuple[tuple[str, str, str, str], ...] = (
    (SUPER_ADMIN, "Can edit any Cloudflare setting, make purchases, update billing", "*", "*"),
    ("Administrator", "Can access the full account, except for membership management", "*", "*"),
    ("Administrator Read Only", "Can access the full account in read-only mode", "*", ""),
    ("Billing", "Can edit the account's billing profile and subscriptions", "billing", "billing"),
    ("DNS", "Grants full access to DNS", "dns dns_records zones", "dns dns_records"),
    ("Firewall", "Can edit WAF, IP Firewall, and Zone Lockdown settings", "waf zones", "waf"),
    ("Analytics", "Can read Analytics", "analytics logs", ""),
    ("Audit Logs Viewer", "Can view Audit Logs", "logs", ""),
)

_CATEGORIES = {
    "Account": "account_and_billing",
    "Billing": "account_and_billing",
    "Load": "network_services",
    "R2": "developer_platform",
    "Workers": "developer_platform",
    "Zone": "dns_and_zones",
}

#: The permission groups account-owned tokens can be given.
PERMISSION_GROUPS: tuple[JSON, ...] = tuple(
    {
        "id": group_id,
        "category": _CATEGORIES.get(name.split()[0], "other"),
        "is_selectable": True,
        "name": name,
        "scopes": [scope],
    }
    for group_id, name, scope in (
        ("7cf72faf220841aabcfdfab81c43c4f6", "Billing Read", "com.cloudflare.api.account"),
        (
            "9d24387c6e8544e2bc4024a03991339f",
            "Load Balancing: Monitors and Pools Read",
            "com.cloudflare.api.account",
        ),
        (
            "d2a1802cc9a34e30852f8b33869b2f3c",
            "Load Balancing: Monitors and Pools Write",
            "com.cloudflare.api.account",
        ),
        (
            "8b47d2786a534c08a1f94ee8f9f599ef",
            "Workers KV Storage Read",
            "com.cloudflare.api.account",
        ),
        (
            "f7f0eda5697f475c90846e879bab8666",
            "Workers KV Storage Write",
            "com.cloudflare.api.account",
        ),
        ("1a71c399035b4950a1bd1466bbe4f420", "Workers Scripts Read", "com.cloudflare.api.account"),
        ("e086da7e2179491d91ee5f35b3ca210a", "Workers Scripts Write", "com.cloudflare.api.account"),
        ("c8fed203ed3043cba015a93ad1616f1f", "Zone Read", "com.cloudflare.api.account.zone"),
        ("e6d2666161e84845a636613608cee8d5", "Zone Write", "com.cloudflare.api.account.zone"),
        ("82e64a83756745bbbb1c9c2701bf816b", "DNS Read", "com.cloudflare.api.account.zone"),
        ("4755a26eedb94da69e1066d98aa820be", "DNS Write", "com.cloudflare.api.account.zone"),
        ("b4992e1108244f5d8bfbd5744320c2e1", "Account Settings Read", "com.cloudflare.api.account"),
        (
            "1af1fa2adc104452b74a9a3364202f20",
            "Account Settings Write",
            "com.cloudflare.api.account",
        ),
        (
            "6c80e02421494afc9ae14414ed442632",
            "R2 Bucket Item Read",
            "com.cloudflare.edge.r2.bucket",
        ),
    )
)

_FIRST_NAMES = [
    "Ada",
    "Alan",
    "Barbara",
    "Claude",
    "Dennis",
    "Donald",
    "Edsger",
    "Frances",
    "Grace",
    "Guido",
    "Hedy",
    "John",
    "Ken",
    "Leslie",
    "Linus",
    "Margaret",
    "Niklaus",
    "Radia",
    "Rich",
    "Robin",
    "Shafi",
    "Sophie",
    "Tim",
    "Whitfield",
    "Yukihiro",
    "Zhang",
]
_LAST_NAMES = [
    "Allen",
    "Backus",
    "Codd",
    "Dijkstra",
    "Engelbart",
    "Hamilton",
    "Hoare",
    "Hopper",
    "Kay",
    "Knuth",
    "Lamport",
    "Liskov",
    "Lovelace",
    "McCarthy",
    "Perlman",
    "Ritchie",
    "Shannon",
    "Stroustrup",
    "Thompson",
    "Torvalds",
    "Turing",
    "Wirth",
]
_COMPANIES = [
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Hooli",
    "Stark",
    "Wayne",
    "Wonka",
    "Cyberdyne",
    "Tyrell",
    "Soylent",
    "Aperture",
    "Vandelay",
    "Gringotts",
    "Monsters",
    "Oceanic",
    "Duff",
    "Massive",
    "Pied",
    "Piper",
]
_DIVISIONS = ("Production", "Staging", "Marketing", "Research", "Platform", "Retail", "Labs")
_TOKEN_PURPOSES = (
    "terraform",
    "dns-updater",
    "ci-deploy",
    "workers-publish",
    "cert-renewal",
    "backup-export",
    "monitoring",
    "log-shipper",
    "cache-purge",
    "billing-report",
)
_RATE_PLANS: tuple[tuple[str, str, float], ...] = (
    ("free", "Free Plan", 0),
    ("pro", "Pro Plan", 20),
    ("business", "Business Plan", 200),
    ("enterprise", "Enterprise Plan", 5000),
)
_SECRET_ALPHABET = string.ascii_letters + string.digits + "-_"


def _group_id(name: str) -> str:
    return hashlib.md5(name.encode(), usedforsecurity=False).hexdigest()


#: The role-named permission groups member policies grant (besides the token groups).
MEMBER_PERMISSION_GROUPS: tuple[JSON, ...] = tuple(
    {
        "id": _group_id(name),
        "name": name,
        "scopes": ["com.cloudflare.api.account"],
        "category": "account_and_billing",
    }
    for name, _description, _readable, _writable in _ROLES
)
_MEMBER_GROUP = {group["name"]: group for group in MEMBER_PERMISSION_GROUPS}

_ACCOUNT_SCOPE = "com.cloudflare.api.account"
_ZONE_SCOPE = "com.cloudflare.api.account.zone"
_BUCKET_SCOPE = "com.cloudflare.edge.r2.bucket"


def _groups_of(scope: str) -> list[JSON]:
    return [group for group in PERMISSION_GROUPS if scope in group["scopes"]]


def _role_templates() -> list[tuple[str, str, JSON]]:
    roles = []
    for name, description, readable, writable in _ROLES:
        can_read = _GRANT_AREAS if readable == "*" else readable.split()
        can_write = _GRANT_AREAS if writable == "*" else writable.split()
        permissions = {
            area: {"read": area in can_read, "write": area in can_write} for area in _GRANT_AREAS
        }
        roles.append((name, description, permissions))
    return roles


#: (name, description, permissions) of every role an account has; no route
#: changes a role, so every account's roles share these permission dicts.
_ROLE_TEMPLATES = _role_templates()


def add_roles(record: AccountRecord, rng: random.Random) -> None:
    """Give a new account its roles; the first is the super administrator."""
    for name, description, permissions in _ROLE_TEMPLATES:
        role_id = new_id(rng)
        record.roles[role_id] = {
            "id": role_id,
            "description": description,
            "name": name,
            "permissions": permissions,
        }


def add_owner(record: AccountRecord, rng: random.Random, owner: JSON) -> None:
    """Make ``owner`` (the sandbox's own user) an accepted super administrator of the account."""
    super_admin = next(iter(record.roles.values()))
    user = {**owner, "two_factor_authentication_enabled": True}
    member_id = new_id(rng)
    record.members[member_id] = _member(member_id, user, [super_admin], "accepted")


def policy_permission_group(group: JSON) -> JSON:
    """``group`` as a policy shows it, with the current API's ``meta``."""
    meta = {"category": group["category"], "label": group["name"], "scopes": group["scopes"][0]}
    return {"id": group["id"], "meta": {**meta, "visibility": "visible"}, "name": group["name"]}


def new_secret(rng: random.Random) -> str:
    """A 40-character token secret."""
    return "".join(rng.choices(_SECRET_ALPHABET, k=40))


class AccountSeeder:
    """Builds one account's records from its own random stream."""

    def __init__(self, seed: int | str, index: int, now: datetime, owner: JSON) -> None:
        self.rng = random.Random(f"{seed}:{index}")
        self.index = index
        self.now = now
        self.owner = owner

    def days_ago(self, low: float, high: float) -> datetime:
        return self.now - timedelta(days=self.rng.uniform(low, high))

    def account(self, members: int, tokens: int) -> tuple[AccountRecord, dict[str, str]]:
        """The account and its token secrets (token id → secret)."""
        rng = self.rng
        company = f"{rng.choice(_COMPANIES)} {rng.choice(_DIVISIONS)}"
        account: JSON = {
            "id": new_id(rng),
            "name": f"{company} {self.index + 1}",
            "type": "enterprise" if rng.random() < 0.2 else "standard",
            "created_on": timestamp(self.days_ago(400, 2500)),
            "settings": {
                "abuse_contact_email": rng.choice([None, f"abuse@{_domain(company)}"]),
                "enforce_twofactor": rng.random() < 0.3,
            },
        }
        if rng.random() < 0.1:
            account["managed_by"] = {
                "parent_org_id": new_id(rng),
                "parent_org_name": f"{rng.choice(_COMPANIES)} Holdings",
            }
        record = AccountRecord(account)
        add_roles(record, rng)
        if members:
            add_owner(record, rng, self.owner)
            self._members(record, members - 1, _domain(company))
        secrets = self._tokens(record, tokens)
        self._subscriptions(record)
        return record, secrets

    def _members(self, record: AccountRecord, count: int, domain: str) -> None:
        rng = self.rng
        roles = list(record.roles.values())
        super_admin, others = roles[0], roles[1:]
        emails = {self.owner["email"]}
        for position in range(1, count + 1):
            member_id = new_id(rng)
            first, last = rng.choice(_FIRST_NAMES), rng.choice(_LAST_NAMES)
            email = f"{first}.{last}@{domain}".lower()
            if email in emails:
                email = f"{first}.{last}{position}@{domain}".lower()
            emails.add(email)
            pending = rng.random() < 0.12
            user = {
                "email": email,
                "id": new_id(rng),
                "first_name": None if pending else first,
                "last_name": None if pending else last,
                "two_factor_authentication_enabled": not pending and rng.random() < 0.75,
            }
            if rng.random() < 0.08:
                member_roles = [super_admin]
            else:
                member_roles = rng.sample(others, k=rng.choice((1, 1, 1, 2)))
            member = _member(member_id, user, member_roles, "pending" if pending else "accepted")
            if rng.random() < 0.25:
                member["roles"] = []
                member["policies"] = self._member_policies(record.id)
            record.members[member_id] = member
            if pending:
                self._log_invitation(record, member)
        record.audit.sort(key=lambda entry: entry["action"]["time"])

    def _log_invitation(self, record: AccountRecord, member: JSON) -> None:
        """The invitation's entry, if the log still keeps it and has no gap there."""
        rng = self.rng
        invited = self.days_ago(0.02, 120)
        if invited < self.now - timedelta(days=AUDIT_LOG_RETENTION_DAYS):
            return  # aged out of the log
        if rng.random() < 0.15:
            # A gap where the invitation was; a later look at the member is logged.
            seen = invited + (self.now - invited) * rng.uniform(0.1, 0.9)
            record.audit.append(
                self._entry(record, seen, ("view", "View Member"), member_resource(record, member))
            )
            return
        record.audit.append(
            self._entry(record, invited, ("create", "Add Member"), member_resource(record, member))
        )

    def _member_policies(self, account_id: str) -> list[JSON]:
        """Access by policies: role-named groups over the account or one zone, or token groups."""
        rng = self.rng
        kind = rng.choices(
            ("super", "admin", "zone_super", "narrowed_super", "groups"),
            weights=(10, 15, 15, 10, 50),
        )[0]
        zone = f"{_ZONE_SCOPE}.{new_id(rng)}"
        if kind == "groups":
            # Zone groups over one zone, or account groups over the account.
            on_zone = rng.random() < 0.5
            candidates = _groups_of(_ZONE_SCOPE if on_zone else _ACCOUNT_SCOPE)
            groups = rng.sample(candidates, k=rng.randint(1, 3))
            return [self._member_policy(account_id, "allow", groups, zone if on_zone else None)]
        named = _MEMBER_GROUP[SUPER_ADMIN if "super" in kind else "Administrator"]
        allow = self._member_policy(
            account_id, "allow", [named], zone if kind == "zone_super" else None
        )
        if kind == "narrowed_super":
            # Super administrator everywhere but one zone: an administrator, no more.
            return [allow, self._member_policy(account_id, "deny", [named], zone)]
        return [allow]

    def _member_policy(
        self, account_id: str, access: str, groups: list[JSON], zone: str | None
    ) -> JSON:
        """One policy: ``groups`` over one ``zone``, or over the whole account (``None``)."""
        rng = self.rng
        account = f"{_ACCOUNT_SCOPE}.{account_id}"
        return {
            "id": new_id(rng),
            "access": access,
            "permission_groups": [policy_permission_group(g) for g in groups],
            "resource_groups": [
                {
                    "id": new_id(rng),
                    "name": account,
                    # One object, as the API sends it today (it was a list).
                    "scope": {"key": account, "objects": [{"key": zone or "*"}]},
                }
            ],
        }

    def _entry(
        self, record: AccountRecord, when: datetime, action: tuple[str, str], resource: _Resource
    ) -> JSON:
        """An audit-log entry of the owner's ``action`` (type, description) on ``resource``."""
        rng = self.rng
        action_type, description = action
        return {
            "id": new_id(rng),
            "account": {"id": record.id, "name": record.name},
            "action": {
                "description": description,
                "result": "success",
                "time": timestamp(when),
                "type": action_type,
            },
            "actor": {
                "id": self.owner["id"],
                "context": "dash",
                "email": self.owner["email"],
                "ip_address": f"198.41.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
                "type": "user",
            },
            "raw": {
                "cf_ray_id": f"{rng.getrandbits(64):016x}",
                "method": resource.method[action_type],
                "status_code": 200,
                "uri": resource.uri[action_type],
                "user_agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) Safari/605.1.15",
            },
            "resource": {
                "id": resource.id,
                "product": resource.product,
                "request": resource.request,
                "response": {},
                "scope": {"id": record.id, "type": "accounts"},
                "type": resource.type,
            },
            "zone": {},
        }

    def _tokens(self, record: AccountRecord, count: int) -> dict[str, str]:
        rng = self.rng
        secrets = {}
        for position in range(count):
            token_id = new_id(rng)
            issued = self.days_ago(5, 900)
            expiry_kind = rng.choices(
                ("never", "expired", "soon", "later"), weights=(40, 12, 13, 35)
            )[0]
            expires_on = {
                "never": None,
                "expired": self.days_ago(1, 60),
                "soon": self.now + timedelta(days=rng.uniform(1, 29)),
                "later": self.now + timedelta(days=rng.uniform(60, 700)),
            }[expiry_kind]
            status = "disabled" if rng.random() < 0.06 else "active"
            if expiry_kind == "expired":
                status = rng.choice(("expired", "expired", "active", "disabled"))
            usage = rng.choices(("never", "stale", "recent"), weights=(15, 20, 65))[0]
            last_used = {
                "never": None,
                "stale": issued + (self.now - issued) * rng.uniform(0.0, 0.5),
                "recent": self.now - timedelta(hours=rng.uniform(1, 24 * 20)),
            }[usage]
            if last_used is not None and last_used < issued:
                last_used = issued
            not_before = issued if rng.random() < 0.5 else None
            if status == "active" and expiry_kind != "expired" and rng.random() < 0.06:
                # Valid only from next week: nobody can have used it yet.
                not_before, last_used = self.now + timedelta(days=rng.uniform(1, 14)), None
            token: JSON = {
                "id": token_id,
                "creator_email_at_creation": self.owner["email"],
                "name": f"{rng.choice(_TOKEN_PURPOSES)}-{position + 1}",
                "status": status,
                "issued_on": timestamp(issued),
                "modified_on": timestamp(issued + timedelta(hours=rng.uniform(0, 48))),
                "not_before": None if not_before is None else timestamp(not_before),
                "expires_on": None if expires_on is None else timestamp(expires_on),
                "last_used_on": None if last_used is None else timestamp(last_used),
                "policies": self._token_policies(record.id),
            }
            condition = self._condition()
            if condition is not None:
                token["condition"] = condition
            record.tokens[token_id] = token
            secrets[token_id] = new_secret(rng)
            retained = max(issued, self.now - timedelta(days=AUDIT_LOG_RETENTION_DAYS))
            if rng.random() < 0.5:
                rolled = retained + (self.now - retained) * rng.uniform(0.05, 0.95)
                record.audit.append(
                    self._entry(
                        record, rolled, ("update", "Roll Token"), token_resource(record, token)
                    )
                )
        record.audit.sort(key=lambda entry: entry["action"]["time"])
        return secrets

    def _condition(self) -> JSON | None:
        rng = self.rng
        kind = rng.choices(
            ("none", "in", "in_and_not_in", "not_in_only", "everything"), weights=(50, 30, 8, 7, 5)
        )[0]
        if kind == "none":
            return None
        network = f"{rng.randint(11, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}"
        allowed = [f"{network}.0/24", f"2400:cb00:{rng.randint(1, 4095):x}::/48"]
        host = [f"{network}.{rng.randint(1, 254)}/32"]
        request_ip: JSON = {
            "in": {"in": allowed},
            "in_and_not_in": {"in": allowed, "not_in": host},
            "not_in_only": {"not_in": host},
            # Written as an allowlist, allowing every address.
            "everything": {"in": ["0.0.0.0/0", "::/0"]},
        }[kind]
        return {"request_ip": request_ip}

    def _token_policies(self, account_id: str) -> list[JSON]:
        """One or two allow policies; some wildcards narrowed by a deny of their writes."""
        rng = self.rng
        policies = [self._token_policy(account_id) for _ in range(rng.choice((1, 1, 2)))]
        wide = policies[0]
        writes = [g for g in wide["permission_groups"] if not g["name"].endswith("Read")]
        if writes and _is_wildcard(wide["resources"]) and rng.random() < 0.25:
            # Deny what the wildcard would let it change: it only reads there.
            policies.append(
                {
                    "id": new_id(rng),
                    "effect": "deny",
                    "permission_groups": writes,
                    "resources": wide["resources"],
                }
            )
        return policies

    def _token_policy(self, account_id: str) -> JSON:
        """An allow policy whose permission groups fit its resources."""
        rng = self.rng
        zone = f"{_ZONE_SCOPE}.{new_id(rng)}"
        account = f"{_ACCOUNT_SCOPE}.{account_id}"
        bucket = f"{_BUCKET_SCOPE}.{account_id}_default_{rng.choice(_TOKEN_PURPOSES)}"
        scope, resources = rng.choices(
            (
                (_ACCOUNT_SCOPE, {account: "*"}),
                (_ZONE_SCOPE, {zone: "*"}),
                (_ZONE_SCOPE, {account: {f"{_ZONE_SCOPE}.*": "*"}}),
                (_ACCOUNT_SCOPE, {f"{_ACCOUNT_SCOPE}.*": "*"}),
                (_BUCKET_SCOPE, {bucket: "*"}),
            ),
            weights=(40, 35, 12, 5, 8),
        )[0]
        candidates = _groups_of(scope)
        groups = rng.sample(candidates, k=rng.randint(1, min(3, len(candidates))))
        resources_json: Any = resources
        return {
            "id": new_id(rng),
            "effect": "allow",
            "permission_groups": [policy_permission_group(g) for g in groups],
            "resources": resources_json,
        }

    def _subscriptions(self, record: AccountRecord) -> None:
        rng = self.rng
        for _ in range(rng.choice((0, 1, 1, 2))):
            record.subscriptions.update([subscription_record(rng, self.now)])


def subscription_record(
    rng: random.Random,
    now: datetime,
    frequency: str | None = None,
    rate_plan: JSON | None = None,
) -> tuple[str, JSON]:
    """A subscription (id, record) on ``rate_plan`` (random if not given)."""
    plan_id, public_name, price = rng.choice(_RATE_PLANS)
    if rate_plan and rate_plan.get("id"):
        plan_id = str(rate_plan["id"])
        public_name, price = next(
            ((name, cost) for pid, name, cost in _RATE_PLANS if pid == plan_id),
            (plan_id.replace("_", " ").title() + " Plan", 0),
        )
    start = now - timedelta(days=rng.uniform(0, 30))
    subscription_id = new_id(rng)
    return subscription_id, {
        "id": subscription_id,
        "currency": "USD",
        "current_period_start": timestamp(start),
        "current_period_end": timestamp(start + timedelta(days=30)),
        "frequency": frequency or rng.choice(("monthly", "monthly", "yearly")),
        "price": price,
        "rate_plan": {
            "id": plan_id,
            "currency": "USD",
            "externally_managed": False,
            "is_contract": plan_id == "enterprise",
            "public_name": public_name,
            "scope": "zone",
            "sets": [],
            **(rate_plan or {}),
        },
        "state": "Paid",
    }


@attrs.frozen
class _Resource:
    """What an audit-log entry is about, and the request per action type that changed it."""

    id: str
    product: str
    type: str
    request: JSON
    method: dict[str, str]
    uri: dict[str, str]


def member_resource(record: AccountRecord, member: JSON) -> _Resource:
    members = f"/accounts/{record.id}/members"
    return _Resource(
        member["id"],
        "members",
        "member",
        {"email": member["email"]},
        {"create": "POST", "view": "GET"},
        {"create": members, "view": f"{members}/{member['id']}"},
    )


def token_resource(record: AccountRecord, token: JSON) -> _Resource:
    return _Resource(
        token["id"],
        "tokens",
        "token",
        {},
        {"update": "PUT"},
        {"update": f"/accounts/{record.id}/tokens/{token['id']}/value"},
    )


def _is_wildcard(resources: JSON) -> bool:
    """Whether resources reach every zone or the whole account (not named ones)."""
    return any(
        isinstance(value, dict)
        or key.endswith("*")
        or (key.startswith(f"{_ACCOUNT_SCOPE}.") and not key.startswith(f"{_ZONE_SCOPE}."))
        for key, value in resources.items()
    )


def _member(member_id: str, user: JSON, roles: list[JSON], status: str) -> JSON:
    return {
        "id": member_id,
        "email": user["email"],
        "policies": [],
        "roles": roles,
        "status": status,
        "user": user,
    }


def _domain(company: str) -> str:
    return company.split(maxsplit=1)[0].lower() + ".example"
