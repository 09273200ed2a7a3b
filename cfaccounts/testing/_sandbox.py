"""``Sandbox``: the embedded Accounts API, started in your loop or in its own thread."""

from __future__ import annotations

import asyncio
import random
import secrets
import threading
from collections.abc import Mapping
from concurrent.futures import Future
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self, Unpack

from aiohttp import web

from .._client import AsyncCloudflare, ClientOptions
from .._ratelimit import CLOUDFLARE_RATE_LIMIT, RateLimit
from .._sync import Cloudflare
from ._app import BASE_PATH, Counters, SandboxApp
from ._auth import Authenticator
from ._faults import Fault, FaultRule, FaultScript
from ._quota import Quota
from ._records import new_id, timestamp
from ._seed import MEMBER_PERMISSION_GROUPS, PERMISSION_GROUPS, AccountSeeder
from ._store import MAX_TOKENS_PER_ACCOUNT, Store


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class Sandbox:
    """A stateful Cloudflare Accounts API on 127.0.0.1, seeded with realistic data.

    Args:
        seed: the same seed gives the same accounts, members, roles, tokens
            and subscriptions.
        accounts: how many accounts to create.
        members_per_account: members of each account (the first is the
            sandbox's own user, a super administrator).
        tokens_per_account: account-owned API tokens of each account.
        rate_limit: requests allowed per user and window, Cloudflare's 1,200
            per 300 s by default, with its lockout (see :class:`RateLimit`);
            ``RateLimit(1200, per=3)`` for fast tests; ``None`` for no limit
            (and no ``Ratelimit`` headers).
        api_token: the token it answers to (random if not given).
        api_email: the email of a global API key it also answers to.
        api_key: that global API key (give both or neither).
        max_tokens_per_account: how many account-owned API tokens an
            account may hold (the API's 500); creating one more is refused
            with a 400.
        port: the port to listen on; 0 picks a free one.
        now: the moment seed data is dated from (default: now).

    Run it with ``async with Sandbox() as sandbox:`` inside an event loop, or
    ``with Sandbox() as sandbox:`` from synchronous code (it then serves from
    a thread of its own). ``sandbox.client()`` gives a matching
    :class:`~cfaccounts.AsyncCloudflare`; any HTTP client can use
    ``sandbox.base_url`` and ``sandbox.api_token``.
    """

    def __init__(
        self,
        *,
        seed: int | str = 0,
        accounts: int = 3,
        members_per_account: int = 8,
        tokens_per_account: int = 6,
        rate_limit: RateLimit | None = CLOUDFLARE_RATE_LIMIT,
        api_token: str | None = None,
        api_email: str | None = None,
        api_key: str | None = None,
        max_tokens_per_account: int = MAX_TOKENS_PER_ACCOUNT,
        port: int = 0,
        now: datetime | None = None,
    ) -> None:
        if (api_email is None) != (api_key is None):
            raise ValueError("api_email and api_key go together: give both or neither")
        for name, count in (
            ("accounts", accounts),
            ("members_per_account", members_per_account),
            ("tokens_per_account", tokens_per_account),
        ):
            if count < 0:
                raise ValueError(f"{name} must be 0 or more, got {count}")
        if tokens_per_account > max_tokens_per_account:
            raise ValueError(
                f"tokens_per_account ({tokens_per_account}) is more than"
                f" max_tokens_per_account ({max_tokens_per_account})"
            )
        owner_rng = random.Random(f"{seed}:owner")
        owner = {
            "email": api_email or "owner@sandbox.example",
            "id": new_id(owner_rng),
            "first_name": "Sandbox",
            "last_name": "Owner",
        }
        moment = now or datetime.now(UTC)
        records, token_secrets = [], {}
        for index in range(accounts):
            seeder = AccountSeeder(seed, index, moment, owner)
            record, account_secrets = seeder.account(members_per_account, tokens_per_account)
            records.append(record)
            token_secrets.update(account_secrets)
        #: The live state; tests may read it (``store.accounts[id].members``).
        self.store = Store(records, token_secrets, owner, seed, max_tokens_per_account)
        self.api_token = api_token or f"sandbox-{secrets.token_urlsafe(24)}"
        self.api_email = api_email
        self.api_key = api_key
        self.rate_limit = rate_limit
        self.faults = FaultScript()
        self._auth = Authenticator(self.store, self.api_token, api_email, api_key)
        self._quota = None if rate_limit is None else Quota(rate_limit)
        self._app = SandboxApp(self.store, self._auth, self._quota, self.faults)
        self._requested_port = port
        self.port = 0
        self._runner: web.AppRunner | None = None
        self._listener: asyncio.Server | None = None
        #: The event loop serving, while it does.
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._thread_loop: asyncio.AbstractEventLoop | None = None

    def __repr__(self) -> str:
        if not hasattr(self, "port"):  # construction failed: a traceback shows it too
            return "<Sandbox (not constructed)>"
        state = f"serving {self.base_url}" if self.port else "stopped"
        return f"<Sandbox {state}, {len(self.store.accounts)} accounts>"

    # -- what a client needs -------------------------------------------------

    @property
    def base_url(self) -> str:
        """The API root to point a client at: ``http://127.0.0.1:<port>/client/v4``."""
        if not self.port:
            raise RuntimeError("The sandbox is not running; start it first")
        return f"http://127.0.0.1:{self.port}{BASE_PATH}"

    @property
    def env(self) -> dict[str, str]:
        """``CLOUDFLARE_BASE_URL`` and ``CLOUDFLARE_API_TOKEN`` for this sandbox."""
        return {"CLOUDFLARE_BASE_URL": self.base_url, "CLOUDFLARE_API_TOKEN": self.api_token}

    @property
    def account_ids(self) -> list[str]:
        """The ids of the accounts it holds, in creation order."""
        return list(self.store.accounts)

    @property
    def counters(self) -> Counters:
        """Requests received per route and responses sent per status."""
        return self._app.counters

    def received(self, route: str) -> int:
        """How many requests reached ``route`` (``"POST /accounts/{account_id}/members"``)."""
        return self._app.counters.received[route]

    def spend_quota(self, requests: int, *, credential: str | None = None) -> int:
        """Spend ``requests`` of a user's quota as someone else would (the dashboard, a script).

        For tests of code that must adapt to consumption it cannot see. The
        requests count as if they had arrived now: past the quota they are
        refused and start the lockout, exactly as the API would.

        Args:
            requests: how many requests to count.
            credential: whose quota: the sandbox's own token (the default) or
                key, which share one, or the secret of an account-owned token.

        Returns:
            How many were admitted; the others were refused. With
            ``rate_limit=None`` every one is admitted.

        Raises:
            ValueError: ``credential`` is not one the sandbox answers to, or
                ``requests`` is negative.
        """
        if requests < 0:
            raise ValueError(f"requests must be 0 or more, got {requests}")
        key = self._auth.quota_key_of(credential)
        return requests if self._quota is None else self._quota.spend(key, requests)

    @property
    def permission_groups(self) -> dict[str, str]:
        """Permission-group name → id, of every group a policy may name.

        Tokens take the groups of ``GET .../tokens/permission_groups``; member
        policies take those and the role-named ones ("Super Administrator -
        All Privileges", "Administrator", ...).
        """
        return {group["name"]: group["id"] for group in MEMBER_PERMISSION_GROUPS} | {
            group["name"]: group["id"] for group in PERMISSION_GROUPS
        }

    def amend(
        self, account_id: str, item_id: str | None = None, /, **fields: Any
    ) -> dict[str, Any]:
        """Set fields the API sets itself, for tests: a token's ``issued_on``,
        ``last_used_on`` or ``status``, a member's ``user`` 2FA, an account's ``settings``.

        Args:
            account_id: the account.
            item_id: a member or token of it; ``None`` for the account itself.
            fields: the new values; a dict is merged into the dict it
                replaces (``user={"two_factor_authentication_enabled": True}``),
                a datetime is written as the API's timestamp.

        Returns:
            The record as the API now serves it.

        Raises:
            KeyError: no such account, member or token.
        """
        record = self.store.accounts[account_id]
        if item_id is None:
            target = record.account
        elif item_id in record.members:
            target = record.members[item_id]
        else:
            target = record.tokens[item_id]
        for name, value in fields.items():
            if isinstance(value, datetime):
                target[name] = timestamp(value)
            elif isinstance(value, dict) and isinstance(target.get(name), dict):
                target[name] = {**target[name], **value}
            else:
                target[name] = value
        return target

    def punch_audit_log_gap(
        self,
        account_id: str,
        *,
        since: datetime | None = None,
        before: datetime | None = None,
        resource_id: str | None = None,
    ) -> int:
        """Remove audit-log entries of an account, as the gaps of a real log lose them.

        Args:
            account_id: whose log.
            since: the first moment of the gap (default: the log's start).
            before: the moment the gap ends, excluded (default: its end).
            resource_id: only the entries about this resource (a member or
                token id), such as one invitation.

        Returns:
            How many entries were removed.

        Raises:
            KeyError: the sandbox holds no such account.
        """
        record = self.store.accounts[account_id]
        start = "" if since is None else timestamp(since)
        end = None if before is None else timestamp(before)

        def in_gap(entry: dict[str, Any]) -> bool:
            moment = entry["action"]["time"]
            return (
                start <= moment
                and (end is None or moment < end)
                and (resource_id is None or (entry.get("resource") or {}).get("id") == resource_id)
            )

        kept = [entry for entry in record.audit if not in_gap(entry)]
        removed = len(record.audit) - len(kept)
        record.audit[:] = kept
        return removed

    def client(self, **options: Unpack[ClientOptions]) -> AsyncCloudflare:
        """An :class:`~cfaccounts.AsyncCloudflare` for this sandbox; ``options`` override."""
        return AsyncCloudflare(**self._client_options(options))

    def sync_client(self, **options: Unpack[ClientOptions]) -> Cloudflare:
        """A :class:`~cfaccounts.Cloudflare` (sync) client for this sandbox.

        Raises:
            RuntimeError: the sandbox serves from the event loop running in
                this thread (``async with Sandbox()``, or Jupyter's top-level
                ``await``): every blocking call would stop the loop that has to
                answer it. Use :meth:`client` there, or run the sandbox in a
                thread of its own with ``with Sandbox() as sandbox:``.
        """
        if self._loop is not None and self._loop is _running_loop():
            raise RuntimeError(
                "This sandbox serves from the event loop running in this thread, so a"
                " blocking client here would wait forever for it: use"
                " `async with sandbox.client() as client:` (async) in this loop, or run"
                " the sandbox in a thread of its own with `with Sandbox() as sandbox:`"
            )
        return Cloudflare(**self._client_options(options))

    def _client_options(self, options: Mapping[str, Any]) -> dict[str, Any]:
        # Direct to 127.0.0.1, whatever proxy the environment names.
        return {"api_token": self.api_token, "base_url": self.base_url, "proxy": False, **options}

    # -- faults --------------------------------------------------------------

    def inject(
        self,
        fault: Fault,
        route: str = "*",
        *,
        account_id: str | None = None,
        times: int | None = 1,
    ) -> FaultRule:
        """Make the next ``times`` requests to ``route`` fail with ``fault``.

        Args:
            fault: what happens, e.g. ``Fault.error(503)``.
            route: ``"METHOD /path/template"`` as in the reference, e.g.
                ``"POST /accounts/{account_id}/members"``; ``"*"`` for all.
            account_id: only requests about this account.
            times: how many requests it hits; ``None`` for all of them.

        Returns:
            The rule; its ``hits`` counts the requests it failed.
        """
        return self.faults.add(FaultRule(fault, route, account_id, times))

    # -- running -------------------------------------------------------------

    async def start(self) -> None:
        """Listen on 127.0.0.1 in the running event loop.

        Raises:
            OSError: the port cannot be listened on (in use, say).
        """
        if self._runner is not None:
            raise RuntimeError("The sandbox is already running")
        runner = web.AppRunner(self._app.application(), access_log=None, handle_signals=False)
        await runner.setup()
        server = runner.server
        assert server is not None  # noqa: S101 - set up just above
        loop = asyncio.get_running_loop()
        try:
            listener = await loop.create_server(
                self._app.protocol(server), "127.0.0.1", self._requested_port
            )
        except BaseException:
            await runner.cleanup()
            raise
        self._runner, self._listener, self._loop = runner, listener, loop
        self.port = listener.sockets[0].getsockname()[1]

    async def close(self) -> None:
        """Stop listening and close open connections, at once.

        Answers still held back by a latency fault are cancelled: their
        connections close unanswered (counted as dropped, under 0).
        """
        if self._runner is not None and self._listener is not None:
            runner, listener = self._runner, self._listener
            self._runner = self._listener = self._loop = None
            listener.close()
            self._app.cancel_pending()
            await runner.cleanup()
            await listener.wait_closed()
            self.port = 0

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def __enter__(self) -> Self:
        """Serve from a daemon thread with an event loop of its own."""
        started: Future[None] = Future()
        loop = asyncio.new_event_loop()

        def serve() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self.start())
            except BaseException as error:  # reported to the caller of __enter__
                started.set_exception(error)
                loop.close()
                return
            started.set_result(None)
            loop.run_forever()
            loop.run_until_complete(self.close())
            loop.close()

        self._thread_loop = loop
        self._thread = threading.Thread(target=serve, name="cfaccounts-sandbox", daemon=True)
        self._thread.start()
        started.result()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._thread is None or self._thread_loop is None:
            return
        self._thread_loop.call_soon_threadsafe(self._thread_loop.stop)
        self._thread.join()
        self._thread = self._thread_loop = None
