"""The ``cfaccounts`` command line (``pip install 'cfaccounts[cli]'``).

``cfaccounts audit`` audits members and API tokens across accounts. Exit
codes: 0 when no finding reaches ``--fail-on`` and every account was read;
1 when a finding reaches ``--fail-on``; 2 for bad usage or when the audit
cannot start (no credentials, the accounts cannot be listed); 3 when some
accounts could not be audited (they are listed on stderr).
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import json
import sys
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from pathlib import Path
from typing import IO, Any

try:
    import click
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table
except ImportError as missing:  # pragma: no cover - depends on the install
    raise SystemExit(
        f"The cfaccounts command line needs {missing.name}: pip install 'cfaccounts[cli]'"
    ) from missing

import attrs

from ._client import AsyncCloudflare
from ._exceptions import CloudflareError
from ._ratelimit import RateLimit
from ._version import __version__
from .audit import SEVERITIES, AccountFailure, Audit, Finding, Severity, Thresholds
from .audit._findings import at_least
from .testing import Sandbox

FIELDS = [field.name for field in attrs.fields(Finding)]
EXIT_FINDINGS, EXIT_CANNOT_RUN, EXIT_PARTIAL = 1, 2, 3
_SEVERITY_STYLE = {"high": "bold red", "medium": "yellow", "low": "cyan"}


def write_json(findings: Sequence[Finding], stream: IO[str]) -> None:
    """An array of findings, each an object keyed by :data:`FIELDS`."""
    json.dump([attrs.asdict(finding) for finding in findings], stream, indent=2)
    stream.write("\n")


def write_csv(findings: Sequence[Finding], stream: IO[str]) -> None:
    """A header row of :data:`FIELDS`, then one row per finding."""
    writer = csv.DictWriter(stream, FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(attrs.asdict(finding) for finding in findings)


def write_table(findings: Sequence[Finding], stream: IO[str]) -> None:
    """A table for people; colours only on a terminal."""
    table = Table(title=f"{len(findings)} findings", title_justify="left")
    for column in ("severity", "account", "kind", "subject", "check", "detail"):
        table.add_column(column, overflow="fold")
    for f in findings:
        table.add_row(
            f"[{_SEVERITY_STYLE[f.severity]}]{f.severity}[/]",
            f.account_name or f.account_id,
            f.subject_kind,
            f.subject_name,
            f.check,
            f.detail,
        )
    Console(file=stream, width=None if stream.isatty() else 160).print(table)


WRITERS: dict[str, Callable[[Sequence[Finding], IO[str]], None]] = {
    "table": write_table,
    "json": write_json,
    "csv": write_csv,
}


def _ordered(findings: Iterable[Finding]) -> list[Finding]:
    """Worst first, then by account, subject and check: the same audit prints the same."""
    return sorted(
        findings,
        key=lambda f: (
            -SEVERITIES.index(f.severity),
            f.account_name,
            f.account_id,
            f.subject_kind,
            f.subject_name,
            f.subject_id,
            f.check,
        ),
    )


def _rate_limit(context: click.Context, parameter: click.Parameter, value: str) -> RateLimit | None:
    try:
        return RateLimit.parse(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


@contextlib.asynccontextmanager
async def _client(
    options: dict[str, Any], sandbox_accounts: int | None
) -> AsyncIterator[AsyncCloudflare]:
    """A client for the real API (credentials from the environment), or for a sandbox."""
    if sandbox_accounts is None:
        async with AsyncCloudflare(**options) as client:
            yield client
        return
    # The sandbox enforces the limit the client paces to, as Cloudflare would.
    sandbox = Sandbox(
        seed="audit",
        accounts=sandbox_accounts,
        members_per_account=25,
        tokens_per_account=12,
        rate_limit=options["rate_limit"],
    )
    async with sandbox, sandbox.client(**options) as client:
        yield client


async def _watch(run: Audit, client: AsyncCloudflare, console: Console) -> None:
    """Redraw the progress display until cancelled."""
    limiter = client.rate_limiter
    columns = (
        TextColumn("auditing accounts"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[requests]} requests, {task.fields[waits]} rate-limit waits"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("audit", total=None, requests=0, waits=0)
        while True:
            progress.update(
                task,
                completed=run.accounts_done,
                total=run.accounts_total,
                requests=limiter.requests,
                waits=limiter.delayed,
            )
            await asyncio.sleep(0.1)


async def _audit(
    client_options: dict[str, Any],
    audit_options: dict[str, Any],
    sandbox_accounts: int | None,
    errors: Console,
) -> tuple[list[Finding], list[AccountFailure]]:
    async with _client(client_options, sandbox_accounts) as client:
        run = Audit(client, **audit_options)
        watcher = asyncio.create_task(_watch(run, client, errors)) if errors.is_terminal else None
        try:
            findings = [finding async for finding in run]
        finally:
            if watcher is not None:
                watcher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watcher
        limiter = client.rate_limiter
        errors.print(
            f"audited {run.accounts_done} accounts ({len(run.failures)} failed): "
            f"{len(findings)} findings, {limiter.requests} requests, "
            f"{limiter.delayed} rate-limit waits, {limiter.pauses} pauses after a 429",
            highlight=False,
            soft_wrap=True,
        )
        return findings, run.failures


@click.group()
@click.version_option(__version__, prog_name="cfaccounts")
def main() -> None:
    """cfaccounts: the Cloudflare Accounts API from the command line."""


@main.command()
@click.option(
    "--account",
    "account_ids",
    multiple=True,
    metavar="ID",
    help="Audit this account (repeatable); default: every account.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(list(WRITERS)),
    default="table",
    show_default=True,
    help="Output format.",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the findings here instead of stdout.",
)
@click.option(
    "--fail-on",
    type=click.Choice(SEVERITIES),
    help="Exit with 1 if a finding is this severe or worse.",
)
@click.option(
    "--max-concurrency",
    type=click.IntRange(min=1),
    default=16,
    show_default=True,
    help="Requests in flight at once.",
)
@click.option(
    "--rate-limit",
    default="1200/300",
    show_default=True,
    callback=_rate_limit,
    metavar="LIMIT/SECONDS",
    help="Requests per window to keep to, or none.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=30.0,
    show_default=True,
    help="Seconds per request.",
)
@click.option(
    "--invitation-max-age",
    type=click.IntRange(min=0),
    default=Thresholds().invitation_max_age_days,
    show_default=True,
    help="Days before a pending invitation is reported.",
)
@click.option(
    "--max-super-admins",
    type=click.IntRange(min=0),
    default=Thresholds().max_super_admins,
    show_default=True,
    help="Super administrators allowed per account.",
)
@click.option(
    "--expiring-within",
    type=click.IntRange(min=0),
    default=Thresholds().expiring_within_days,
    show_default=True,
    help="Days ahead to report expiring tokens.",
)
@click.option(
    "--unused-for",
    type=click.IntRange(min=0),
    default=Thresholds().unused_for_days,
    show_default=True,
    help="Days without use before a token is reported.",
)
@click.option(
    "--sandbox", is_flag=True, help="Audit the embedded sandbox (no account, no network)."
)
@click.option(
    "--sandbox-accounts",
    type=click.IntRange(min=1),
    default=20,
    show_default=True,
    help="Accounts in the sandbox.",
)
def audit(
    *,
    account_ids: tuple[str, ...],
    output_format: str,
    output: Path | None,
    fail_on: Severity | None,
    max_concurrency: int,
    rate_limit: RateLimit | None,
    timeout: float,
    invitation_max_age: int,
    max_super_admins: int,
    expiring_within: int,
    unused_for: int,
    sandbox: bool,
    sandbox_accounts: int,
) -> None:
    """Audit the members and API tokens of your accounts.

    Reports members without two-factor authentication, stale invitations,
    too many super administrators, and tokens without an IP allowlist,
    never expiring, expired but not disabled, expiring soon, unused, or
    allowing wildcard resources. Credentials come from CLOUDFLARE_API_TOKEN,
    or CLOUDFLARE_EMAIL and CLOUDFLARE_API_KEY.
    """
    errors = Console(stderr=True)
    client_options: dict[str, Any] = {
        "rate_limit": rate_limit,
        "max_concurrency": max_concurrency,
        "max_retries": 5,
        "timeout": timeout,
    }
    audit_options: dict[str, Any] = {
        "account_ids": account_ids or None,
        "thresholds": Thresholds(
            invitation_max_age_days=invitation_max_age,
            max_super_admins=max_super_admins,
            expiring_within_days=expiring_within,
            unused_for_days=unused_for,
        ),
        "accounts_in_parallel": max_concurrency,
    }
    try:
        findings, failures = asyncio.run(
            _audit(client_options, audit_options, sandbox_accounts if sandbox else None, errors)
        )
    except CloudflareError as error:
        errors.print(f"cfaccounts audit: {error}", highlight=False, markup=False)
        sys.exit(EXIT_CANNOT_RUN)
    findings = _ordered(findings)
    write = WRITERS[output_format]
    if output is None:
        write(findings, sys.stdout)
    else:
        with output.open("w", encoding="utf-8", newline="") as stream:
            write(findings, stream)
    for failure in failures:
        errors.print(
            f"could not audit account {failure.account_id} {failure.account_name}: {failure.error}",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
    if fail_on is not None and any(at_least(f.severity, fail_on) for f in findings):
        sys.exit(EXIT_FINDINGS)
    if failures:
        sys.exit(EXIT_PARTIAL)
