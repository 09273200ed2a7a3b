"""What an audit reports: findings, severities, thresholds, what it could not read."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

import attrs

Severity = Literal["low", "medium", "high"]
"""How much a finding matters."""
SubjectKind = Literal["account", "member", "token"]
"""What a finding is about."""

SEVERITIES: tuple[Severity, ...] = ("low", "medium", "high")
"""Severities from least to most severe."""


def worse(severity: Severity, steps: int = 1) -> Severity:
    """``severity`` moved ``steps`` towards high (negative: towards low), within the scale."""
    index = min(max(SEVERITIES.index(severity) + steps, 0), len(SEVERITIES) - 1)
    return SEVERITIES[index]


def at_least(severity: Severity, threshold: Severity) -> bool:
    """Whether ``severity`` is ``threshold`` or worse."""
    return SEVERITIES.index(severity) >= SEVERITIES.index(threshold)


@attrs.frozen(kw_only=True)
class Finding:
    """One problem with one member or token of one account.

    The attribute names are the keys of the CLI's JSON and CSV output.
    """

    account_id: str
    account_name: str
    subject_kind: SubjectKind
    #: The member id, token id or (for an account's own findings) account id.
    subject_id: str
    #: The member's email, the token's name or the account's name.
    subject_name: str
    #: Which check found it, such as ``member_without_2fa``.
    check: str
    severity: Severity
    detail: str


@attrs.frozen(kw_only=True)
class AccountFailure:
    """An account the audit could not read; the rest of the audit went on."""

    account_id: str
    account_name: str
    #: The HTTP status of the failure, if there was a response.
    status_code: int | None
    error: str


@attrs.frozen(kw_only=True)
class NotChecked:
    """A check that could not run on one account: the credential may not read its data.

    The account's other checks ran; this one reported nothing, for lack of
    data, not for lack of problems.
    """

    account_id: str
    account_name: str
    #: The check that did not run, such as ``stale_invitation``.
    check: str
    #: The token permission that would let it run, such as ``Account Settings Read``.
    permission: str
    #: The request that was refused, such as ``GET /accounts/{account_id}/logs/audit``.
    request: str
    error: str


#: How long Cloudflare keeps account audit logs (version 2), as its documentation states.
AUDIT_LOG_RETENTION_DAYS = 30


def _domains(values: Iterable[str]) -> tuple[str, ...]:
    """Domains lower-cased, without a leading ``@``, each once.

    Raises:
        ValueError: one is empty or not a domain (spaces, another ``@``).
    """
    if isinstance(values, str):
        values = (values,)
    domains = []
    for value in values:
        domain = value.strip().lower().removeprefix("@")
        if not domain or "@" in domain or any(char.isspace() for char in domain):
            raise ValueError(f"allowed_domains: {value!r} is not an email domain")
        domains.append(domain)
    return tuple(dict.fromkeys(domains))


@attrs.frozen(kw_only=True)
class Thresholds:
    """The limits the checks apply; every one can be changed."""

    #: Pending invitations older than this many days are reported (less than
    #: the audit log's retention, or no invitation could be dated that old).
    invitation_max_age_days: int = 14
    #: More super administrators than this in one account are reported.
    max_super_admins: int = 3
    #: More administrators (not counting super administrators) than this are reported.
    max_admins: int = 5
    #: Tokens expiring within this many days are reported.
    expiring_within_days: int = 30
    #: Tokens unused for this many days (or never used) are reported.
    unused_for_days: int = 90
    #: Tokens issued longer ago than this many days (never rotated since) are reported.
    token_max_age_days: int = 365
    #: Tokens valid for longer than this many days (issue or start to expiry) are reported.
    token_max_lifetime_days: int = 365
    #: How many days of audit log the API keeps: an invitation older than
    #: that has no entry left, so its age is unknown.
    audit_log_retention_days: int = AUDIT_LOG_RETENTION_DAYS
    #: Email domains members may have (a subdomain counts); empty: any.
    allowed_domains: tuple[str, ...] = attrs.field(default=(), converter=_domains)
