"""What every resource namespace shares: the core it delegates to."""

from __future__ import annotations

import inspect
from typing import Any

from .._arguments import checked
from .._core import Core


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
