"""``cfaccounts audit``, run as a user runs it: the real command in a subprocess.

Every row of the exit-code table has a test here, and so has every
precedence between rows; reports are validated against the shipped schema.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import pty
import re
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cfaccounts.audit import CHECKS
from cfaccounts.audit._report import FIELDS, csv_cell, report_schema
from cfaccounts.cli import EXIT_CODES, check_permissions, write_atomically
from cfaccounts.testing import Fault, Sandbox

ROOT = Path(__file__).parent.parent
_SCRIPT = Path(sys.executable).with_name("cfaccounts")
#: The installed ``cfaccounts`` script when there is one, else ``python -m cfaccounts``.
COMMAND = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "cfaccounts"]
SCHEMA = report_schema()
TOKENS = "GET /accounts/{account_id}/tokens"
MEMBERS = "GET /accounts/{account_id}/members"


def environment(sandbox: Sandbox | None = None, **extra: str) -> dict[str, str]:
    """This process's environment without credentials or proxies, plus ``sandbox``'s."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("CLOUDFLARE_") and not name.lower().endswith("_proxy")
    }
    env.update(sandbox.env if sandbox else {})
    env.update(extra)
    return env


def cfaccounts(
    *args: str, sandbox: Sandbox | None = None, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``cfaccounts audit ARGS`` to the end."""
    return subprocess.run(
        [*COMMAND, "audit", *args],
        capture_output=True,
        text=True,
        env=environment(sandbox, **(env or {})),
        timeout=120,
        check=False,
    )


def python(
    code: str, *args: str, sandbox: Sandbox | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -c CODE ARGS``: the command with one thing changed in-process."""
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        env=environment(sandbox),
        timeout=120,
        check=False,
    )


def valid(document: Any) -> dict[str, Any]:
    """``document``, once it is known to follow the shipped report schema."""
    jsonschema.validate(document, SCHEMA, cls=jsonschema.Draft202012Validator)
    assert isinstance(document, dict)
    return document


def no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr
    assert "Exception ignored" not in result.stderr


def requests_received(sandbox: Sandbox) -> int:
    return sum(sandbox.counters.received.values())


# -- 0 and 1 ---------------------------------------------------------------------------------


def test_a_clean_run_exits_0_with_a_complete_valid_report() -> None:
    result = cfaccounts("--sandbox", "--sandbox-accounts", "3", "--format", "json")
    assert result.returncode == 0, result.stderr
    report = valid(json.loads(result.stdout))
    assert report["schema"] == 1
    assert report["complete"] is True
    assert (report["outcome"], report["exit_code"], report["error"]) == ("clean", 0, None)
    assert report["accounts"] == {"total": 3, "audited": 3, "failed": [], "not_checked": []}
    assert report["thresholds"]["fail_on"] is None
    assert report["thresholds"]["unused_for_days"] == 90
    findings = report["findings"]
    assert findings
    assert all(list(finding) == FIELDS for finding in findings)
    assert sum(report["counts"].values()) == len(findings)
    severities = [finding["severity"] for finding in findings]
    assert severities == sorted(severities, key=["high", "medium", "low"].index)
    assert report["started"] <= report["finished"]
    assert re.search(r"^audited 3 of 3 accounts, 0 failed, 0 checks not run: ", result.stderr)
    no_traceback(result)


def test_the_same_audit_prints_the_same() -> None:
    args = ("--sandbox", "--sandbox-accounts", "3", "--format", "csv")
    assert cfaccounts(*args).stdout == cfaccounts(*args).stdout


@pytest.mark.parametrize(("fail_on", "code"), [("low", 1), ("medium", 1), ("high", 1), (None, 0)])
def test_fail_on_sets_exit_1(fail_on: str | None, code: int) -> None:
    args = ["--sandbox", "--sandbox-accounts", "2", "--format", "json"]
    result = cfaccounts(*args, *(["--fail-on", fail_on] if fail_on else []))
    assert result.returncode == code
    report = valid(json.loads(result.stdout))
    assert report["complete"] is True
    assert report["outcome"] == ("findings" if code else "clean")
    assert report["thresholds"]["fail_on"] == fail_on


