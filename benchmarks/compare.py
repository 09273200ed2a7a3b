"""cfaccounts against the raw-aiohttp floor and the official SDK: one table.

Run ``python benchmarks/compare.py`` (or ``nox -s bench``; add ``--json`` for
machines). The official ``cloudflare`` SDK is measured when it is installed
(``pip install '.[bench]'``); otherwise its column is left out.

Method:

- the API is ``canned_server.py``, in a process of its own, answering from
  pre-encoded bytes;
- every measurement is a fresh ``clients.py`` process (one client, one
  workload) that reports the CPU time its workload took after a warm-up;
- rounds interleave the clients (the order rotates every round), and each
  number is the median over ``--rounds`` rounds;
- import time is measured in a fresh interpreter per round;
- memory is the peak of Python allocations (tracemalloc) while iterating a
  listing of 10,000 and of 100,000 members: flat means the two are alike.

CPU is user + system time of the client process, all threads included, so the
sync wrapper's event-loop thread is counted.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from clients import SIZES

HERE = Path(__file__).parent
WORKLOADS = {
    "get": "{:,} sequential members.get",
    "get_64": "{:,} members.get, 64 in flight",
    "paging": "{:,} members, 50 per page",
    "cursor": "{:,} audit-log entries by cursor",
}
#: Each target: (workload, client, the client it is compared with, the largest ratio).
TARGETS = [
    ("get", "cfaccounts", "raw", 1.5),
    ("get_64", "cfaccounts", "raw", 1.5),
    ("paging", "cfaccounts", "raw", 1.7),
    ("cursor", "cfaccounts", "raw", 1.7),
    ("get", "cfaccounts-sync", "cfaccounts", 1.3),
    *((workload, "cfaccounts", "cloudflare", 1 / 5) for workload in WORKLOADS),
]
IMPORT_TARGET_S = 0.25
MODULES = {"raw": "aiohttp", "cfaccounts": "cfaccounts", "cloudflare": "cloudflare"}
TITLES = {
    "raw": "raw aiohttp",
    "cfaccounts": "cfaccounts",
    "cfaccounts-sync": "cfaccounts sync",
    "cloudflare": "cloudflare SDK",
}


def start_server() -> tuple[subprocess.Popen[str], str]:
    server = subprocess.Popen(
        [sys.executable, str(HERE / "canned_server.py")], stdout=subprocess.PIPE, text=True
    )
    assert server.stdout is not None
    return server, server.stdout.readline().strip()


def run_worker(client: str, workload: str, base_url: str, scale: float) -> dict[str, Any]:
    command = [sys.executable, str(HERE / "clients.py"), client, workload, base_url]
    output = subprocess.run(
        [*command, "--scale", str(scale)], capture_output=True, text=True, check=False
    )
    if output.returncode != 0:
        raise RuntimeError(f"{client} {workload} failed:\n{output.stderr}")
    result: dict[str, Any] = json.loads(output.stdout)
    return result


def import_seconds(module: str) -> float:
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return float(output.stdout)


def measure(clients: list[str], rounds: int, scale: float) -> dict[str, Any]:
    """Every workload through every client, ``rounds`` times, interleaved."""
    cpu: dict[str, dict[str, list[float]]] = {w: {c: [] for c in clients} for w in WORKLOADS}
    imports: dict[str, list[float]] = {c: [] for c in clients if c in MODULES}
    server, base_url = start_server()
    try:
        for round_number in range(rounds):
            shift = round_number % len(clients)
            order = clients[shift:] + clients[:shift]
            for workload in WORKLOADS:
                for client in order:
                    result = run_worker(client, workload, base_url, scale)
                    cpu[workload][client].append(result["cpu_s"] / result["items"] * 1e6)
            for client, samples in imports.items():
                samples.append(import_seconds(MODULES[client]))
        memory = {client: run_worker(client, "memory", base_url, scale) for client in clients}
    finally:
        server.terminate()
        server.wait()
    return {
        "rounds": rounds,
        "scale": scale,
        "us_per_item": {
            w: {c: statistics.median(samples) for c, samples in by_client.items()}
            for w, by_client in cpu.items()
        },
        "samples_us_per_item": cpu,
        "import_s": {c: statistics.median(samples) for c, samples in imports.items()},
        "memory": memory,
    }


def check_targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target with its measured ratio, for the clients that were measured."""
    checked = []
    per_item = results["us_per_item"]
    for workload, client, baseline, most in TARGETS:
        row = per_item[workload]
        if client in row and baseline in row:
            ratio = row[client] / row[baseline]
            checked.append(
                {
                    "workload": workload,
                    "client": client,
                    "versus": baseline,
                    "ratio": ratio,
                    "target": most,
                    "met": ratio <= most,
                }
            )
    for client, seconds in results["import_s"].items():
        if client == "cfaccounts":
            checked.append(
                {
                    "workload": "import",
                    "client": client,
                    "seconds": seconds,
                    "target": IMPORT_TARGET_S,
                    "met": seconds <= IMPORT_TARGET_S,
                }
            )
    return checked


