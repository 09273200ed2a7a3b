"""The ``cfaccounts`` command line (``pip install 'cfaccounts[cli]'``).

``cfaccounts audit`` audits members and API tokens across accounts, for
people (a table) and for CI (a versioned JSON report, CSV rows, exit codes
that mean one thing each: :data:`EXIT_CODES`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import stat
import sys
import tempfile
import textwrap
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NoReturn

try:
    import click
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table
except ImportError as missing:  # tests/test_cli.py runs this without click
    sys.stderr.write(
        f"cfaccounts: the command line needs {missing.name}: pip install 'cfaccounts[cli]'\n"
    )
    raise SystemExit(2) from None  # EXIT_USAGE: the [cli] extra is missing

if TYPE_CHECKING:
    from .testing import Sandbox

from ._client import AsyncCloudflare
from ._credentials import ENV_EMAIL, ENV_KEY, ENV_SERVICE_KEY, ENV_TOKEN, resolve_credentials
from ._endpoint import path_segment
from ._exceptions import CloudflareError, ConfigurationError
from ._limiter import LEARN, BaseRateLimiter, QuotaStatus, RateLimitSetting
from ._logging import ENV_LOG, configure_from_env
from ._proxy import ProxySetting, resolve_proxy
from ._ratelimit import CLOUDFLARE_RATE_LIMIT, RateLimit
from ._version import __version__
from .audit import (
    CHECK_SOURCES,
    CHECKS,
    SEVERITIES,
    SOURCES,
    AccountFailure,
    Audit,
    Finding,
    Severity,
    Thresholds,
)
from .audit._findings import at_least
from .audit._report import FIELDS, Outcome, RunSummary, write_csv, write_json

EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_PARTIAL = 3
EXIT_INTERNAL = 70  # sysexits.h EX_SOFTWARE
EXIT_INTERRUPTED = 130  # 128 + SIGINT
EXIT_TERMINATED = 143  # 128 + SIGTERM

#: Every exit code of ``cfaccounts audit``; when several apply, the first listed wins.
EXIT_CODES: tuple[tuple[str, str], ...] = (
    ("130", "interrupted (Ctrl-C; 143 for SIGTERM): what finished is reported"),
    ("70", "internal error (a bug): what finished is reported, and a traceback"),
    (
        "2",
        "usage or configuration error, found before any request is sent: a bad option or "
        "id, an output that cannot be written, the [cli] extra missing, no credential, "
        "a bad CLOUDFLARE_LOG or proxy; or the audit could not run: credential refused "
        "(401), API unreachable, accounts not listable",
    ),
    ("3", "some accounts could not be audited (listed on stderr and in the report)"),
    ("1", "a finding reached --fail-on"),
    ("0", "every account audited, no finding reached --fail-on"),
)

__all__ = ["EXIT_CODES", "FIELDS", "main"]

FORMATS = ("table", "json", "csv")
_SEVERITY_STYLE = {"high": "bold red", "medium": "yellow", "low": "cyan"}
_SIDECAR_SUFFIX = ".summary.json"
_EXIT_FOR_SIGNAL = {signal.SIGINT: EXIT_INTERRUPTED, signal.SIGTERM: EXIT_TERMINATED}


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


# -- options checked before anything is sent -----------------------------------------------


def _rate_limit(context: click.Context, parameter: click.Parameter, value: str) -> RateLimitSetting:
    if value == LEARN:
        return LEARN
    try:
        return RateLimit.parse(value)
    except ValueError as error:
        raise click.BadParameter(f"{error}; or learn") from None


def _rate_limit_store(
    context: click.Context, parameter: click.Parameter, value: str | None
) -> str | None:
    if value is not None and not value.startswith(("redis://", "rediss://", "unix://")):
        raise click.BadParameter("expected a redis://, rediss:// or unix:// URL")
    return value


def _account_ids(
    context: click.Context, parameter: click.Parameter, value: tuple[str, ...]
) -> tuple[str, ...]:
    for account_id in value:
        try:
            path_segment("--account", account_id)
        except ValueError as error:
            raise click.BadParameter(str(error)) from None
    return value


def _allowed_domains(
    context: click.Context, parameter: click.Parameter, value: tuple[str, ...]
) -> tuple[str, ...]:
    try:
        return Thresholds(allowed_domains=value).allowed_domains
    except ValueError as error:
        raise click.BadParameter(str(error).removeprefix("allowed_domains: ")) from None


def _proxy(context: click.Context, parameter: click.Parameter, value: str | None) -> ProxySetting:
    if value is None:
        return None
    if value == "none":
        return False
    try:
        resolve_proxy("https://api.cloudflare.com", value)
    except CloudflareError as error:
        raise click.BadParameter(str(error)) from None
    return value


def _is_special(path: Path) -> bool:
    """A device, FIFO or socket: written in place, never replaced."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def _output(context: click.Context, parameter: click.Parameter, value: Path | None) -> Path | None:
    """The output path, once it is known to be writable (its directory, for a regular file)."""
    if value is None:
        return None
    if value.is_dir():
        raise click.BadParameter(f"{str(value)!r} is a directory")
    if _is_special(value):
        if not os.access(value, os.W_OK):
            raise click.BadParameter(f"{str(value)!r} is not writable")
        return value
    directory = value.resolve().parent
    if not directory.is_dir():
        raise click.BadParameter(f"directory {str(directory)!r} does not exist")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise click.BadParameter(f"directory {str(directory)!r} is not writable")
    return value