@pytest.mark.cloudflare_sandbox(accounts=1, members_per_account=1, tokens_per_account=0)
def test_fail_on_ignores_milder_findings(cloudflare_sandbox: Sandbox) -> None:
    account_id = cloudflare_sandbox.account_ids[0]
    # A clean account: enforcing 2FA, with a second super administrator (no lock-out).
    cloudflare_sandbox.amend(account_id, settings={"enforce_twofactor": True})
    with cloudflare_sandbox.sync_client() as client:
        super_admin = next(r for r in client.accounts.roles.list(account_id=account_id))
        second = client.accounts.members.create(
            account_id=account_id, email="second@sandbox.example", roles=[super_admin.id]
        )
        assert second.id
        cloudflare_sandbox.amend(
            account_id,
            second.id,
            status="accepted",
            user={"two_factor_authentication_enabled": True},
        )
    result = cfaccounts("--format", "json", "--fail-on", "low", sandbox=cloudflare_sandbox)
    assert (result.returncode, json.loads(result.stdout)["findings"]) == (0, [])
    with cloudflare_sandbox.sync_client() as client:
        client.accounts.tokens.create(
            account_id=account_id,
            name="open",
            policies=[
                {
                    "effect": "allow",
                    "permission_groups": [{"id": "c8fed203ed3043cba015a93ad1616f1f"}],
                    "resources": {f"com.cloudflare.api.account.{account_id}": "*"},
                }
            ],
            expires_on=datetime.now(UTC) + timedelta(days=60),
        )
    result = cfaccounts("--format", "json", "--fail-on", "high", sandbox=cloudflare_sandbox)
    # Zone Read over the whole account, from any address: medium, twice.
    assert sorted((f["check"], f["severity"]) for f in json.loads(result.stdout)["findings"]) == [
        ("token_wildcard_resources", "medium"),
        ("token_without_ip_limit", "medium"),
    ]
    assert result.returncode == 0
    medium = cfaccounts("--format", "json", "--fail-on", "medium", sandbox=cloudflare_sandbox)
    assert medium.returncode == 1


def test_chosen_accounts_only(cloudflare_sandbox: Sandbox) -> None:
    chosen = cloudflare_sandbox.account_ids[1]
    result = cfaccounts("--account", chosen, "--format", "json", sandbox=cloudflare_sandbox)
    assert result.returncode == 0
    report = valid(json.loads(result.stdout))
    assert {f["account_id"] for f in report["findings"]} == {chosen}
    assert cloudflare_sandbox.received("GET /accounts") == 0


# -- 2: usage and configuration errors, before any request -----------------------------------


@pytest.mark.parametrize(
    ("args", "env", "says"),
    [
        (["--account", "023e105f4ecef8ad9ca31a8372d0c353 "], {}, "is not a valid id"),
        (["--account", ""], {}, "must not be empty"),
        (["--account", "a/b"], {}, "is not a valid id"),
        (["--output", "/nonexistent/dir/x.json"], {}, "does not exist"),
        (["--output", "/"], {}, "is a directory"),
        (["--rate-limit", "fast"], {}, "LIMIT/SECONDS"),
        (["--rate-limit-store", "http://cache:6379"], {}, "redis://"),
        (["--rate-limit-store", "redis://cache:6379/0?password=pw", "--sandbox"], {}, "no use"),
        (["--format", "xml"], {}, "'xml' is not one of"),
        (["--max-concurrency", "0"], {}, "--max-concurrency"),
        (["--max-wait", "-1"], {}, "--max-wait"),
        (["--allowed-domain", " "], {}, "' ' is not an email domain"),
        (["--allowed-domain", "a@corp.example"], {}, "is not an email domain"),
        (["--audit-log-retention", "0"], {}, "--audit-log-retention"),
        (["--proxy", "ftp://proxy.example"], {}, "http:// or https://"),
        ([], {"CLOUDFLARE_LOG": "verbose"}, "CLOUDFLARE_LOG='verbose' is not a known level"),
        ([], {"HTTP_PROXY": "socks5://proxy.example"}, "http_proxy environment variable"),
    ],
)
def test_usage_errors_exit_2_before_any_request(
    cloudflare_sandbox: Sandbox, args: list[str], env: dict[str, str], says: str
) -> None:
    result = cfaccounts("--format", "json", *args, sandbox=cloudflare_sandbox, env=env)
    assert result.returncode == 2
    assert says in result.stderr
    assert result.stdout == ""
    no_traceback(result)
    assert requests_received(cloudflare_sandbox) == 0


