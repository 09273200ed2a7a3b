"""Running an audit: walking accounts concurrently and streaming findings as they come."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterable, AsyncIterator, Iterable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from .._client import AsyncCloudflare
from .._exceptions import APIStatusError, CloudflareError
from ..models import Member
from ._checks import member_findings, token_findings
from ._findings import AccountFailure, Finding, Thresholds

_PER_PAGE = 50
_AUDIT_LOG_LIMIT = 1000

Account = tuple[str, str]  # (id, name)
T = TypeVar("T")


class Audit:
    """An audit of the members and API tokens of every account, or of ``account_ids``.

    ``async for finding in Audit(client): ...`` streams the findings as
    accounts are read, several at a time.

    Args:
        client: the client to read with; its rate limit and concurrency apply.
        account_ids: the accounts to audit; all the credential reaches if ``None``.
        thresholds: the checks' limits (see :class:`Thresholds`).
        accounts_in_parallel: accounts read at the same time.
        now: the moment to judge ages and expiries against (default: now).

    While it runs, :attr:`accounts_total` (once known), :attr:`accounts_done`
    and :attr:`failures` say how far it got; the client's
    :attr:`~cfaccounts.AsyncCloudflare.rate_limiter` counts requests and waits.
    An account that cannot be read (a 403, a timeout) becomes an
    :class:`AccountFailure` and the audit goes on; only failing to list the
    accounts at all ends it, with the error raised from the iteration.
    """

    def __init__(
        self,
        client: AsyncCloudflare,
        *,
        account_ids: Iterable[str] | None = None,
        thresholds: Thresholds | None = None,
        accounts_in_parallel: int = 16,
        now: datetime | None = None,
    ) -> None:
        if accounts_in_parallel < 1:
            raise ValueError(f"accounts_in_parallel must be at least 1, got {accounts_in_parallel}")
        self.client = client
        self.account_ids = None if account_ids is None else list(dict.fromkeys(account_ids))
        self.thresholds = thresholds or Thresholds()
        self.accounts_in_parallel = accounts_in_parallel
        self.now = now or datetime.now(UTC)
        self.accounts_total: int | None = (
            None if self.account_ids is None else len(self.account_ids)
        )
        self.accounts_done = 0
        self.failures: list[AccountFailure] = []

    async def __aiter__(self) -> AsyncIterator[Finding]:
        findings: asyncio.Queue[Finding | None] = asyncio.Queue()
        walk = asyncio.create_task(self._walk(findings))
        try:
            while (finding := await findings.get()) is not None:
                yield finding
            await walk  # raises what ended the walk, if anything did
        finally:
            if not walk.done():
                walk.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await walk

    async def _walk(self, findings: asyncio.Queue[Finding | None]) -> None:
        accounts: asyncio.Queue[Account | None] = asyncio.Queue(self.accounts_in_parallel)
        workers = [
            asyncio.create_task(self._work(accounts, findings))
            for _ in range(self.accounts_in_parallel)
        ]
        try:
            await self._feed(accounts)
            for _ in workers:
                await accounts.put(None)
            await asyncio.gather(*workers)
        finally:
            for worker in workers:
                worker.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            findings.put_nowait(None)

    async def _feed(self, accounts: asyncio.Queue[Account | None]) -> None:
        """Queue every account to audit, listing them page by page as workers go."""
        if self.account_ids is not None:
            for account_id in self.account_ids:
                await accounts.put((account_id, ""))
            return
        first = await self.client.accounts.list(per_page=_PER_PAGE)
        info = first.result_info
        self.accounts_total = info.total_count if info and info.total_count is not None else None
        async for page in first.iter_pages():
            for account in page.result:
                await accounts.put((account.id, account.name))

    async def _work(
        self, accounts: asyncio.Queue[Account | None], findings: asyncio.Queue[Finding | None]
    ) -> None:
        while (account := await accounts.get()) is not None:
            try:
                for finding in await self._audit_account(account):
                    findings.put_nowait(finding)
            except CloudflareError as error:
                status = error.status_code if isinstance(error, APIStatusError) else None
                self.failures.append(
                    AccountFailure(
                        account_id=account[0],
                        account_name=account[1],
                        status_code=status,
                        error=str(error),
                    )
                )
            self.accounts_done += 1

    async def _audit_account(self, account: Account) -> list[Finding]:
        accounts = self.client.accounts
        account_id, name = account
        if not name:
            name = (await accounts.get(account_id=account_id)).name
            account = (account_id, name)
        members, roles, tokens = await asyncio.gather(
            _all(accounts.members.list(account_id=account_id, per_page=_PER_PAGE)),
            _all(accounts.roles.list(account_id=account_id, per_page=_PER_PAGE)),
            _all(
                accounts.tokens.list(
                    account_id=account_id, include_expired=True, per_page=_PER_PAGE
                )
            ),
        )
        invited_on = await self._invitations(account_id, members)
        return [
            *member_findings(
                account,
                members,
                roles=roles,
                invited_on=invited_on,
                thresholds=self.thresholds,
                now=self.now,
            ),
            *token_findings(account, tokens, thresholds=self.thresholds, now=self.now),
        ]

    async def _invitations(self, account_id: str, members: list[Member]) -> dict[str, datetime]:
        """When the pending members were invited, as far as the audit-log window shows.

        Only the window of ``invitation_max_age_days`` is read: an invitation
        not found there is older than the limit.
        """
        pending = {m.id for m in members if m.status == "pending" and m.id}
        if not pending:
            return {}
        since = self.now - timedelta(days=self.thresholds.invitation_max_age_days)
        entries = self.client.accounts.logs.audit.list(
            account_id=account_id,
            since=since,
            before=self.now + timedelta(minutes=1),
            action_type={"not": ["update", "delete"]},
            limit=_AUDIT_LOG_LIMIT,
        )
        invited: dict[str, datetime] = {}
        async for entry in entries:
            resource, action = entry.resource, entry.action
            if resource and resource.id in pending and action and action.time:
                invited[resource.id] = min(action.time, invited.get(resource.id, action.time))
        return invited


async def _all(listing: AsyncIterable[T]) -> list[T]:
    return [item async for item in listing]
