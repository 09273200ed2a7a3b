"""The benchmark scripts still run and report every number (tiny sizes, no timing asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).parent.parent / "benchmarks"


def _run(script: str, *args: str) -> str:
    command = [sys.executable, str(BENCHMARKS / script), *args]
    return subprocess.run(command, capture_output=True, text=True, check=True, timeout=300).stdout


def test_compare_reports_every_workload_for_every_client() -> None:
    results = json.loads(_run("compare.py", "--rounds", "1", "--scale", "0.01", "--json"))
    clients = results["clients"]
    assert clients[:3] == ["raw", "cfaccounts", "cfaccounts-sync"]
    for workload in ("get", "get_64", "paging", "cursor"):
        assert set(results["us_per_item"][workload]) == set(clients)
        assert all(us > 0 for us in results["us_per_item"][workload].values())
    assert all(0 < seconds < 5 for seconds in results["import_s"].values())
    for client in clients:
        memory = results["memory"][client]
        assert memory["items"] == [100, 1000]
        assert all(kib > 0 for kib in memory["peak_kib"])
    checked = {(t["workload"], t["client"], t.get("versus")) for t in results["targets"]}
    assert ("get", "cfaccounts", "raw") in checked
    assert ("get", "cfaccounts-sync", "cfaccounts") in checked
    assert ("import", "cfaccounts", None) in checked


def test_structuring_matches_direct_construction() -> None:
    # The script asserts the converter builds the same models as calling
    # the constructors by hand before it times either.
    lines = _run("structuring.py").splitlines()
    assert [line.split()[0] for line in lines[1:]] == ["member", "audit-log"]


def test_shared_quota_audits_meet_no_429_at_a_small_scale() -> None:
    # Two audits with default options share one credential's quota, paced by
    # the headers and then by Redis: no 429 (a lockout), no account lost.
    rows = json.loads(
        _run(
            "shared_quota.py",
            *("--processes", "2", "--accounts", "3", "--quota", "30/3", "--other", "0,0.333"),
            "--json",
        )
    )
    assert [(row["limiter"], row["other_consumer"]) for row in rows] == [
        ("headers", 0.0),
        ("headers", 0.333),
        ("redis", 0.0),
        ("redis", 0.333),
    ]
    for row in rows:
        assert row["429s"] == 0, row
        assert row["failed"] == 0, row
        assert row["requests"] > 2 * 3