def test_no_credentials_exit_2() -> None:
    result = cfaccounts("--format", "json")
    assert result.returncode == 2
    assert "CLOUDFLARE_API_TOKEN" in result.stderr
    assert result.stdout == ""
    no_traceback(result)


def test_without_the_cli_extra_exit_2() -> None:
    code = (
        "import runpy, sys\n"
        "sys.modules['click'] = None  # as if cfaccounts[cli] was not installed\n"
        "sys.argv[0] = 'cfaccounts'\n"
        "runpy.run_module('cfaccounts', run_name='__main__')\n"
    )
    result = python(code, "audit", "--sandbox")
    assert result.returncode == 2
    assert "pip install 'cfaccounts[cli]'" in result.stderr
    no_traceback(result)


# -- 2: the audit could not run --------------------------------------------------------------


def test_a_refused_credential_exits_2_and_replaces_an_older_report(
    cloudflare_sandbox: Sandbox, tmp_path: Path
) -> None:
    report_path = tmp_path / "report.json"
    report_path.write_text('{"an": "older, complete report"}')
    result = cfaccounts(
        "--format",
        "json",
        "--output",
        str(report_path),
        sandbox=cloudflare_sandbox,
        env={"CLOUDFLARE_API_TOKEN": "not-the-sandbox-token"},
    )
    assert result.returncode == 2
    report = valid(json.loads(report_path.read_text()))
    assert (report["complete"], report["outcome"], report["exit_code"]) == (
        False,
        "could_not_run",
        2,
    )
    assert "401" in report["error"]
    assert "cfaccounts audit: " in result.stderr
    assert "401" in result.stderr
    no_traceback(result)


# -- 3: some accounts not audited ------------------------------------------------------------


@pytest.mark.cloudflare_sandbox(accounts=4, members_per_account=6, tokens_per_account=4)
def test_failed_accounts_exit_3_even_with_findings_at_fail_on(cloudflare_sandbox: Sandbox) -> None:
    broken = cloudflare_sandbox.account_ids[2]
    cloudflare_sandbox.inject(Fault.error(403), "*", account_id=broken, times=None)
    result = cfaccounts("--format", "json", "--fail-on", "low", sandbox=cloudflare_sandbox)
    assert result.returncode == 3  # 3 beats 1
    report = valid(json.loads(result.stdout))
    assert (report["complete"], report["outcome"], report["exit_code"]) == (False, "partial", 3)
    [failed] = report["accounts"]["failed"]
    assert (failed["id"], failed["status_code"]) == (broken, 403)
    assert failed["name"]
    assert report["accounts"]["audited"] == 3
    assert broken not in {f["account_id"] for f in report["findings"]}
    assert f"could not audit account {broken}" in result.stderr
    assert "audited 3 of 4 accounts, 1 failed" in result.stderr


