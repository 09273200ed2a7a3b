"""What the sandbox stores: accounts and everything they own, as JSON-ready dicts.

Records hold exactly what the API serves, so answering a read is a lookup
and a ``json.dumps``; nothing is converted per request.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

import attrs

JSON = dict[str, Any]


def timestamp(moment: datetime) -> str:
    """Cloudflare's timestamp form: ``2024-04-26T17:31:07Z`` (four-digit years, always).

    Raises:
        OverflowError: ``moment`` in UTC falls outside years 1 to 9999.
    """
    return moment.astimezone(UTC).replace(tzinfo=None, microsecond=0).isoformat() + "Z"


def parse_timestamp(text: str) -> str:
    """An RFC 3339 timestamp (naive ones are UTC) in Cloudflare's form, to compare as text.

    Raises:
        ValueError: ``text`` is not a timestamp, or one outside years 1 to 9999 in UTC.
    """
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    try:
        return timestamp(moment if moment.tzinfo else moment.replace(tzinfo=UTC))
    except OverflowError:
        raise ValueError(f"{text!r} is out of range in UTC") from None


def new_id(rng: random.Random) -> str:
    """A 32-character hex id, as Cloudflare's ids are in practice."""
    return f"{rng.getrandbits(128):032x}"


@attrs.define
class AccountRecord:
    """One account and what it owns, each keyed by id in creation order."""

    account: JSON
    roles: dict[str, JSON] = attrs.field(factory=dict)
    members: dict[str, JSON] = attrs.field(factory=dict)
    tokens: dict[str, JSON] = attrs.field(factory=dict)
    subscriptions: dict[str, JSON] = attrs.field(factory=dict)
    #: Audit-log entries, oldest first.
    audit: list[JSON] = attrs.field(factory=list)

    @property
    def id(self) -> str:
        return str(self.account["id"])

    @property
    def name(self) -> str:
        return str(self.account["name"])


@attrs.frozen
class Identity:
    """Who a credential acts as: the user and, for a token, which token."""

    user_id: str
    email: str
    context: str  # "api_token" or "api_key", as audit logs name it
    token_id: str | None = None
    token_name: str | None = None
    #: An account-owned token only reaches its own account.
    account_id: str | None = None
