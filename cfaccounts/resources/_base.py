"""What every resource namespace shares: the core it delegates to."""

from __future__ import annotations

from .._core import Core


class Resource:
    """A namespace of API methods, such as ``client.accounts.members``."""

    __slots__ = ("_core",)

    def __init__(self, core: Core) -> None:
        self._core = core

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"