@pytest.mark.cloudflare_sandbox(accounts=3, members_per_account=6, tokens_per_account=4)
def test_a_retry_after_beyond_max_wait_exits_3_showing_it(cloudflare_sandbox: Sandbox) -> None:
    limited = cloudflare_sandbox.account_ids[0]
    cloudflare_sandbox.inject(Fault.rate_limited(120), MEMBERS, account_id=limited, times=None)
    started = time.monotonic()
    result = cfaccounts("--format", "json", "--max-wait", "10", sandbox=cloudflare_sandbox)
    assert result.returncode == 3
    assert time.monotonic() - started < 60  # it did not wait the 120 s out
    report = valid(json.loads(result.stdout))
    failed = {failure["id"]: failure for failure in report["accounts"]["failed"]}
    assert failed[limited]["status_code"] == 429
    assert "Retry-After 120 s" in failed[limited]["error"]
    assert "Retry-After 120 s" in result.stderr
    # The lockout holds every request: reads still to be made are not sent
    # into it, and fail the same way.
    for account_id, failure in failed.items():
        if account_id != limited:
            assert failure["status_code"] == 429
            assert "not sent" in failure["error"]


@pytest.mark.cloudflare_sandbox(accounts=2, members_per_account=3, tokens_per_account=2)
def test_the_progress_line_shows_a_rate_limit_wait(cloudflare_sandbox: Sandbox) -> None:
    cloudflare_sandbox.inject(
        Fault.rate_limited(3), MEMBERS, account_id=cloudflare_sandbox.account_ids[0]
    )
    controller, terminal = pty.openpty()  # stderr is a terminal: the progress line shows
    process = subprocess.Popen(
        [*COMMAND, "audit", "--format", "json"],
        stdout=subprocess.PIPE,
        stderr=terminal,
        env=environment(cloudflare_sandbox, COLUMNS="200", TERM="xterm"),
    )
    os.close(terminal)
    shown = b""
    with contextlib.suppress(OSError):  # EIO once the process is gone
        while chunk := os.read(controller, 65536):
            shown += chunk
    os.close(controller)
    assert process.wait(timeout=60) == 0
    assert process.stdout is not None
    process.stdout.close()
    assert re.search(rb"rate limited: waiting [1-3] s", shown)
    # What the API's Ratelimit headers say is left of the sandbox's 1,200 per 300 s.
    assert re.search(rb"quota: \d+ of 1200 left for \d+ s", shown)


@pytest.mark.cloudflare_sandbox(accounts=2, members_per_account=25, tokens_per_account=6)
def test_a_forbidden_audit_log_leaves_the_invitation_checks_not_checked(
    cloudflare_sandbox: Sandbox,
) -> None:
    cloudflare_sandbox.inject(Fault.error(403), "GET /accounts/{account_id}/logs/audit", times=None)
    result = cfaccounts("--format", "json", sandbox=cloudflare_sandbox)
    assert result.returncode == 0
    report = valid(json.loads(result.stdout))
    assert report["complete"] is True
    assert report["accounts"]["audited"] == 2
    assert report["accounts"]["failed"] == []
    not_checked = report["accounts"]["not_checked"]
    assert not_checked
    assert {item["check"] for item in not_checked} == {"stale_invitation", "invitation_age_unknown"}
    assert {item["permission"] for item in not_checked} == {"Account Settings Read"}
    checks = {f["check"] for f in report["findings"]}
    assert not {"stale_invitation", "invitation_age_unknown"} & checks
    assert {"member_without_2fa", "token_without_ip_limit", "token_never_expires"} <= checks
    assert re.search(
        r"^not checked: stale_invitation on account \w+ .+: needs Account Settings Read "
        r"\(GET /accounts/\{account_id\}/logs/audit was refused\)$",
        result.stderr,
        re.MULTILINE,
    )


@pytest.mark.cloudflare_sandbox(accounts=2, members_per_account=3, tokens_per_account=3)
def test_machine_readable_lines_are_never_wrapped(cloudflare_sandbox: Sandbox) -> None:
    broken = cloudflare_sandbox.account_ids[0]
    cloudflare_sandbox.inject(Fault.error(403), "*", account_id=broken, times=None)
    result = cfaccounts(
        "--format", "json", sandbox=cloudflare_sandbox, env={"COLUMNS": "40", "TERM": "dumb"}
    )
    assert result.returncode == 3
    [line] = [line for line in result.stderr.splitlines() if broken in line]
    assert line.startswith(f"could not audit account {broken} ")
    assert f"GET {cloudflare_sandbox.base_url}/accounts/{broken}" in line
    assert re.search(r"cf-ray [0-9a-f]+-SBX\)$", line)


