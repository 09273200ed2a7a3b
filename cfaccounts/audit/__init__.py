"""Bulk audits of members and API tokens across accounts, at the rate-limit ceiling.

>>> from cfaccounts import AsyncCloudflare
>>> from cfaccounts.audit import Audit, Thresholds
>>> async with AsyncCloudflare() as client:                       # doctest: +SKIP
...     run = Audit(client, thresholds=Thresholds(unused_for_days=60))
...     async for finding in run:
...         print(finding.severity, finding.account_name, finding.subject_name, finding.detail)
...     print(run.failures)

The checks, their severities, triggers and the fields they read are
:data:`CHECKS`; the token permission each needs follows from
:data:`CHECK_SOURCES` and :data:`SOURCES`. ``cfaccounts audit`` runs an
audit from the command line.
"""

from ._checks import CHECKS, Check
from ._findings import (
    SEVERITIES,
    AccountFailure,
    Finding,
    NotChecked,
    Severity,
    SubjectKind,
    Thresholds,
)
from ._report import report_schema
from ._run import CHECK_SOURCES, SOURCES, Audit, Source

__all__ = [
    "CHECKS",
    "CHECK_SOURCES",
    "SEVERITIES",
    "SOURCES",
    "AccountFailure",
    "Audit",
    "Check",
    "Finding",
    "NotChecked",
    "Severity",
    "Source",
    "SubjectKind",
    "Thresholds",
    "report_schema",
]
