"""``python -m cfaccounts.testing serve``: run a sandbox for any HTTP client.

It prints two shell lines first, flushed at once, so that
``eval "$(python -m cfaccounts.testing serve | head -2)"`` or a reading
process can pick them up, then serves until interrupted::

    export CLOUDFLARE_BASE_URL=http://127.0.0.1:8787/client/v4
    export CLOUDFLARE_API_TOKEN=sandbox-...
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shlex
import signal
import sys
from collections.abc import Sequence

import attrs

from .._ratelimit import CLOUDFLARE_RATE_LIMIT, RateLimit
from ._sandbox import Sandbox


def _rate_limit(text: str) -> RateLimit | None:
    try:
        return RateLimit.parse(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m cfaccounts.testing")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve a seeded sandbox on 127.0.0.1")
    serve.add_argument("--port", type=int, default=0, help="port to listen on (default: any free)")
    serve.add_argument("--accounts", type=int, default=3, help="accounts to seed (default: 3)")
    serve.add_argument("--members", type=int, default=8, help="members per account (default: 8)")
    serve.add_argument("--tokens", type=int, default=6, help="tokens per account (default: 6)")
    serve.add_argument("--seed", default="0", help="seed of the generated data (default: 0)")
    serve.add_argument(
        "--rate-limit",
        type=_rate_limit,
        default=CLOUDFLARE_RATE_LIMIT,
        metavar="LIMIT/SECONDS",
        help="requests per credential and window, or none (default: 1200/300)",
    )
    serve.add_argument(
        "--lockout",
        type=float,
        metavar="SECONDS",
        help="how long going over the rate limit locks a credential out (default: one window)",
    )
    serve.add_argument("--token", help="API token to answer to (default: a random one)")
    return parser


def _sandbox(options: argparse.Namespace) -> Sandbox:
    """The sandbox the options describe.

    Raises:
        ValueError: they describe none (a negative count, a bad lockout).
    """
    rate_limit = options.rate_limit
    if rate_limit is not None and options.lockout is not None:
        rate_limit = attrs.evolve(rate_limit, lockout=options.lockout)
    return Sandbox(
        seed=options.seed,
        accounts=options.accounts,
        members_per_account=options.members,
        tokens_per_account=options.tokens,
        rate_limit=rate_limit,
        api_token=options.token,
        port=options.port,
    )


async def _serve(sandbox: Sandbox, options: argparse.Namespace) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with sandbox:
        for name, value in sandbox.env.items():
            print(f"export {name}={shlex.quote(value)}", flush=True)
        print(
            f"# cfaccounts sandbox: {options.accounts} accounts on {sandbox.base_url};"
            " Ctrl-C to stop",
            file=sys.stderr,
            flush=True,
        )
        await stop.wait()


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    options = parser.parse_args(argv)
    try:
        sandbox = _sandbox(options)
    except ValueError as error:
        parser.error(str(error))
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(sandbox, options))
    return 0


if __name__ == "__main__":
    sys.exit(main())
