"""N ``cfaccounts audit`` processes sharing one credential's quota.

Each row starts the embedded sandbox with a small per-user quota (60
requests per 10 s by default, a lockout of one window for going over),
runs N audits at once with default options against it, and reports:

- ``429s``: refusals the sandbox answered (must be 0: one 429 locks the
  user out);
- ``requests``: requests the audits sent;
- ``wall/floor``: the wall time against the floor, requests divided by the
  rate left to the audits (the full quota, or two thirds of it beside
  another consumer that spends a third evenly over the run);
- ``failed``: accounts the audits could not audit (must be 0).

Limiters: ``headers`` (the default: each process paces to the API's
``Ratelimit`` headers) and ``redis`` (``--rate-limit-store``: one count in a
real Redis server the script starts).

    python benchmarks/shared_quota.py                   # the full grid (minutes)
    python benchmarks/shared_quota.py --processes 2 --limiters headers --json
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cfaccounts import RateLimit
from cfaccounts.testing import Sandbox
from cfaccounts.testing.redis_server import running_redis


def _other_consumer(sandbox: Sandbox, rate: float, stop: threading.Event) -> None:
    """Spend quota as the dashboard would: ``rate`` requests per second, evenly."""
    while not stop.wait(1 / rate):
        sandbox.spend_quota(1)


def run_row(
    *,
    processes: int,
    limiter: str,
    other_share: float,
    accounts: int,
    quota: RateLimit,
    redis_url: str | None = None,
) -> dict[str, Any]:
    """Run one row and return its measurements."""
    with (
        Sandbox(accounts=accounts, rate_limit=quota) as sandbox,
        tempfile.TemporaryDirectory() as tmp,
    ):
        command = [sys.executable, "-m", "cfaccounts", "audit", "--format", "json"]
        if limiter == "redis":
            assert redis_url is not None
            command += ["--rate-limit-store", redis_url]
        stop = threading.Event()
        spender = threading.Thread(
            target=_other_consumer, args=(sandbox, quota.rate * other_share, stop), daemon=True
        )
        if other_share:
            spender.start()
        started = time.perf_counter()
        workers = [
            subprocess.Popen(
                [*command, "--output", str(Path(tmp) / f"report-{index}.json")],
                env={**os.environ, **sandbox.env},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            for index in range(processes)
        ]
        codes = [worker.wait(timeout=1800) for worker in workers]
        wall = time.perf_counter() - started
        stop.set()
        if other_share:
            spender.join()
        failed = 0
        for index, worker in enumerate(workers):
            assert worker.stderr is not None
            errors = worker.stderr.read()
            worker.stderr.close()
            report_file = Path(tmp) / f"report-{index}.json"
            if codes[index] not in (0, 1, 3) or not report_file.exists():
                raise SystemExit(f"audit exited {codes[index]}: {errors}")
            report = json.loads(report_file.read_text())
            failed += len(report["accounts"]["failed"]) if isinstance(report, dict) else 0
        counters = sandbox.counters
        requests = sum(counters.received.values())
        floor = requests / (quota.rate * (1 - other_share))
    return {
        "processes": processes,
        "limiter": limiter,
        "other_consumer": other_share,
        "429s": counters.responses[429],
        "requests": requests,
        "wall_s": round(wall, 2),
        "floor_s": round(floor, 2),
        "wall_over_floor": round(wall / floor, 2),
        "failed": failed,
    }


@contextlib.contextmanager
def _redis_if(needed: bool) -> Iterator[str | None]:
    if not needed:
        yield None
        return
    with tempfile.TemporaryDirectory() as workdir, running_redis(Path(workdir)) as url:
        yield url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--processes", default="1,2,4,8", help="comma-separated N")
    parser.add_argument("--limiters", default="headers,redis")
    parser.add_argument("--accounts", type=int, default=10)
    parser.add_argument("--quota", default="60/10", help="LIMIT/SECONDS")
    parser.add_argument("--other", default="0,0.333", help="shares another consumer spends")
    parser.add_argument("--json", action="store_true", help="print JSON rows")
    options = parser.parse_args()
    quota = RateLimit.parse(options.quota)
    assert quota is not None
    limiters = options.limiters.split(",")
    rows = []
    with _redis_if("redis" in limiters) as redis_url:
        for limiter in limiters:
            for other in (float(share) for share in options.other.split(",")):
                for processes in (int(n) for n in options.processes.split(",")):
                    row = run_row(
                        processes=processes,
                        limiter=limiter,
                        other_share=other,
                        accounts=options.accounts,
                        quota=quota,
                        redis_url=redis_url,
                    )
                    rows.append(row)
                    if not options.json:
                        print(
                            f"{limiter:8} other={other:.2f} N={processes}: "
                            f"429s={row['429s']} requests={row['requests']} "
                            f"wall={row['wall_s']} s floor={row['floor_s']} s "
                            f"({row['wall_over_floor']}x) failed={row['failed']}",
                            flush=True,
                        )
    if options.json:
        print(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