def render(results: dict[str, Any], clients: list[str]) -> str:
    """The results as one plain-text table and the targets under it."""
    width = 36
    header = "workload (µs CPU per call or item)".ljust(width) + "".join(
        TITLES[c].rjust(20) for c in clients
    )
    lines = [header, "-" * len(header)]
    for workload, template in WORKLOADS.items():
        row = results["us_per_item"][workload]
        title = template.format(max(int(SIZES[workload][0] * results["scale"]), 1))
        cells = []
        for client in clients:
            ratio = row[client] / row["raw"] if "raw" in row else None
            text = f"{row[client]:.1f}" + (f" ({ratio:.2f}x)" if ratio is not None else "")
            cells.append(text.rjust(20))
        lines.append(title.ljust(width) + "".join(cells))
    imports = results["import_s"]
    lines.append(
        "import, fresh interpreter (s)".ljust(width)
        + "".join((f"{imports[c]:.3f}" if c in imports else "").rjust(20) for c in clients)
    )
    for position in range(2):
        sizes = {c: results["memory"][c]["items"][position] for c in clients}
        label = f"peak memory, {next(iter(sizes.values())):,} members (KiB)"
        lines.append(
            label.ljust(width)
            + "".join(
                f"{results['memory'][c]['peak_kib'][position]:,.0f}".rjust(20) for c in clients
            )
        )
    lines.append("")
    lines.append(f"medians of {results['rounds']} interleaved rounds; (Nx) = ratio to raw aiohttp")
    for target in results["targets"]:
        mark = "met" if target["met"] else "MISSED"
        if target["workload"] == "import":
            seconds, most = target["seconds"], target["target"]
            lines.append(f"[{mark}] import cfaccounts: {seconds:.3f} s (target ≤ {most} s)")
        elif target["versus"] == "cloudflare":
            lines.append(
                f"[{mark}] {target['workload']}: cfaccounts uses 1/{1 / target['ratio']:.1f} "
                f"of the official SDK's CPU (target ≤ 1/5)"
            )
        else:
            lines.append(
                f"[{mark}] {target['workload']}: {target['client']} {target['ratio']:.2f}x "
                f"{TITLES[target['versus']]} (target ≤ {target['target']}x)"
            )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="rounds per measurement (≥ 3)")
    parser.add_argument("--scale", type=float, default=1.0, help="scale every workload's size")
    parser.add_argument("--json", action="store_true", help="print JSON instead of the table")
    parser.add_argument(
        "--check", action="store_true", help="exit 1 when a measured target is missed"
    )
    args = parser.parse_args()
    clients = ["raw", "cfaccounts", "cfaccounts-sync"]
    if importlib.util.find_spec("cloudflare") is not None:
        clients.append("cloudflare")
    results = measure(clients, args.rounds, args.scale)
    results["clients"] = clients
    results["targets"] = check_targets(results)
    print(json.dumps(results, indent=2) if args.json else render(results, clients))
    return 1 if args.check and not all(t["met"] for t in results["targets"]) else 0


if __name__ == "__main__":
    sys.exit(main())
