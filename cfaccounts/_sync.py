"""``Cloudflare``: the blocking client, one generic adapter over the async one.

Nothing here knows an endpoint. Each client has one event loop, driven by
the threads that wait on it (:class:`~cfaccounts._blocking.LoopRunner`);
every namespace of :class:`AsyncCloudflare` is wrapped so that coroutines
come back as results and listings as :class:`SyncPage`\\ s. A call added to
the async client is in the sync client at once. The sync client works from
many threads at once, and where a loop is already running (Jupyter, inside
an async app).

The client, its namespaces and its pages share one :class:`_Runtime` (the
async client and the loop), which closes when the last of them is gone, and
which a forked child replaces with its own.
"""

from __future__ import annotations

import copy
import functools
import inspect
import os
import weakref
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar, Unpack, cast

from ._api_response import AsyncAPIResponse
from ._blocking import LoopRunner
from ._client import AsyncCloudflare, ClientCopyOptions, ClientOptions, concealed
from ._fork import keep_inherited, retire_inherited_loop
from ._pagination import AsyncPaginator, BasePage
from ._secrets import conceal_call_headers
from .models.envelope import ResultInfo
from .resources._base import Resource

if TYPE_CHECKING:
    from ._sync_api import SyncAccountsResource

T = TypeVar("T")


def _shutdown(runner: LoopRunner, client: AsyncCloudflare) -> None:
    # Also run by the finalizer of a runtime that was never closed, so that
    # it leaks no session, no loop and no warning.
    runner.shutdown(client.close())


class _Runtime:
    """The async client and the loop that a sync client's calls run on.

    Held by the client, its namespaces and its pages: it is closed when the
    last of them is garbage collected, not before (``Cloudflare().accounts``
    works). In a forked child it starts afresh (:func:`_restart_in_child`).
    """

    __slots__ = ("__weakref__", "_finalizer", "_options", "client", "runner")

    def __init__(self, options: ClientOptions) -> None:
        self._options = options
        self._start()
        _runtimes.add(self)

    def _start(self) -> None:
        self.client = AsyncCloudflare(**self._options)
        self.runner = LoopRunner()
        self._finalizer = weakref.finalize(self, _shutdown, self.runner, self.client)

    @property
    def closed(self) -> bool:
        return self.runner.closed

    def close(self) -> None:
        # Not through the finalizer, which returns at once to a second caller:
        # every caller of shutdown() returns once the client is closed.
        self._finalizer.detach()
        _shutdown(self.runner, self.client)

    def restart_in_child(self) -> None:
        """In a forked child: leave the parent's loop and session be, start new ones."""
        open_at_the_fork = self._finalizer.detach() is not None
        retire_inherited_loop(self.runner.loop)
        keep_inherited(self.runner, self.client)
        self._start()
        if not open_at_the_fork:  # closed, or being closed by another thread: closed here
            self.close()


#: Every runtime in this process, for :func:`_restart_in_child`.
_runtimes: weakref.WeakSet[_Runtime] = weakref.WeakSet()


def _restart_in_child() -> None:
    # Runs in the child right after a fork, before any other thread exists:
    # the parent's loops may be mid-call in threads the child does not have.
    for runtime in list(_runtimes):
        runtime.restart_in_child()


os.register_at_fork(after_in_child=_restart_in_child)


class _RuntimeCopy:
    """A :meth:`Cloudflare.with_options` copy's view of its original's runtime.

    The same loop; a client derived from the original's with other defaults,
    derived again when the original's client is replaced (in a forked child).
    It keeps the original's runtime open.
    """

    __slots__ = ("_base", "_client", "_derived_from", "_options")

    def __init__(self, base: _Runtime | _RuntimeCopy, options: ClientCopyOptions) -> None:
        self._base = base
        self._options = options
        self._derived_from: AsyncCloudflare | None = None
        self._client: AsyncCloudflare | None = None

    @property
    def runner(self) -> LoopRunner:
        return self._base.runner

    @property
    def closed(self) -> bool:
        return self._base.closed

    @property
    def client(self) -> AsyncCloudflare:
        base_client = self._base.client
        if self._client is None or self._derived_from is not base_client:
            self._client = base_client.with_options(**self._options)
            self._derived_from = base_client
        return self._client


