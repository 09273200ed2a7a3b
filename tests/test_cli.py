"""``cfaccounts audit``: formats, output file, exit codes, partial failure."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cfaccounts.cli import FIELDS, main
from cfaccounts.testing import Fault, Sandbox


def run(*args: str) -> Result:
    return CliRunner().invoke(main, ["audit", *args], catch_exceptions=False)


@pytest.fixture
def sandbox_env(cloudflare_sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    """The sandbox, with its URL and token in the environment as a user would set them."""
    for name, value in cloudflare_sandbox.env.items():
        monkeypatch.setenv(name, value)
    return cloudflare_sandbox


def test_sandbox_audit_as_json() -> None:
    result = run("--sandbox", "--sandbox-accounts", "4", "--format", "json")
    assert result.exit_code == 0, result.stderr
    findings = json.loads(result.stdout)
    assert findings
    assert all(list(finding) == FIELDS for finding in findings)
    assert FIELDS == [
        "account_id",
        "account_name",
        "subject_kind",
        "subject_id",
        "subject_name",
        "check",
        "severity",
        "detail",
    ]
    severities = [finding["severity"] for finding in findings]
    assert severities == sorted(severities, key=["high", "medium", "low"].index)
    assert "audited 4 accounts (0 failed)" in result.stderr


def test_same_audit_same_output() -> None:
    first = run("--sandbox", "--sandbox-accounts", "3", "--format", "csv").stdout
    assert first == run("--sandbox", "--sandbox-accounts", "3", "--format", "csv").stdout


def test_csv_to_a_file(tmp_path: Path) -> None:
    target = tmp_path / "findings.csv"
    result = run("--sandbox", "--sandbox-accounts", "2", "--format", "csv", "--output", str(target))
    assert result.exit_code == 0
    assert result.stdout == ""
    rows = list(csv.DictReader(io.StringIO(target.read_text())))
    assert rows
    assert set(rows[0]) == set(FIELDS)
    assert {row["subject_kind"] for row in rows} == {"member", "token"}


def test_table_for_people() -> None:
    result = run("--sandbox", "--sandbox-accounts", "2")
    assert result.exit_code == 0
    header = result.stdout.splitlines()[2]
    for column in ("severity", "account", "kind", "subject", "check", "detail"):
        assert column in header
    assert "token_wildcard_resources" in result.stdout or "token_unused" in result.stdout


@pytest.mark.parametrize(
    ("fail_on", "exit_code"), [("low", 1), ("medium", 1), ("high", 1), (None, 0)]
)
def test_fail_on_sets_the_exit_code(fail_on: str | None, exit_code: int) -> None:
    args = ["--sandbox", "--sandbox-accounts", "3", "--format", "json"]
    assert run(*args, *(["--fail-on", fail_on] if fail_on else [])).exit_code == exit_code


@pytest.mark.cloudflare_sandbox(accounts=1, members_per_account=1, tokens_per_account=0)
def test_fail_on_ignores_milder_findings(
    sandbox_env: Sandbox,
) -> None:
    assert run("--format", "json", "--fail-on", "low").stdout.strip() == "[]"
    with sandbox_env.sync_client() as client:
        client.accounts.tokens.create(
            account_id=sandbox_env.account_ids[0],
            name="open",
            policies=[
                {
                    "effect": "allow",
                    "permission_groups": [{"id": "c8fed203ed3043cba015a93ad1616f1f"}],
                    "resources": {f"com.cloudflare.api.account.{sandbox_env.account_ids[0]}": "*"},
                }
            ],
        )
    result = run("--format", "json", "--fail-on", "high")
    assert {f["severity"] for f in json.loads(result.stdout)} == {"medium", "low"}
    assert result.exit_code == 0
    assert run("--format", "json", "--fail-on", "medium").exit_code == 1


@pytest.mark.cloudflare_sandbox(accounts=4, members_per_account=6, tokens_per_account=4)
def test_partial_failure_is_reported_per_account(
    sandbox_env: Sandbox,
) -> None:
    broken = sandbox_env.account_ids[2]
    sandbox_env.inject(Fault.error(403), "*", account_id=broken, times=None)
    result = run("--format", "json")
    assert result.exit_code == 3
    findings = json.loads(result.stdout)
    assert broken not in {f["account_id"] for f in findings}
    assert len({f["account_id"] for f in findings}) == 3
    assert f"could not audit account {broken}" in result.stderr
    assert "403" in result.stderr
    assert "audited 4 accounts (1 failed)" in result.stderr


def test_chosen_accounts_only(sandbox_env: Sandbox) -> None:
    chosen = sandbox_env.account_ids[1]
    result = run("--account", chosen, "--format", "json")
    assert result.exit_code == 0
    assert {f["account_id"] for f in json.loads(result.stdout)} == {chosen}


def test_without_credentials_it_cannot_run() -> None:
    result = run("--format", "json")
    assert result.exit_code == 2
    assert "CLOUDFLARE_API_TOKEN" in result.stderr
    assert result.stdout == ""


def test_bad_options_are_usage_errors() -> None:
    assert run("--sandbox", "--rate-limit", "fast").exit_code == 2
    assert run("--sandbox", "--format", "xml").exit_code == 2
    assert run("--sandbox", "--max-concurrency", "0").exit_code == 2


def test_module_entry_point() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cfaccounts", "audit", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    assert "--fail-on [low|medium|high]" in result.stdout
