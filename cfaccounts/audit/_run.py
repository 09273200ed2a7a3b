"""Running an audit: walking accounts concurrently and streaming findings as they come."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import attrs

from .._client import AsyncCloudflare
from .._endpoint import path_segment
from .._exceptions import (
    APIConnectionError,
    APIStatusError,
    AuthenticationError,
    CloudflareError,
    PermissionDeniedError,
    RateLimitError,
)
from ..models import Account as AccountModel
from ..models import Member
from ._checks import Invitations, member_findings, token_findings
from ._findings import AccountFailure, Finding, NotChecked, Thresholds

_PER_PAGE = 50
# Looked up at call time, so tests can record waits.
_sleep = asyncio.sleep
_AUDIT_LOG_LIMIT = 1000
#: How long to wait after a 429 that names no Retry-After: Cloudflare's whole window.
_WINDOW = 300.0

#: (id, name) and the account as listed, when it was.
Account = tuple[str, str]
Queued = tuple[str, AccountModel | None]
T = TypeVar("T")


@attrs.frozen
class Source:
    """Data an audit reads from each account, and the token permission it takes."""

    #: The request that reads it, such as ``GET /accounts/{account_id}/members``.
    request: str
    #: The API token permission that allows the request.
    permission: str


SOURCES: dict[str, Source] = {
    "account": Source("GET /accounts/{account_id}", "Account Settings Read"),
    "members": Source("GET /accounts/{account_id}/members", "Account Settings Read"),
    "tokens": Source("GET /accounts/{account_id}/tokens", "Account API Tokens Read"),
    "audit_log": Source("GET /accounts/{account_id}/logs/audit", "Account Settings Read"),
}
"""What the audit reads from each account, by name.

A source the credential may not read (a 403) leaves the checks that need it
*not checked* for that account (:class:`NotChecked`); the others run.
"""

CHECK_SOURCES: dict[str, tuple[str, ...]] = {
    # settings.enforce_twofactor: from the accounts listing, or read for --account.
    "account_2fa_not_enforced": ("account", "members"),
    "single_super_admin": ("members",),
    # Worded (and rated) as for an account not enforcing 2FA when its settings are unknown.
    "member_without_2fa": ("members",),
    "member_outside_allowed_domain": ("members",),
    # The invitation's date comes from the audit log, read only when one is pending.
    "stale_invitation": ("members", "audit_log"),
    "invitation_age_unknown": ("members", "audit_log"),
    "too_many_super_admins": ("members",),
    "too_many_admins": ("members",),
    "token_without_ip_limit": ("tokens",),
    "token_never_expires": ("tokens",),
    "token_expired_not_disabled": ("tokens",),
    "token_expiring_soon": ("tokens",),
    "token_unused": ("tokens",),
    "token_not_rotated": ("tokens",),
    "token_long_lifetime": ("tokens",),
    "token_wildcard_resources": ("tokens",),
}
"""The :data:`SOURCES` each check needs.

