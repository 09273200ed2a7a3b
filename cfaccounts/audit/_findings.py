"""What an audit reports: findings, severities, thresholds, what it could not read."""

from __future__ import annotations

from typing import Literal

import attrs

Severity = Literal["low", "medium", "high"]
"""How much a finding matters."""
SubjectKind = Literal["member", "token"]
"""What a finding is about."""

SEVERITIES: tuple[Severity, ...] = ("low", "medium", "high")
"""Severities from least to most severe."""


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
    #: The member id or token id.
    subject_id: str
    #: The member's email or the token's name.
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


@attrs.frozen(kw_only=True)
class Thresholds:
    """The limits the checks apply; every one can be changed."""

    #: Pending invitations older than this many days are reported.
    invitation_max_age_days: int = 30
    #: More super administrators than this in one account are reported.
    max_super_admins: int = 3
    #: Tokens expiring within this many days are reported.
    expiring_within_days: int = 30
    #: Tokens unused for this many days (or never used) are reported.
    unused_for_days: int = 90