# -- 70: internal errors ---------------------------------------------------------------------

_BROKEN_CHECK = """
import sys
import cfaccounts.audit._run as run

def broken(*args, **kwargs):
    raise RuntimeError("a bug in a check")

run.token_findings = broken
from cfaccounts.cli import main
main(prog_name="cfaccounts")
"""


@pytest.mark.cloudflare_sandbox(accounts=3, members_per_account=4, tokens_per_account=2)
def test_an_internal_error_exits_70_even_with_failed_accounts(
    cloudflare_sandbox: Sandbox, tmp_path: Path
) -> None:
    cloudflare_sandbox.inject(
        Fault.error(403), "*", account_id=cloudflare_sandbox.account_ids[0], times=None
    )
    target = tmp_path / "report.json"
    result = python(
        _BROKEN_CHECK, "audit", "--format", "json", "--output", str(target),
        sandbox=cloudflare_sandbox,
    )  # fmt: skip
    assert result.returncode == 70  # 70 beats 3
    assert "internal error (a bug, please report it)" in result.stderr
    assert "RuntimeError: a bug in a check" in result.stderr
    report = valid(json.loads(target.read_text()))
    assert (report["complete"], report["outcome"], report["exit_code"]) == (
        False,
        "internal_error",
        70,
    )
    assert report["error"] == "RuntimeError: a bug in a check"


