"""The audit report: a versioned JSON document, and CSV rows of findings.

The JSON report follows ``report.schema.json`` (shipped beside this module,
:func:`report_schema` loads it). ``schema`` is its version: a change that
could break a reader raises it. A report says what it covers: when the run
started and finished, whether it is ``complete``, the thresholds, which
accounts were audited, which failed and why, which checks could not run on
which account (and the permission they need), then the findings. The
*summary* is the same document without ``findings``.

CSV holds finding rows only, each cell neutralised against formula injection
(:func:`csv_cell`).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from importlib.resources import files
from typing import IO, Any, Literal

import attrs

from .._version import __version__
from ._findings import SEVERITIES, AccountFailure, Finding, NotChecked, Severity, Thresholds

SCHEMA_VERSION = 1
#: The columns of the CSV output and the keys of each JSON finding, in order.
FIELDS = [field.name for field in attrs.fields(Finding)]

Outcome = Literal["clean", "findings", "partial", "interrupted", "could_not_run", "internal_error"]
"""How the run ended; the exit code follows from it (see ``cfaccounts audit --help``)."""

#: OWASP's rule: a cell starting with one of these is read as a formula by spreadsheets.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def report_schema() -> dict[str, Any]:
    """The JSON Schema of the report (and of the summary, which has no ``findings``)."""
    text = files(__package__).joinpath("report.schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@attrs.frozen(kw_only=True)
class RunSummary:
    """What a run covered: everything in the report but the findings."""

    started: datetime
    finished: datetime
    outcome: Outcome
    exit_code: int
    #: Why the run ended early (could not start, internal error, interrupted).
    error: str | None
    thresholds: Thresholds
    fail_on: Severity | None
    accounts_total: int | None
    accounts_audited: int
    failures: Sequence[AccountFailure]
    not_checked: Sequence[NotChecked]

    @property
    def complete(self) -> bool:
        """Whether every account was audited and the run ended on its own."""
        return self.outcome in {"clean", "findings"}

    def to_json(self, findings: Sequence[Finding] | None) -> dict[str, Any]:
        """The report, with ``findings``; the summary without (``None``)."""
        counts = dict.fromkeys(reversed(SEVERITIES), 0)
        for finding in findings or ():
            counts[finding.severity] += 1
        document: dict[str, Any] = {
            "schema": SCHEMA_VERSION,
            "generator": f"cfaccounts {__version__}",
            "started": _timestamp(self.started),
            "finished": _timestamp(self.finished),
            "complete": self.complete,
            "outcome": self.outcome,
            "exit_code": self.exit_code,
            "error": self.error,
            "thresholds": {**attrs.asdict(self.thresholds), "fail_on": self.fail_on},
            "accounts": {
                "total": self.accounts_total,
                "audited": self.accounts_audited,
                "failed": [
                    {
                        "id": failure.account_id,
                        "name": failure.account_name,
                        "status_code": failure.status_code,
                        "error": failure.error,
                    }
                    for failure in sorted(self.failures, key=lambda f: f.account_id)
                ],
                "not_checked": [
                    attrs.asdict(item)
                    for item in sorted(self.not_checked, key=lambda n: (n.account_id, n.check))
                ],
            },
        }
        if findings is not None:
            document["counts"] = counts
            document["findings"] = [attrs.asdict(finding) for finding in findings]
        return document


def write_json(document: Mapping[str, Any], stream: IO[str]) -> None:
    """The report (or summary) as indented JSON, one value per line, never wrapped.

    ASCII only (other characters escaped), whatever the encoding of the stream.
    """
    json.dump(document, stream, indent=2)
    stream.write("\n")


def csv_cell(value: object) -> str:
    """``value`` as a CSV cell that no spreadsheet evaluates (OWASP's CSV-injection rule).

    A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
    return gets a leading ``'``, so ``=HYPERLINK(...)`` in a token name (a
    user-set string) is shown, not run. The writer quotes every cell.
    """
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def write_csv(findings: Iterable[Finding], stream: IO[str]) -> None:
    """A header row of :data:`FIELDS`, then one row per finding, every cell quoted."""
    writer = csv.writer(stream, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerow(FIELDS)
    for finding in findings:
        writer.writerow([csv_cell(getattr(finding, name)) for name in FIELDS])