# -- writing the output ----------------------------------------------------------------------


def write_atomically(path: Path, render: Callable[[IO[str]], None]) -> None:
    """Write ``path`` whole or not at all: a temporary file beside it, then a rename.

    A device, FIFO or socket (``/dev/null``, ``>(...)``) is written in place:
    it cannot be replaced. The new file gets the old one's permissions, or
    the process's defaults for a new file.
    """
    if _is_special(path):
        with path.open("w", encoding="utf-8", newline="") as stream:
            render(stream)
        return
    target = path.resolve()  # through a symlink: replace the file it points to
    descriptor, temporary = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as stream:
            render(stream)
            stream.flush()
            os.fsync(stream.fileno())
        try:
            mode = stat.S_IMODE(target.stat().st_mode)
        except FileNotFoundError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def _quiet_broken_pipe() -> NoReturn:
    """The reader closed the pipe (``| head``): stop quietly, as ``cat`` does."""
    # Python would report the broken pipe again when it flushes stdout at exit.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    sys.exit(0)


# -- running the audit -----------------------------------------------------------------------


class _State:
    """What a run found so far: kept when it is interrupted or fails."""

    def __init__(self) -> None:
        self.started = datetime.now(UTC)
        self.findings: list[Finding] = []
        self.run: Audit | None = None
        self.stats = ""
        self.signal: signal.Signals | None = None
        self.could_not_run: CloudflareError | None = None
        self.internal: Exception | None = None


