"""What every resource namespace shares: the core it delegates to."""

from __future__ import annotations

import inspect
from typing import Any, Generic, TypeVar, cast, overload

from .._arguments import checked
from .._core import Core, RawResponseCore

ViewT = TypeVar("ViewT")


class Resource:
    """A namespace of API methods, such as ``client.accounts.members``.

    Every public method a subclass defines checks its arguments against its
    annotations before it runs (:mod:`cfaccounts._arguments`).
    """

    __slots__ = ("_core",)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name, attribute in list(vars(cls).items()):
            if not name.startswith("_") and inspect.isfunction(attribute):
                setattr(cls, name, checked(attribute))

    def __init__(self, core: Core) -> None:
        self._core = core

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"


class RawResponses(Generic[ViewT]):
    """``namespace.with_raw_response``: the namespace again, answering with HTTP responses.

    Every call of the view (and of the namespaces below it) sends what the
    plain call sends and returns an :class:`~cfaccounts.AsyncAPIResponse`
    whose ``parse()`` is the plain call's result. ``ViewT`` is the view's
    type, generated into ``cfaccounts/_raw_api.pyi`` for type checkers.
    """

    @overload
    def __get__(self, resource: None, owner: type[Resource]) -> RawResponses[ViewT]: ...

    @overload
    def __get__(self, resource: Resource, owner: type[Resource]) -> ViewT: ...

    def __get__(
        self, resource: Resource | None, owner: type[Resource]
    ) -> ViewT | RawResponses[ViewT]:
        if resource is None:
            return self
        # The same class, on a core whose calls answer with responses: the
        # methods are written against Core, whose signature the view shares.
        return cast(ViewT, owner(cast(Core, RawResponseCore(resource._core))))