# -- 130 and 143: interrupted ----------------------------------------------------------------


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
@pytest.mark.cloudflare_sandbox(accounts=4, members_per_account=6, tokens_per_account=4)
def test_an_interrupted_run_reports_what_finished(
    cloudflare_sandbox: Sandbox, tmp_path: Path, signum: signal.Signals, code: int
) -> None:
    healthy_1, healthy_2, forbidden, slow = cloudflare_sandbox.account_ids
    cloudflare_sandbox.inject(Fault.error(403), "*", account_id=forbidden, times=None)
    # Long enough to be cut off; short enough that the sandbox closes soon after.
    cloudflare_sandbox.inject(Fault.latency(8), "*", account_id=slow, times=None)
    target = tmp_path / "report.json"
    target.write_text("an older report")
    process = subprocess.Popen(
        [*COMMAND, "audit", "--format", "json", "--output", str(target), "--timeout", "100"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment(cloudflare_sandbox),
    )
    try:
        deadline = time.monotonic() + 60
        while cloudflare_sandbox.received(MEMBERS) < 4 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(3)  # the healthy accounts finish; the slow one hangs
        process.send_signal(signum)
        _, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == code  # beats 3 (the forbidden account)
    assert "Traceback" not in stderr
    report = valid(json.loads(target.read_text()))
    assert (report["complete"], report["outcome"], report["exit_code"]) == (
        False,
        "interrupted",
        code,
    )
    assert report["accounts"]["audited"] == 2
    assert [failed["id"] for failed in report["accounts"]["failed"]] == [forbidden]
    assert {f["account_id"] for f in report["findings"]} == {healthy_1, healthy_2}
    assert "audited 2 of 4 accounts, 1 failed" in stderr
    assert f"interrupted by {signum.name}" in stderr


# -- 0: a reader closing the pipe ------------------------------------------------------------


def test_a_closed_pipe_ends_the_run_quietly() -> None:
    process = subprocess.Popen(
        [*COMMAND, "audit", "--sandbox", "--sandbox-accounts", "3", "--format", "csv"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment(),
    )
    assert process.stdout is not None
    process.stdout.close()  # the reader is gone before anything is written
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0
    assert "Traceback" not in stderr
    assert "Broken pipe" not in stderr
    assert "Exception ignored" not in stderr


def test_piped_into_head() -> None:
    command = " ".join(COMMAND) + " audit --sandbox --format csv | head -1"
    result = subprocess.run(
        [shutil.which("bash") or "/bin/bash", "-o", "pipefail", "-c", command],
        capture_output=True,
        text=True,
        env=environment(),
        timeout=120,
        check=False,
    )
    assert result.returncode == 0
    assert result.stdout == ",".join(f'"{field}"' for field in FIELDS) + "\n"
    assert "Traceback" not in result.stderr


# -- reports and output files ----------------------------------------------------------------


def test_csv_is_rows_only_with_a_valid_summary_sidecar(tmp_path: Path) -> None:
    target = tmp_path / "findings.csv"
    target.write_text("an older run's rows")
    result = cfaccounts(
        "--sandbox", "--sandbox-accounts", "2", "--format", "csv", "--output", str(target)
    )
    assert result.returncode == 0
    assert result.stdout == ""
    rows = list(csv.DictReader(io.StringIO(target.read_text())))
    assert rows
    assert list(rows[0]) == FIELDS
    assert {row["subject_kind"] for row in rows} <= {"account", "member", "token"}
    assert {row["subject_kind"] for row in rows} >= {"member", "token"}
    sidecar = tmp_path / "findings.csv.summary.json"
    summary = valid(json.loads(sidecar.read_text()))
    assert "findings" not in summary
    assert summary["complete"] is True
    assert summary["accounts"]["audited"] == 2
    assert sorted(os.listdir(tmp_path)) == ["findings.csv", "findings.csv.summary.json"]


def test_table_for_people_with_a_valid_summary_sidecar(tmp_path: Path) -> None:
    target = tmp_path / "findings.txt"
    result = cfaccounts("--sandbox", "--sandbox-accounts", "2", "--output", str(target))
    assert result.returncode == 0
    header = target.read_text().splitlines()[2]
    for column in ("severity", "account", "kind", "subject", "check", "detail"):
        assert column in header
    valid(json.loads((tmp_path / "findings.txt.summary.json").read_text()))


def test_dev_null_and_fifos_are_written_in_place(tmp_path: Path) -> None:
    result = cfaccounts("--sandbox", "--sandbox-accounts", "1", "--output", os.devnull)
    assert result.returncode == 0
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)
    assert not Path(os.devnull + ".summary.json").exists()
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()))
    reader.start()
    result = cfaccounts(
        "--sandbox", "--sandbox-accounts", "1", "--format", "json", "--output", str(fifo)
    )
    reader.join(timeout=60)
    assert result.returncode == 0
    assert valid(json.loads(received[0]))["complete"] is True
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert sorted(os.listdir(tmp_path)) == ["report.fifo"]


