"""A bulk audit at the rate-limit ceiling: paced by the client, then unpaced.

The sandbox (1,000 accounts x 50 members x 20 tokens by default, limit 1,200
requests per 3 s) runs in its own process; the audit runs here, once with
the client's limiter matching the sandbox's and once with it off. For each
run it prints the requests made, the 429 responses the sandbox sent, the
client's waits and pauses, and the wall time against the minimum the limit
allows (requests / rate). Run it as ``python benchmarks/audit_at_rate_limit.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import time
from multiprocessing.connection import Connection
from typing import Any

from cfaccounts import AsyncCloudflare, RateLimit
from cfaccounts.audit import Audit
from cfaccounts.testing import Sandbox


def serve(connection: Connection, options: dict[str, Any]) -> None:
    """In the child process: serve a sandbox until told to stop, then report its counters."""

    async def main() -> None:
        sandbox = Sandbox(
            seed="bench",
            accounts=options["accounts"],
            members_per_account=options["members"],
            tokens_per_account=options["tokens"],
            rate_limit=RateLimit(options["limit"], per=options["per"]),
        )
        async with sandbox:
            connection.send((sandbox.base_url, sandbox.api_token))
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, connection.recv)
            connection.send(dict(sandbox.counters.responses))

    asyncio.run(main())


async def audit(
    base_url: str, token: str, rate_limit: RateLimit | None, concurrency: int
) -> dict[str, Any]:
    started = time.perf_counter()
    async with AsyncCloudflare(
        api_token=token,
        base_url=base_url,
        rate_limit=rate_limit,
        max_concurrency=concurrency,
        max_retries=8,
    ) as client:
        run = Audit(client, accounts_in_parallel=concurrency)
        findings = [finding async for finding in run]
        limiter = client.rate_limiter
        return {
            "seconds": time.perf_counter() - started,
            "accounts": run.accounts_done,
            "failures": len(run.failures),
            "findings": len(findings),
            "requests": limiter.requests,
            "delayed": limiter.delayed,
            "pauses": limiter.pauses,
        }


def measure(options: dict[str, Any], paced: bool) -> dict[str, Any]:
    parent, child = multiprocessing.Pipe()
    server = multiprocessing.Process(target=serve, args=(child, options), daemon=True)
    server.start()
    base_url, token = parent.recv()
    limit = RateLimit(options["limit"], per=options["per"])
    try:
        result = asyncio.run(
            audit(base_url, token, limit if paced else None, options["concurrency"])
        )
    finally:
        parent.send("stop")
        responses = parent.recv()
        server.join()
    minimum = result["requests"] / limit.rate
    return {
        "client_limiter": "on" if paced else "off",
        **result,
        "responses_429": responses.get(429, 0),
        "minimum_seconds": minimum,
        "ratio_to_minimum": result["seconds"] / minimum,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--members", type=int, default=50)
    parser.add_argument("--tokens", type=int, default=20)
    parser.add_argument("--limit", type=int, default=1200)
    parser.add_argument("--per", type=float, default=3.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--json", action="store_true", help="print one JSON object per run")
    options = vars(parser.parse_args())
    print(
        f"audit of {options['accounts']} accounts x {options['members']} members x "
        f"{options['tokens']} tokens; sandbox limit {options['limit']} per {options['per']:g} s"
    )
    for paced in (True, False):
        row = measure(options, paced)
        if options["json"]:
            print(json.dumps(row))
            continue
        print(
            f"client limiter {row['client_limiter']:>3}: {row['requests']} requests in "
            f"{row['seconds']:.2f} s (minimum {row['minimum_seconds']:.2f} s, "
            f"ratio {row['ratio_to_minimum']:.3f}); 429 responses {row['responses_429']}, "
            f"pauses {row['pauses']}, waits {row['delayed']}; accounts {row['accounts']}, "
            f"failed {row['failures']}, findings {row['findings']}"
        )


if __name__ == "__main__":
    main()