``account`` (its name and settings) comes with the accounts listing; it is
read on its own only for ``account_ids``. Without it, findings carry the
account id and an empty name.
"""


class _WaitedTooLong(Exception):
    """A 429 asked for a longer wait than the audit's ``max_wait`` has left."""

    def __init__(self, error: RateLimitError, retry_after: float, waited: float, bound: float):
        super().__init__(
            f"{error}; Retry-After {retry_after:g} s, more than the wait left"
            f" ({waited:g} s waited of at most {bound:g} s)"
        )
        self.error = error


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
        max_wait: seconds one read may spend waiting out 429s (their
            ``Retry-After``) before its account fails; Cloudflare's window is
            300 s, so the default waits out one full window.

    Raises:
        ValueError: an account id is empty or not a valid id, or a bound is
            out of range (before anything is sent).

    While it runs, :attr:`accounts_total` (once known), :attr:`accounts_done`,
    :attr:`failures` and :attr:`not_checked` say how far it got; the client's
    :attr:`~cfaccounts.AsyncCloudflare.rate_limiter` counts requests and waits,
    and its ``paused_until`` says when a wait for a 429 ends.

    An account that cannot be read (a 404, a timeout, a 429 asking for more
    than ``max_wait``) becomes an :class:`AccountFailure` and the audit goes
    on. A source the credential may not read (a 403) makes only the checks
    that need it :class:`NotChecked` for that account (see
    :data:`CHECK_SOURCES`); the account fails only when no check could run.
    The iteration raises, ending the audit, when the accounts cannot be
    listed (a 429 is waited out first, within ``max_wait``), the credential
    is refused (401), or the API cannot be reached before anything was read.
    A 429 that holds every request longer than the client's retries wait
    (a lockout) holds the other reads too: each waits it out within its own
    ``max_wait``.
    """

    def __init__(
        self,
        client: AsyncCloudflare,
        *,
        account_ids: Iterable[str] | None = None,
        thresholds: Thresholds | None = None,
        accounts_in_parallel: int = 16,
        now: datetime | None = None,
        max_wait: float = _WINDOW,
    ) -> None:
        if accounts_in_parallel < 1:
            raise ValueError(f"accounts_in_parallel must be at least 1, got {accounts_in_parallel}")
        if not max_wait >= 0:  # NaN too
            raise ValueError(f"max_wait must be seconds >= 0, got {max_wait!r}")
        self.client = client
        self.account_ids = (
            None
            if account_ids is None
            else list(dict.fromkeys(_checked_id(account_id) for account_id in account_ids))
        )
        self.thresholds = thresholds or Thresholds()
        self.accounts_in_parallel = accounts_in_parallel
        self.now = now or datetime.now(UTC)
        self.max_wait = float(max_wait)
        self.accounts_total: int | None = (
            None if self.account_ids is None else len(self.account_ids)
        )
        self.accounts_done = 0
        self.failures: list[AccountFailure] = []
        self.not_checked: list[NotChecked] = []
        #: The ``Retry-After`` of the latest 429 the audit waited out itself
        #: (one longer than the client's retries wait); ``None`` before any.
        self.retry_after: float | None = None
        #: Whether any request was answered: before that, an unreachable API ends the audit.
        self._reached = False

    @property
    def accounts_audited(self) -> int:
        """Accounts read so far (some of their checks may be :attr:`not_checked`)."""
        return self.accounts_done - len(self.failures)

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
        accounts: asyncio.Queue[Queued | None] = asyncio.Queue(self.accounts_in_parallel)
        workers = [
            asyncio.create_task(self._work(accounts, findings))
            for _ in range(self.accounts_in_parallel)
        ]
        # Fed alongside the workers: a worker that fails ends the feed too,
        # rather than leaving it blocked on a queue nobody empties.
        feed = asyncio.create_task(self._feed(accounts, len(workers)))
        try:
            await asyncio.gather(feed, *workers)
        finally:
            for task in (feed, *workers):
                task.cancel()
            await asyncio.gather(feed, *workers, return_exceptions=True)
            findings.put_nowait(None)

    async def _feed(self, accounts: asyncio.Queue[Queued | None], workers: int) -> None:
        """Queue every account to audit, page by page as workers go, then a stop per worker."""
        await self._queue_accounts(accounts)
        for _ in range(workers):
            await accounts.put(None)

    async def _queue_accounts(self, accounts: asyncio.Queue[Queued | None]) -> None:
        if self.account_ids is not None:
            for account_id in self.account_ids:
                await accounts.put((account_id, None))
            return
        try:
            page = await self._waiting_out_429s(
                lambda: self.client.accounts.list(per_page=_PER_PAGE)
            )
            self._reached = True
            info = page.result_info
            self.accounts_total = (
                info.total_count if info and info.total_count is not None else None
            )
            while True:
                for account in page.result:
                    await accounts.put((account.id, account))
                if not page.has_next_page():
                    return
                page = await self._waiting_out_429s(page.get_next_page)
        except _WaitedTooLong as waited:
            raise waited.error from None  # the accounts cannot be listed

    async def _work(
        self, accounts: asyncio.Queue[Queued | None], findings: asyncio.Queue[Finding | None]
    ) -> None:
        while (queued := await accounts.get()) is not None:
            listed = queued[1]
            account = (queued[0], listed.name if listed else "")
            try:
                for finding in await self._audit_account(queued):
                    findings.put_nowait(finding)
            except AuthenticationError:
                raise  # the credential, not this account: nothing else can be read
            except APIConnectionError as error:
                if not (error.reached_server or self._reached):
                    raise  # the API is unreachable: no account can be read
                self._fail(account, error, None)
            except APIStatusError as error:
                self._fail(account, error, error.status_code)
            except _WaitedTooLong as error:
                self._fail(account, error, error.error.status_code)
            except CloudflareError as error:
                self._fail(account, error, None)
            self.accounts_done += 1

    def _fail(self, account: Account, error: Exception, status: int | None) -> None:
        account_id, name = account
        self.failures.append(
            AccountFailure(
                account_id=account_id, account_name=name, status_code=status, error=str(error)
            )
        )

    async def _read(
        self,
        forbidden: dict[str, PermissionDeniedError],
        source: str,
        fetch: Callable[[], Awaitable[T]],
    ) -> T | None:
        """``fetch()``'s result, or ``None`` (noted in ``forbidden``) when ``source`` is refused.

        A 429 is waited out (its ``Retry-After``) and the read made again,
        as long as the waits for this read stay within :attr:`max_wait`.
        """
        try:
            result = await self._waiting_out_429s(fetch)
        except PermissionDeniedError as error:
            forbidden[source] = error
            return None
        self._reached = True
        return result

    async def _waiting_out_429s(self, fetch: Callable[[], Awaitable[T]]) -> T:
        """``fetch()``, made again after each 429 is waited out while the waits fit ``max_wait``.

        The client holds every request for a 429 it does not retry, and
        refuses others unsent while that hold is longer than its retries
        wait: the read is made again when the hold ends, and is charged the
        whole wait, whichever read met the 429.
        """
        waited = 0.0
        limiter = self.client.rate_limiter
        while True:
            try:
                return await fetch()
            except RateLimitError as error:
                asked = error.retry_after if error.retry_after is not None else _WINDOW
                # At least a second each: a server that keeps asking for no
                # wait at all must not be asked again without end.
                wait = max(asked, limiter.pause_left(), 1.0)
                if waited + wait > self.max_wait:
                    raise _WaitedTooLong(error, wait, waited, self.max_wait) from None
                self.retry_after = wait
                if limiter.pause_left() < wait:
                    limiter.pause(wait)
                if limiter.pause_left() == 0:  # a limiter that does not hold requests itself
                    await _sleep(wait)
                    waited += wait
                    continue
                spent = await limiter.wait_out_pause(within=self.max_wait - waited)
                if spent is None:  # another 429 made the hold longer than is left to wait
                    raise _WaitedTooLong(
                        error, limiter.pause_left(), waited, self.max_wait
                    ) from None
                waited += spent

    async def _audit_account(self, queued: Queued) -> list[Finding]:
        accounts = self.client.accounts
        account_id, listed = queued
        # Source name → the 403 that refused it.
        forbidden: dict[str, PermissionDeniedError] = {}
        if listed is None:
            # A 404 here fails the account; a 403 leaves the findings without its name.
            listed = await self._read(
                forbidden, "account", lambda: accounts.get(account_id=account_id)
            )
        account = (account_id, listed.name if listed is not None else "")
        settings = listed.settings if listed is not None else None
        members, tokens = await _gather(
            self._read(
                forbidden,
                "members",
                lambda: _all(accounts.members.list(account_id=account_id, per_page=_PER_PAGE)),
            ),
            self._read(
                forbidden,
                "tokens",
                lambda: _all(
                    accounts.tokens.list(
                        account_id=account_id, include_expired=True, per_page=_PER_PAGE
                    )
                ),
            ),
        )
        invitations = Invitations(covers_days=self.thresholds.audit_log_retention_days)
        if members is not None:
            invitations = await self._invitations(forbidden, account_id, members)
        unread = {
            check: next(source for source in sources if source in forbidden)
            for check, sources in CHECK_SOURCES.items()
            if any(source in forbidden for source in sources)
        }
        if len(unread) == len(CHECK_SOURCES):
            raise next(iter(forbidden.values()))  # nothing could be checked
        for check, source in unread.items():
            self.not_checked.append(
                NotChecked(
                    account_id=account_id,
                    account_name=account[1],
                    check=check,
                    permission=SOURCES[source].permission,
                    request=SOURCES[source].request,
                    error=str(forbidden[source]),
                )
            )
        found_all = [
            *member_findings(
                account,
                members or [],
                invitations=invitations,
                enforces_2fa=settings.enforce_twofactor if settings is not None else None,
                thresholds=self.thresholds,
                now=self.now,
            ),
            *token_findings(account, tokens or [], thresholds=self.thresholds, now=self.now),
        ]
        return [finding for finding in found_all if finding.check not in unread]

    async def _invitations(
        self, forbidden: dict[str, PermissionDeniedError], account_id: str, members: list[Member]
    ) -> Invitations:
        """When the pending members were invited, as far as the audit log can tell.

        The log is read back as far as it keeps entries
        (:attr:`Thresholds.audit_log_retention_days`); only the members'
        ``create`` entries count (a ``view`` of a member is no invitation).
        A log that cannot be read (other than a 403, which makes the
        invitation checks :class:`NotChecked`) leaves every age unknown, and
        the account's other checks stand.
        """
        days = self.thresholds.audit_log_retention_days
        pending = {m.id for m in members if m.status == "pending" and m.id}
        if not pending:
            return Invitations(covers_days=days)

        async def read() -> dict[str, datetime]:
            entries = self.client.accounts.logs.audit.list(
                account_id=account_id,
                since=self.now - timedelta(days=days),
                before=self.now + timedelta(minutes=1),
                action_type={"not": ["update", "delete", "view"]},
                limit=_AUDIT_LOG_LIMIT,
            )
            invited: dict[str, datetime] = {}
            async for entry in entries:
                resource, action = entry.resource, entry.action
                if not (resource and resource.id in pending and action and action.time):
                    continue
                if action.type == "create":
                    invited[resource.id] = min(action.time, invited.get(resource.id, action.time))
            return invited

        try:
            sent = await self._read(forbidden, "audit_log", read)
        except AuthenticationError:
            raise
        except (CloudflareError, _WaitedTooLong) as error:
            return Invitations(
                covers_days=days, unreadable=f"the audit log could not be read ({error})"
            )
        return Invitations(sent=sent or {}, covers_days=days)


def _checked_id(account_id: str) -> str:
    path_segment("account_ids", account_id)  # raises on an unusable id, before any request
    return account_id


async def _gather(*reads: Awaitable[Any]) -> list[Any]:
    """Every read's result; the first failure raised once all have finished (none left running)."""
    results = await asyncio.gather(*reads, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results


async def _all(listing: AsyncIterable[T]) -> list[T]:
    return [item async for item in listing]