def test_a_failed_write_leaves_the_older_file_whole(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("older")
    target.chmod(0o640)

    def crash(stream: IO[str]) -> None:
        stream.write('{"half": ')
        raise RuntimeError("crashed mid-write")

    with pytest.raises(RuntimeError):
        write_atomically(target, crash)
    assert target.read_text() == "older"
    assert os.listdir(tmp_path) == ["report.json"]

    def newer(stream: IO[str]) -> None:
        stream.write("newer")

    write_atomically(target, newer)
    assert target.read_text() == "newer"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


_FORMULA_NAMES = ['=HYPERLINK("http://x.example")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]


@pytest.mark.parametrize("name", _FORMULA_NAMES)
def test_csv_cells_that_look_like_formulas_are_neutralised(name: str) -> None:
    assert csv_cell(name) == "'" + name


@given(st.text())
def test_no_csv_cell_starts_a_formula(text: str) -> None:
    cell = csv_cell(text)
    assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert cell in {text, "'" + text}


@pytest.mark.cloudflare_sandbox(accounts=1, members_per_account=1, tokens_per_account=0)
def test_token_names_cannot_inject_formulas_into_the_csv(cloudflare_sandbox: Sandbox) -> None:
    account_id = cloudflare_sandbox.account_ids[0]
    with cloudflare_sandbox.sync_client() as client:
        for name in _FORMULA_NAMES[:4]:
            client.accounts.tokens.create(
                account_id=account_id,
                name=name,
                policies=[
                    {
                        "effect": "allow",
                        "permission_groups": [{"id": "c8fed203ed3043cba015a93ad1616f1f"}],
                        "resources": {f"com.cloudflare.api.account.{account_id}": "*"},
                    }
                ],
            )
    result = cfaccounts("--format", "csv", sandbox=cloudflare_sandbox)
    names = {row["subject_name"] for row in csv.DictReader(io.StringIO(result.stdout))}
    assert {"'" + name for name in _FORMULA_NAMES[:4]} <= names
    assert not any(name.startswith(("=", "+", "-", "@")) for name in names)


# -- what --help, the README and the docs say ------------------------------------------------


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize(("code", "meaning"), EXIT_CODES)
def test_every_exit_code_is_documented_alike(code: str, meaning: str) -> None:
    help_text = cfaccounts("--help").stdout
    assert re.search(rf"^\s+{code}  ", help_text, re.MULTILINE)
    for text in (help_text, (ROOT / "README.md").read_text(), (ROOT / "docs/cli.md").read_text()):
        assert _flat(meaning) in _flat(text)


def test_help_lists_the_environment_and_the_permissions() -> None:
    help_text = " ".join(cfaccounts("--help").stdout.split())
    for needed in (
        "CLOUDFLARE_API_TOKEN",
        "CLOUDFLARE_API_USER_SERVICE_KEY",
        "CLOUDFLARE_BASE_URL",
        "HTTPS_PROXY",
        "NO_PROXY",
        "Account Settings Read",
        "Account API Tokens Read",
        "GET /accounts/{account_id}/logs/audit: stale_invitation, invitation_age_unknown",
    ):
        assert needed in help_text


def test_help_documents_every_check() -> None:
    help_text = " ".join(cfaccounts("--help").stdout.split())
    for check in CHECKS:
        row = f"{check.id} {check.severity}. When: {check.trigger}. Reads: {check.reads}. Needs:"
        assert " ".join(row.split()) in help_text


@pytest.mark.cloudflare_sandbox(accounts=1, members_per_account=6, tokens_per_account=0)
def test_allowed_domains_reach_the_check_and_the_report(cloudflare_sandbox: Sandbox) -> None:
    result = cfaccounts(
        "--format",
        "json",
        "--allowed-domain",
        "@Sandbox.Example",
        "--allowed-domain",
        "corp.example",
        sandbox=cloudflare_sandbox,
    )
    report = valid(json.loads(result.stdout))
    assert report["thresholds"]["allowed_domains"] == ["sandbox.example", "corp.example"]
    outsiders = {
        f["subject_name"]
        for f in report["findings"]
        if f["check"] == ("member_outside_allowed_domain")
    }
    members = cloudflare_sandbox.store.accounts[cloudflare_sandbox.account_ids[0]].members
    assert outsiders == {m["email"] for m in members.values()} - {"owner@sandbox.example"}


def test_the_schema_is_shipped_and_valid() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["properties"]["schema"] == {
        "const": 1,
        "description": "The version of this format.",
    }


def test_the_docs_check_table_is_the_code_table() -> None:
    page = (Path(__file__).parent.parent / "docs" / "cli.md").read_text()
    rows = [
        [cell.strip() for cell in line.strip("|").split("|")]
        for line in page.splitlines()
        if line.startswith("| `") and line.count("|") == 6
    ]
    assert rows == [
        [f"`{c.id}`", c.severity, c.trigger, c.reads, check_permissions(c.id)] for c in CHECKS
    ]


def test_the_schema_knows_every_check() -> None:
    assert report_schema()["$defs"]["check"]["enum"] == [check.id for check in CHECKS]
