"""``python -m cfaccounts.testing serve``: run a sandbox for any HTTP client.

In the foreground it prints two shell lines first, flushed at once, for a
reading process to pick up, then serves until SIGINT or SIGTERM::

    export CLOUDFLARE_BASE_URL=http://127.0.0.1:8787/client/v4
    export CLOUDFLARE_API_TOKEN=sandbox-...

From a shell, ``--background`` serves from a process of its own and returns
once it answers, printing those lines and the server's pid::

    eval "$(python -m cfaccounts.testing serve --background)"
    cfaccounts audit ...
    kill "$CFACCOUNTS_SANDBOX_PID"

``--env-file FILE`` also writes the three lines to ``FILE`` once the server
answers, and removes it when the server stops. Usage errors (a port in use
or out of range, a negative count) exit with status 2.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Sequence
from pathlib import Path

import attrs

from .._ratelimit import CLOUDFLARE_RATE_LIMIT, RateLimit
from ._sandbox import Sandbox

#: How long ``--background`` waits for the server to answer.
_START_TIMEOUT = 60.0
_PID_VARIABLE = "CFACCOUNTS_SANDBOX_PID"


def _rate_limit(text: str) -> RateLimit | None:
    try:
        return RateLimit.parse(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port from 0 to 65535, got {text!r}")
    return port


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m cfaccounts.testing")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve a seeded sandbox on 127.0.0.1")
    serve.add_argument(
        "--port", type=_port, default=0, help="port to listen on (default: any free)"
    )
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
    serve.add_argument(
        "--env-file",
        type=Path,
        metavar="FILE",
        help="write the export lines to FILE once serving (removed when it stops)",
    )
    serve.add_argument(
        "--background",
        action="store_true",
        help="serve from a process of its own; print the exports and its pid once it answers",
    )
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


def _exports(sandbox: Sandbox, *, pid: int | None = None) -> str:
    variables = dict(sandbox.env)
    if pid is not None:
        variables[_PID_VARIABLE] = str(pid)
    return "".join(f"export {name}={shlex.quote(value)}\n" for name, value in variables.items())


def _write_atomically(path: Path, text: str) -> None:
    """``text`` into ``path``, readable by its owner only, whole or not at all."""
    partial = path.with_name(path.name + ".partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(text)
    partial.replace(path)


async def _serve(sandbox: Sandbox, options: argparse.Namespace) -> str | None:
    """Serve until SIGINT or SIGTERM; what went wrong starting, if anything."""
    try:
        await sandbox.start()
    except OSError as error:
        return f"cannot listen on 127.0.0.1:{options.port}: {error.strerror or error}"
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    env_file: Path | None = options.env_file
    try:
        print(_exports(sandbox), end="", flush=True)
        if env_file is not None:
            _write_atomically(env_file, _exports(sandbox, pid=os.getpid()))
        print(
            f"# cfaccounts sandbox: {options.accounts} accounts on {sandbox.base_url};"
            " Ctrl-C to stop",
            file=sys.stderr,
            flush=True,
        )
        await stop.wait()
    finally:
        if env_file is not None:
            await asyncio.to_thread(env_file.unlink, missing_ok=True)
        await sandbox.close()
    return None


def _background(arguments: Sequence[str], options: argparse.Namespace) -> int:
    """Start the same command without ``--background`` in a process of its own.

    It returns once that process has written its env file, printing the
    file's lines, or with that process's error and exit status if it ended
    first.
    """
    env_file = options.env_file or Path(
        tempfile.gettempdir(), f"cfaccounts-sandbox-{os.getpid()}.env"
    )
    env_file.unlink(missing_ok=True)
    command = [sys.executable, "-m", "cfaccounts.testing"]
    command += [argument for argument in arguments if argument != "--background"]
    if options.env_file is None:
        command += ["--env-file", str(env_file)]
    with tempfile.TemporaryFile() as errors:
        server = subprocess.Popen(  # noqa: S603 - this very program
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=errors,
            start_new_session=True,
        )
        deadline = time.monotonic() + _START_TIMEOUT
        while not env_file.exists():
            status = server.poll()
            if status is not None:
                errors.seek(0)
                sys.stderr.write(errors.read().decode(errors="replace"))
                return status
            if time.monotonic() > deadline:
                server.kill()
                server.wait()
                print(f"the sandbox did not start within {_START_TIMEOUT:.0f} s", file=sys.stderr)
                return 1
            time.sleep(0.05)
    print(env_file.read_text(), end="", flush=True)
    with warnings.catch_warnings():
        # It is meant to outlive this process: not a leak.
        warnings.simplefilter("ignore", ResourceWarning)
        del server
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    parser = _parser()
    options = parser.parse_args(arguments)
    try:
        sandbox = _sandbox(options)
    except ValueError as error:
        parser.error(str(error))
    if options.background:
        return _background(arguments, options)
    with contextlib.suppress(KeyboardInterrupt):
        problem = asyncio.run(_serve(sandbox, options))
        if problem is not None:
            parser.error(problem)
    return 0


if __name__ == "__main__":
    sys.exit(main())