class SyncPage(Generic[T]):
    """One page of a listing, for blocking code.

    ``for item in page`` iterates every item of this page and of the pages
    after it, fetching them one at a time. A page keeps its client open.
    """

    __slots__ = ("_page", "_runtime")

    def __init__(self, page: BasePage[T], runtime: _Runtime | _RuntimeCopy) -> None:
        self._page = page
        self._runtime = runtime

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
        next_page = self._runtime.runner.run(self._page.get_next_page())
        return SyncPage(next_page, self._runtime)

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
    """A blocking view of one async namespace, such as ``client.accounts.members``.

    It keeps its client open, and finds its async namespace by name at each
    call: a forked child's client has a new one.
    """

    def __init__(self, runtime: _Runtime | _RuntimeCopy, path: tuple[str, ...]) -> None:
        self._runtime = runtime
        self._path = path

    def _resource(self) -> Any:
        return functools.reduce(getattr, self._path, self._runtime.client)

    def __repr__(self) -> str:
        return repr(self._resource()).replace("<", "<Sync", 1)

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._resource(), name)
        if isinstance(attribute, Resource):
            wrapped: Any = SyncResource(self._runtime, (*self._path, name))
        elif callable(attribute):
            wrapped = self._blocking(name, attribute)
        else:
            return attribute
        # Cached on the instance: later lookups skip __getattr__ altogether.
        setattr(self, name, wrapped)
        return wrapped

    def _blocking(self, name: str, method: Callable[..., Any]) -> Callable[..., Any]:
        runtime = self._runtime
        path = (*self._path, name)  # this closure keeps the runtime open during the call

        def current() -> Callable[..., Any]:
            return cast("Callable[..., Any]", functools.reduce(getattr, path, runtime.client))

        if inspect.iscoroutinefunction(inspect.unwrap(method)):

            def call(*args: Any, **kwargs: Any) -> Any:
                conceal_call_headers(kwargs)  # this frame's locals show no header value
                result = runtime.runner.run(current()(*args, **kwargs))
                if isinstance(result, AsyncAPIResponse):  # with_raw_response
                    return result.blocking(lambda value: value)
                return result

        else:

            def call(*args: Any, **kwargs: Any) -> Any:
                conceal_call_headers(kwargs)
                result = current()(*args, **kwargs)
                if isinstance(result, AsyncPaginator):
                    return SyncPage(runtime.runner.run(_first_page(result)), runtime)
                if inspect.iscoroutine(result):  # a listing's first page, with_raw_response
                    response: AsyncAPIResponse[BasePage[Any]] = runtime.runner.run(result)
                    return response.blocking(lambda page: SyncPage(page, runtime))
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
    :meth:`close`; a client dropped without closing is closed when it, its
    namespaces and its pages are all garbage collected. Safe to share
    between threads, and usable in a forked child (which gets its own loop
    and connections).
    """

    def __init__(self, **options: Unpack[ClientOptions]) -> None:
        options = concealed(options)  # this frame's locals show no credential
        self._runtime: _Runtime | _RuntimeCopy = _Runtime(options)
        self.accounts = cast("SyncAccountsResource", SyncResource(self._runtime, ("accounts",)))

    def with_options(self, **options: Unpack[ClientCopyOptions]) -> Cloudflare:
        """A copy of this client with other defaults for its calls.

        As :meth:`AsyncCloudflare.with_options`: it shares this client's
        session, loop and rate limiter; closing the copy closes nothing.
        """
        clone = copy.copy(self)
        clone._runtime = _RuntimeCopy(self._runtime, options)
        clone.accounts = cast("SyncAccountsResource", SyncResource(clone._runtime, ("accounts",)))
        return clone

    def __repr__(self) -> str:
        if not hasattr(self, "_runtime"):  # construction failed: a traceback shows it too
            return "<Cloudflare (not constructed)>"
        return repr(self._runtime.client).replace("<AsyncCloudflare", "<Cloudflare", 1)

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._runtime.closed

    def close(self) -> None:
        """Close the HTTP session and the event loop. Harmless twice.

        Calls other threads are making meanwhile end with
        :class:`ClientClosedError`; ``close`` returns once they have, and
        once everything is released. A :meth:`with_options` copy closes
        nothing: its original owns them.
        """
        if isinstance(self._runtime, _Runtime):
            self._runtime.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