async def _watch(run: Audit, client: AsyncCloudflare, console: Console) -> None:
    """Redraw the progress line until cancelled; it shows a wait for a 429's Retry-After."""
    limiter = client.rate_limiter
    columns = (
        TextColumn("auditing accounts"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[requests]} requests{task.fields[quota]}{task.fields[waiting]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("audit", total=None, requests=0, quota="", waiting="")
        while True:
            waiting = ""
            left = limiter.paused_until - time.monotonic()
            if left > 0:
                asked = f" (Retry-After {run.retry_after:g} s)" if run.retry_after else ""
                waiting = f", rate limited: waiting {left:.0f} s{asked}"
            progress.update(
                task,
                completed=run.accounts_done,
                total=run.accounts_total,
                requests=limiter.requests,
                quota=_quota_line(limiter.status),
                waiting=waiting,
            )
            await asyncio.sleep(0.1)


def _quota_line(status: QuotaStatus) -> str:
    """What the limiter knows of the quota, for the progress line."""
    if status.remaining is None or status.reset is None:
        return ""
    quota = f" of {status.quota}" if status.quota is not None else ""
    return f", quota: {status.remaining}{quota} left for {status.reset:.0f} s"


async def _collect(run: Audit, state: _State) -> None:
    async for finding in run:
        state.findings.append(finding)


async def _audit(
    state: _State,
    *,
    target: AsyncCloudflare | Sandbox,
    client_options: dict[str, Any],
    audit_options: dict[str, Any],
    errors: Console,
) -> None:
    """Run the audit of ``target`` into ``state``; a signal ends it with ``state`` kept.

    A :class:`Sandbox` target is started here, and audited with a client of its own.
    """
    async with contextlib.AsyncExitStack() as stack:
        if isinstance(target, AsyncCloudflare):
            client = target
        else:
            await stack.enter_async_context(target)
            client = target.client(**client_options)
        await stack.enter_async_context(client)
        run = state.run = Audit(client, **audit_options)
        collect = asyncio.create_task(_collect(run, state))
        loop = asyncio.get_running_loop()

        def interrupt(received: signal.Signals) -> None:
            state.signal = state.signal or received
            collect.cancel()

        for signum in _EXIT_FOR_SIGNAL:
            with contextlib.suppress(NotImplementedError):  # not on Windows
                loop.add_signal_handler(signum, interrupt, signum)
        watcher = asyncio.create_task(_watch(run, client, errors)) if errors.is_terminal else None
        try:
            await collect
        except asyncio.CancelledError:
            if state.signal is None:
                # Cancelled from outside (KeyboardInterrupt where signal handlers
                # cannot be installed): the same as Ctrl-C.
                state.signal = signal.SIGINT
        finally:
            for signum in _EXIT_FOR_SIGNAL:
                with contextlib.suppress(NotImplementedError):
                    loop.remove_signal_handler(signum)
            if watcher is not None:
                watcher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watcher
            limiter = client.rate_limiter
            state.stats = (
                f"{limiter.requests} requests, {limiter.delayed} rate-limit waits, "
                f"{limiter.pauses} pauses after a 429"
            )


def _outcome(state: _State, fail_on: Severity | None) -> tuple[Outcome, int, str | None]:
    """How the run ended, its exit code, and why it ended early: the first that applies."""
    if state.signal is not None:
        return "interrupted", _EXIT_FOR_SIGNAL[state.signal], f"interrupted by {state.signal.name}"
    if state.internal is not None:
        error = state.internal
        return "internal_error", EXIT_INTERNAL, f"{type(error).__name__}: {error}"
    if state.could_not_run is not None:
        return "could_not_run", EXIT_USAGE, str(state.could_not_run)
    if state.run is not None and state.run.failures:
        return "partial", EXIT_PARTIAL, None
    if fail_on is not None and any(at_least(f.severity, fail_on) for f in state.findings):
        return "findings", EXIT_FINDINGS, None
    return "clean", 0, None


def _summary(state: _State, thresholds: Thresholds, fail_on: Severity | None) -> RunSummary:
    outcome, code, error = _outcome(state, fail_on)
    run = state.run
    return RunSummary(
        started=state.started,
        finished=datetime.now(UTC),
        outcome=outcome,
        exit_code=code,
        error=error,
        thresholds=thresholds,
        fail_on=fail_on,
        accounts_total=run.accounts_total if run else None,
        accounts_audited=run.accounts_audited if run else 0,
        failures=run.failures if run else [],
        not_checked=run.not_checked if run else [],
    )


def _tell(errors: Console, text: str) -> None:
    """One line on stderr, never wrapped or styled: machine-readable lines stay whole."""
    errors.print(text, markup=False, highlight=False, soft_wrap=True)


def _report_on_stderr(
    errors: Console, summary: RunSummary, findings: Sequence[Finding], stats: str
) -> None:
    counts = ", ".join(
        f"{sum(f.severity == s for f in findings)} {s}" for s in reversed(SEVERITIES)
    )
    total = "?" if summary.accounts_total is None else summary.accounts_total
    _tell(
        errors,
        f"audited {summary.accounts_audited} of {total} accounts, "
        f"{len(summary.failures)} failed, {len(summary.not_checked)} checks not run: "
        f"{len(findings)} findings ({counts}); {stats}",
    )
    for failure in sorted(summary.failures, key=lambda f: f.account_id):
        _tell(errors, _failure_line(failure))
    for item in sorted(summary.not_checked, key=lambda n: (n.account_id, n.check)):
        _tell(
            errors,
            f"not checked: {item.check} on account {item.account_id} {item.account_name}: "
            f"needs {item.permission} ({item.request} was refused)",
        )
    if summary.error is not None:
        _tell(errors, f"cfaccounts audit: {summary.error}")
    if not summary.complete and summary.outcome != "partial":
        _tell(errors, f'the report is incomplete ("complete": false): {summary.outcome}')


def _failure_line(failure: AccountFailure) -> str:
    return f"could not audit account {failure.account_id} {failure.account_name}: {failure.error}"


def _write_results(
    summary: RunSummary,
    findings: Sequence[Finding],
    output_format: str,
    output: Path | None,
) -> None:
    document = summary.to_json(findings)

    def render(stream: IO[str]) -> None:
        if output_format == "json":
            write_json(document, stream)
        elif output_format == "csv":
            write_csv(findings, stream)
        else:
            write_table(findings, stream)

    if output is None:
        render(sys.stdout)
        sys.stdout.flush()
        return
    write_atomically(output, render)
    if output_format != "json" and not _is_special(output):
        sidecar = output.with_name(output.name + _SIDECAR_SUFFIX)
        write_atomically(sidecar, lambda stream: write_json(summary.to_json(None), stream))


# -- the command -----------------------------------------------------------------------------


_HELP_WIDTH = 96


def _rows(rows: Iterable[tuple[str, str]], key_width: int) -> str:
    """Two columns, the second wrapped under itself (click leaves ``\b`` blocks alone)."""
    lines = []
    for key, text in rows:
        lines.extend(
            textwrap.wrap(
                text,
                width=_HELP_WIDTH,
                initial_indent=f"  {key:<{key_width}}  ",
                subsequent_indent=" " * (key_width + 4),
                break_on_hyphens=False,
            )
        )
    return "\n".join(lines)


def _permission_rows() -> list[tuple[str, str]]:
    rows = []
    for name, source in SOURCES.items():
        checks = [check for check, needs in CHECK_SOURCES.items() if name in needs]
        uses = ", ".join(checks) if checks else "account names for --account"
        rows.append((source.permission, f"{source.request}: {uses}"))
    return rows


def check_permissions(check: str) -> str:
    """The token permissions a check needs (through the sources it reads)."""
    return ", ".join(dict.fromkeys(SOURCES[source].permission for source in CHECK_SOURCES[check]))


def _check_rows() -> list[tuple[str, str]]:
    return [
        (
            check.id,
            f"{check.severity}. When: {check.trigger}. Reads: {check.reads}."
            f" Needs: {check_permissions(check.id)}.",
        )
        for check in CHECKS
    ]


_EPILOG = "\n\n".join(
    [
        "\b\nChecks (a member's privilege: super administrator or administrator of the whole\n"
        "account by role or policy, less deny policies; writes; reads only):\n"
        + _rows(_check_rows(), 29),
        "\b\nExit codes (when several apply, the first listed wins):\n"
        + _rows(((code.rjust(3), meaning) for code, meaning in EXIT_CODES), 3),
        "\b\nEnvironment:\n"
        + _rows(
            [
                (ENV_TOKEN, "an API token; or"),
                (f"{ENV_EMAIL} + {ENV_KEY}", "a global API key; or"),
                (ENV_SERVICE_KEY, "a user service key"),
                ("CLOUDFLARE_BASE_URL", "the API root (https://api.cloudflare.com/client/v4)"),
                (
                    "HTTPS_PROXY, HTTP_PROXY, NO_PROXY",
                    "the proxy (--proxy URL overrides; --proxy none)",
                ),
                (ENV_LOG, "debug or info: log requests to stderr"),
            ],
            40,
        ),
        "\b\nToken permissions (a refused read leaves only its checks not checked):\n"
        + _rows(_permission_rows(), 23),
        "\b\nOutput: --format json is the report (schema 1: cfaccounts/audit/report.schema.json);\n"
        "csv holds finding rows only, formula-like cells prefixed with '. The summary goes\n"
        f"to stderr and, with --output FILE, to FILE{_SIDECAR_SUFFIX}. FILE is replaced\n"
        'atomically; a failed or interrupted run writes what it knows, "complete": false.',
    ]
)


@click.group()
@click.version_option(__version__, prog_name="cfaccounts")
def main() -> None:
    """cfaccounts: the Cloudflare Accounts API from the command line."""


@main.command(epilog=_EPILOG, context_settings={"max_content_width": 100})
@click.option(
    "--account",
    "account_ids",
    multiple=True,
    metavar="ID",
    callback=_account_ids,
    help="Audit this account (repeatable); default: every account.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(FORMATS),
    default="table",
    show_default=True,
    help="Output format.",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    callback=_output,
    metavar="FILE",
    help="Write the report here (atomically) instead of stdout.",
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
    default=LEARN,
    show_default=True,
    callback=_rate_limit,
    metavar="learn|LIMIT/SECONDS|none",
    help="learn: follow the quota the API's Ratelimit headers state (1200/300 until"
    " told); LIMIT/SECONDS: keep to that as well; none: the headers alone.",
)
@click.option(
    "--rate-limit-store",
    callback=_rate_limit_store,
    metavar="REDIS_URL",
    help="Count requests in this Redis, shared by every process using the credential"
    " (needs cfaccounts[redis]).",
)
@click.option(
    "--max-wait",
    type=click.FloatRange(min=0),
    default=300.0,
    show_default=True,
    metavar="SECONDS",
    help="Longest wait for 429s (their Retry-After) per read before its account fails.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=30.0,
    show_default=True,
    help="Seconds per request.",
)
@click.option(
    "--proxy",
    callback=_proxy,
    metavar="URL|none",
    help="HTTP proxy to send through; default: HTTPS_PROXY/NO_PROXY; none: direct.",
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
    "--max-admins",
    type=click.IntRange(min=0),
    default=Thresholds().max_admins,
    show_default=True,
    help="Administrators (not super) allowed per account.",
)
@click.option(
    "--allowed-domain",
    "allowed_domains",
    multiple=True,
    metavar="DOMAIN",
    callback=_allowed_domains,
    help="An email domain members may have (repeatable; subdomains too); default: any.",
)
@click.option(
    "--audit-log-retention",
    type=click.IntRange(min=1),
    default=Thresholds().audit_log_retention_days,
    show_default=True,
    help="Days of audit log the API keeps (older invitations have an unknown age).",
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
    "--token-max-age",
    type=click.IntRange(min=0),
    default=Thresholds().token_max_age_days,
    show_default=True,
    help="Days since a token was issued before it is reported as not rotated.",
)
@click.option(
    "--token-max-lifetime",
    type=click.IntRange(min=0),
    default=Thresholds().token_max_lifetime_days,
    show_default=True,
    help="Days of validity (start to expiry) beyond which a token is reported.",
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
    rate_limit: RateLimitSetting,
    rate_limit_store: str | None,
    max_wait: float,
    timeout: float,
    proxy: ProxySetting,
    invitation_max_age: int,
    max_super_admins: int,
    max_admins: int,
    allowed_domains: tuple[str, ...],
    audit_log_retention: int,
    expiring_within: int,
    unused_for: int,
    token_max_age: int,
    token_max_lifetime: int,
    sandbox: bool,
    sandbox_accounts: int,
) -> None:
    """Audit the members and API tokens of your accounts.

    Rates members by privilege (roles and policies) and tokens by what they
    may do where; reports accounts not enforcing two-factor authentication,
    members without it or outside the allowed domains, old or undatable
    invitations, too many (or a single) super administrators, and tokens
    without an IP allowlist or expiry, unused, old, long-lived or broad.
    Every check is listed below.
    """
    errors = Console(stderr=True, soft_wrap=True)
    thresholds = Thresholds(
        invitation_max_age_days=invitation_max_age,
        max_super_admins=max_super_admins,
        max_admins=max_admins,
        expiring_within_days=expiring_within,
        unused_for_days=unused_for,
        token_max_age_days=token_max_age,
        token_max_lifetime_days=token_max_lifetime,
        audit_log_retention_days=audit_log_retention,
        allowed_domains=allowed_domains,
    )
    client_options: dict[str, Any] = {
        "rate_limit": rate_limit,
        "max_concurrency": max_concurrency,
        "max_retries": 5,
        "timeout": timeout,
    }
    if proxy is not None or not sandbox:  # the sandbox is reached directly unless told
        client_options["proxy"] = proxy
    audit_options: dict[str, Any] = {
        "account_ids": account_ids or None,
        "thresholds": thresholds,
        "accounts_in_parallel": max_concurrency,
        "max_wait": max_wait,
    }
    try:
        # Checked before anything is sent: a bad CLOUDFLARE_LOG, a missing
        # credential or a malformed proxy variable is a usage error.
        configure_from_env()
        if rate_limit_store is not None:
            if sandbox:
                raise ConfigurationError(
                    "--rate-limit-store has no use with --sandbox: the sandbox's quota"
                    " is its own, and its credential new each run"
                )
            client_options["rate_limit"] = _shared_limiter(rate_limit_store, rate_limit)
        target = (
            _sandbox(sandbox_accounts, rate_limit) if sandbox else AsyncCloudflare(**client_options)
        )
    except CloudflareError as error:
        _tell(errors, f"cfaccounts audit: {error}")
        sys.exit(EXIT_USAGE)
    state = _State()
    try:
        asyncio.run(
            _audit(
                state,
                target=target,
                client_options=client_options,
                audit_options=audit_options,
                errors=errors,
            )
        )
    except KeyboardInterrupt:  # before the audit's own handler was in place
        state.signal = state.signal or signal.SIGINT
    except CloudflareError as error:  # the accounts cannot be listed, say
        state.could_not_run = error
    except Exception as error:  # a bug: reported, with what was finished
        state.internal = error
    try:
        _finish(
            state,
            thresholds=thresholds,
            fail_on=fail_on,
            output_format=output_format,
            output=output,
            errors=errors,
        )
    except KeyboardInterrupt:  # a second Ctrl-C while writing: the output is whole or old
        sys.exit(EXIT_INTERRUPTED)


def _shared_limiter(url: str, rate_limit: RateLimitSetting) -> BaseRateLimiter:
    """The ``--rate-limit-store`` limiter, its count named after the credential in use."""
    try:
        from .ratelimit_redis import RedisRateLimiter  # noqa: PLC0415 - an optional extra
    except ImportError:
        raise ConfigurationError(
            "--rate-limit-store needs redis-py: pip install 'cfaccounts[redis]'"
        ) from None
    credentials = resolve_credentials(
        api_token=None, api_key=None, api_email=None, user_service_key=None, environ=os.environ
    )
    try:
        return RedisRateLimiter(url, key=credentials.fingerprint, limit=rate_limit)
    except ValueError as error:
        raise ConfigurationError(f"--rate-limit-store: {error}") from None


def _sandbox(accounts: int, rate_limit: RateLimitSetting) -> Sandbox:
    """The embedded sandbox ``--sandbox`` audits."""
    # Imported here: the sandbox's server is start-up time that only --sandbox needs.
    from .testing import Sandbox  # noqa: PLC0415

    return Sandbox(
        seed="audit",
        accounts=accounts,
        members_per_account=25,
        tokens_per_account=12,
        # It enforces the limit the client paces to, as Cloudflare would.
        rate_limit=CLOUDFLARE_RATE_LIMIT if rate_limit == LEARN else rate_limit,
    )


def _finish(
    state: _State,
    *,
    thresholds: Thresholds,
    fail_on: Severity | None,
    output_format: str,
    output: Path | None,
    errors: Console,
) -> NoReturn:
    """Write the report and the summary, and exit with the run's code."""
    summary = _summary(state, thresholds, fail_on)
    findings = _ordered(state.findings)
    code = summary.exit_code
    if state.internal is not None:
        _tell(errors, "cfaccounts audit: internal error (a bug, please report it):")
        _tell(errors, "".join(traceback.format_exception(state.internal)).rstrip())
    try:
        _write_results(summary, findings, output_format, output)
    except BrokenPipeError:
        _quiet_broken_pipe()
    except OSError as error:
        _tell(errors, f"cfaccounts audit: could not write the report: {error}")
        code = code if code > EXIT_PARTIAL else EXIT_USAGE
    with contextlib.suppress(BrokenPipeError):
        _report_on_stderr(errors, summary, findings, state.stats)
    sys.exit(code)
