"""Listings: awaitable for one page, async-iterable for every item.

``await client.accounts.list()`` gives the first page; ``async for account in
client.accounts.list()`` yields every account across pages, fetched lazily,
one page in memory at a time. Each page knows whether another follows and
never asks for one when ``result_info`` already says it is the last:

- page numbers (:class:`AsyncV4PagePaginationArray`): the next page is the
  page asked for plus one, whatever ``result_info.page`` says; stop at
  ``total_pages``, at ``total_count``, on a short page or on an empty page. A
  following page that is not the one asked for, or that repeats the page
  before it, raises :class:`~cfaccounts.APIResponseValidationError`: a
  listing that makes no progress never loops nor yields an item twice;
- cursors (:class:`AsyncCursorPaginationAfter`): follow
  ``result_info.cursor`` or ``result_info.cursors.after``; stop on an empty
  or missing cursor, an empty page, or a cursor seen before (never loop);
- one response (:class:`AsyncSinglePage`): there is no next page.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator, Mapping
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar

from ._converter import converter
from ._endpoint import Endpoint
from ._exceptions import APIResponseValidationError
from ._request import Request
from ._response import Envelope, structure_result
from .models.envelope import ResultInfo

if TYPE_CHECKING:
    from ._core import Core

T = TypeVar("T")
PageT = TypeVar("PageT", bound="BasePage[Any]")


class BasePage(Generic[T]):
    """One page of a listing: its items in :attr:`result`, and :attr:`result_info`."""

    __slots__ = ("_core", "_endpoint", "_request", "result", "result_info")

    def __init__(
        self,
        result: list[T],
        result_info: ResultInfo | None,
        *,
        core: Core,
        endpoint: Endpoint[T],
        request: Request,
    ) -> None:
        self.result = result
        self.result_info = result_info
        self._core = core
        self._endpoint = endpoint
        self._request = request

    def __repr__(self) -> str:
        return f"<{type(self).__name__} items={len(self.result)} result_info={self.result_info!r}>"

    def _next_page_query(self) -> Mapping[str, Any] | None:
        """The query parameters that fetch the next page, or ``None`` at the end."""
        return None

    def _next_page_state(self) -> Mapping[str, Any]:
        """What the next page must know about this one (see the cursor page)."""
        return {}

    def _lack_of_progress(self) -> str | None:
        """What shows this page does not follow the one before, if anything."""
        return None

    def has_next_page(self) -> bool:
        """Whether another page follows this one."""
        return self._next_page_query() is not None

    async def get_next_page(self) -> Self:
        """Fetch the page after this one.

        Raises:
            StopAsyncIteration: this is the last page (check :meth:`has_next_page`).
        """
        query = self._next_page_query()
        if query is None:
            raise StopAsyncIteration("this is the last page")
        return await fetch_page(
            type(self),
            self._core,
            self._endpoint,
            self._request.with_query(query),
            **self._next_page_state(),
        )

    async def iter_pages(self) -> AsyncIterator[Self]:
        """This page and every page after it, fetched one at a time."""
        page = self
        while True:
            yield page
            if not page.has_next_page():
                return
            page = await page.get_next_page()

    async def __aiter__(self) -> AsyncIterator[T]:
        """Every item of this page and of the pages after it."""
        async for page in self.iter_pages():
            for item in page.result:
                yield item


class AsyncSinglePage(BasePage[T]):
    """A listing that comes whole in one response."""

    __slots__ = ()


class AsyncV4PagePaginationArray(BasePage[T]):
    """A page of a listing paged by ``page`` and ``per_page``."""

    __slots__ = ("_previous",)

    def __init__(self, *args: Any, previous: list[T] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: The items of the page before, when this one was fetched after it.
        self._previous = previous

    def _requested(self, name: str) -> int | None:
        for key, value in self._request.query:
            if key == name:
                return int(value)
        return None

    def _next_page_state(self) -> Mapping[str, Any]:
        return {"previous": self.result}

    def _lack_of_progress(self) -> str | None:
        if self._previous is None:
            return None
        asked = self._requested("page") or 1
        answered = self.result_info.page if self.result_info is not None else None
        if answered is not None and answered != asked:
            return f"asked for page {asked}, the answer is page {answered}"
        if self.result and self.result == self._previous:
            return f"page {asked} repeats the page before it"
        return None

    def _next_page_query(self) -> Mapping[str, Any] | None:
        if not self.result:
            return None
        info = self.result_info or ResultInfo()
        # The page asked for, not info.page: a server that does not advance
        # it must not make the listing ask for the same page forever.
        page = self._requested("page") or 1
        per_page = info.per_page or self._requested("per_page")
        if info.total_pages is not None:
            return None if page >= info.total_pages else {"page": page + 1}
        if info.total_count is not None and per_page and page * per_page >= info.total_count:
            return None
        if per_page and len(self.result) < per_page:
            return None
        return {"page": page + 1}


class AsyncCursorPaginationAfter(BasePage[T]):
    """A page of a listing paged by an opaque ``cursor``."""

    __slots__ = ("_seen_cursors",)

    def __init__(
        self, *args: Any, seen_cursors: frozenset[str] = frozenset(), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        own = next((value for key, value in self._request.query if key == "cursor"), None)
        self._seen_cursors = seen_cursors | {own} if own else seen_cursors

    @property
    def next_cursor(self) -> str | None:
        """The cursor of the next page as the API gave it, if any."""
        info = self.result_info
        if info is None:
            return None
        if info.cursor:
            return info.cursor
        return info.cursors.after if info.cursors is not None else None

    def _next_page_query(self) -> Mapping[str, Any] | None:
        cursor = self.next_cursor
        if not self.result or not cursor or cursor in self._seen_cursors:
            return None
        return {"cursor": cursor}

    def _next_page_state(self) -> Mapping[str, Any]:
        return {"seen_cursors": self._seen_cursors}


_structure_result_info = converter.get_structure_hook(ResultInfo)


def _page_contents(endpoint: Endpoint[T], envelope: Envelope) -> tuple[list[T], ResultInfo | None]:
    if not isinstance(envelope.result, list):
        raise TypeError(f"expected a list of results, got {type(envelope.result).__name__}")
    structure = endpoint.structure
    items = [structure(item) for item in envelope.result]
    info = envelope.result_info
    return items, None if info is None else _structure_result_info(info, ResultInfo)


async def fetch_page(
    page_type: type[PageT],
    core: Core,
    endpoint: Endpoint[Any],
    request: Request,
    **state: Any,
) -> PageT:
    """Send ``request`` and build a page of type ``page_type`` from the answer.

    Raises:
        APIResponseValidationError: the result is not a list of the endpoint's
            items, or the page does not follow the page before it.
    """
    return page_from(page_type, core, endpoint, request, await core.send(request), **state)


def page_from(
    page_type: type[PageT],
    core: Core,
    endpoint: Endpoint[Any],
    request: Request,
    envelope: Envelope,
    **state: Any,
) -> PageT:
    """The page of type ``page_type`` that ``envelope`` (the answer to ``request``) holds.

    Raises:
        APIResponseValidationError: the result is not a list of the endpoint's items.
    """
    items, result_info = structure_result(
        envelope,
        lambda env: _page_contents(endpoint, env),
        method=request.method,
        url=request.url,
        carries_secret=request.carries_secret,
    )
    page = page_type(items, result_info, core=core, endpoint=endpoint, request=request, **state)
    problem = page._lack_of_progress()
    if problem is not None:
        raise APIResponseValidationError(
            f"HTTP {envelope.status} but the listing makes no progress: {problem}",
            method=request.method,
            url=str(request.url),
            status_code=envelope.status,
            ray_id=envelope.ray_id,
        )
    return page


class AsyncPaginator(Generic[T, PageT]):
    """What a list call returns: await it for the first page, or iterate it for every item."""

    __slots__ = ("_core", "_endpoint", "_page_type", "_request")

    def __init__(
        self, page_type: type[PageT], core: Core, endpoint: Endpoint[T], request: Request
    ) -> None:
        self._page_type = page_type
        self._core = core
        self._endpoint = endpoint
        self._request = request

    def __repr__(self) -> str:
        return f"<AsyncPaginator {self._request.method} {self._request.url}>"

    def __await__(self) -> Generator[Any, None, PageT]:
        return fetch_page(self._page_type, self._core, self._endpoint, self._request).__await__()

    async def __aiter__(self) -> AsyncIterator[T]:
        """Every item across every page, one page in memory at a time."""
        first = await self
        # Pages, not `async for item in first`: one generator layer less per item.
        async for page in first.iter_pages():
            for item in page.result:
                yield item
