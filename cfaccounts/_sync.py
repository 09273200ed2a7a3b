"""``Cloudflare``: the blocking client, one generic adapter over the async one.

Nothing here knows an endpoint. Each client has one event loop, driven by
the threads that wait on it (:class:`~cfaccounts._blocking.LoopRunner`);
every namespace of :class:`AsyncCloudflare` is wrapped so that coroutines
come back as results and listings as :class:`SyncPage`\\ s. A call added to
the async client is in the sync client at once. The sync client works from
many threads at once, and where a loop is already running (Jupyter, inside
an async app).
"""

from __future__ import annotations

import inspect
import weakref
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar, Unpack, cast

from ._api_response import AsyncAPIResponse
from ._blocking import LoopRunner
from ._client import AsyncCloudflare, ClientOptions
from ._pagination import AsyncPaginator, BasePage
from .models.envelope import ResultInfo
from .resources._base import Resource

if TYPE_CHECKING:
    from ._sync_api import SyncAccountsResource

T = TypeVar("T")


def _shutdown(runner: LoopRunner, client: AsyncCloudflare) -> None:
    # Also run by the finalizer of a client that was never closed, so that
    # it leaks no session, no loop and no warning.
    if not runner.loop.is_closed():
        try:
            runner.run(client.close())
        finally:
            runner.close()


class SyncPage(Generic[T]):
    """One page of a listing, for blocking code.

    ``for item in page`` iterates every item of this page and of the pages
    after it, fetching them one at a time.
    """

    __slots__ = ("_page", "_runner")

    def __init__(self, page: BasePage[T], runner: LoopRunner) -> None:
        self._page = page
        self._runner = runner

    def __repr__(self) -> str:
        return repr(self._page).replace("<", "<Sync", 1)

    @property
    def result(self) -> list[T]:
        """The items of this page."""
        return self._page.result

    @property
    def result_info(self) -> ResultInfo | None:
        """Where this page sits in the listing."""
        return self._page.result_info

    def has_next_page(self) -> bool:
        """Whether another page follows this one."""
        return self._page.has_next_page()

    def get_next_page(self) -> SyncPage[T]:
        """Fetch the page after this one (StopIteration at the end)."""
        if not self._page.has_next_page():
            raise StopIteration("this is the last page")
        return SyncPage(self._runner.run(self._page.get_next_page()), self._runner)

    def iter_pages(self) -> Iterator[SyncPage[T]]:
        """This page and every page after it."""
        page = self
        while True:
            yield page
            if not page.has_next_page():
                return
            page = page.get_next_page()

    def __iter__(self) -> Iterator[T]:
        for page in self.iter_pages():
            yield from page.result


class SyncResource:
    """A blocking view of one async namespace, such as ``client.accounts.members``."""

    def __init__(self, resource: Resource, runner: LoopRunner) -> None:
        self._resource = resource
        self._runner = runner

    def __repr__(self) -> str:
        return repr(self._resource).replace("<", "<Sync", 1)

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._resource, name)
        if isinstance(attribute, Resource):
            wrapped: Any = SyncResource(attribute, self._runner)
        elif callable(attribute):
            wrapped = self._blocking(attribute)
        else:
            return attribute
        # Cached on the instance: later lookups skip __getattr__ altogether.
        setattr(self, name, wrapped)
        return wrapped

    def _blocking(self, method: Callable[..., Any]) -> Callable[..., Any]:
        runner = self._runner
        if inspect.iscoroutinefunction(inspect.unwrap(method)):

            def call(*args: Any, **kwargs: Any) -> Any:
                result = runner.run(method(*args, **kwargs))
                if isinstance(result, AsyncAPIResponse):  # with_raw_response
                    return result.blocking(lambda value: value)
                return result

        else:

            def call(*args: Any, **kwargs: Any) -> Any:
                result = method(*args, **kwargs)
                if isinstance(result, AsyncPaginator):
                    return SyncPage(runner.run(_first_page(result)), runner)
                if inspect.iscoroutine(result):  # a listing's first page, with_raw_response
                    response: AsyncAPIResponse[BasePage[Any]] = runner.run(result)
                    return response.blocking(lambda page: SyncPage(page, runner))
                return result

        call.__name__ = method.__name__
        call.__doc__ = method.__doc__
        return call


async def _first_page(paginator: AsyncPaginator[T, BasePage[T]]) -> BasePage[T]:
    return await paginator


class Cloudflare:
    """A blocking client for the Cloudflare Accounts API.

    Takes the same arguments as :class:`AsyncCloudflare` (but ``session``,
    which would belong to another loop) and has the same
    namespaces and calls, which return results instead of coroutines; list
    calls return the first :class:`SyncPage`, and iterating it yields every
    item across pages; ``with_raw_response`` calls return an
    :class:`APIResponse`. Use it as ``with Cloudflare() as client:`` or call
    :meth:`close`; a client dropped without closing is cleaned up when it is
    garbage collected.
    """

    def __init__(self, **options: Unpack[ClientOptions]) -> None:
        self._async_client = AsyncCloudflare(**options)
        self._runner = LoopRunner()
        self._finalizer = weakref.finalize(self, _shutdown, self._runner, self._async_client)
        self.accounts = cast(
            "SyncAccountsResource", SyncResource(self._async_client.accounts, self._runner)
        )

    def __repr__(self) -> str:
        return repr(self._async_client).replace("<AsyncCloudflare", "<Cloudflare", 1)

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._async_client.closed

    def close(self) -> None:
        """Close the HTTP session and the event loop. Harmless twice."""
        self._finalizer()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
