"""An endpoint, declared once: method, path template and what it returns.

Resources declare endpoints as module constants and pass the caller's
arguments to the core; everything an endpoint knows about the wire is here:
which arguments fill the path, that the rest goes in the query (GET, DELETE)
or the JSON body (POST, PUT, PATCH), whether it may be retried, and how its
``result`` is structured.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar
from urllib.parse import quote

from ._converter import converter

T = TypeVar("T")

_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE"})
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
# Ids are opaque but travel as one path segment: anything that could end,
# escape or re-read the segment (/, \, %, controls, whitespace) is refused
# rather than encoded, so no id can ever name another path.
_FORBIDDEN_IN_ID = re.compile(r"[/\\%\s\x00-\x1f\x7f]|[^\x00-\x7f]")
#: What every Cloudflare id looks like; such a segment needs no check and no quoting.
_PLAIN_ID = re.compile(r"[0-9A-Za-z_~-][0-9A-Za-z._~-]*")


def path_segment(name: str, value: object) -> str:
    """``value`` checked and percent-encoded as the path segment for argument ``name``.

    Raises:
        TypeError: ``value`` is not a string.
        ValueError: ``value`` is empty, ``.``/``..``, or holds a character
            that could change the requested path.
    """
    if type(value) is str and _PLAIN_ID.fullmatch(value):
        return value
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, got {type(value).__name__}")
    if not value:
        raise ValueError(f"{name} must not be empty")
    if value in {".", ".."} or _FORBIDDEN_IN_ID.search(value):
        raise ValueError(
            f"{name}={value!r} is not a valid id: ids are non-empty ASCII without "
            "'/', '\\', '%', whitespace or control characters, and not '.' or '..'"
        )
    return quote(value, safe="-._~")


class Endpoint(Generic[T]):
    """One API operation.

    Args:
        method: HTTP method.
        path: path template relative to the base URL, with ``{name}``
            placeholders filled from the call's arguments of the same name.
        returns: the type ``result`` is structured into (for list
            endpoints, the type of one item).
        idempotent: whether repeating a request that reached the server is
            harmless; defaults to ``True`` for GET, PUT and DELETE. The
            token roll is a PUT that is not.
        carries_secret: a successful answer holds a token secret, so a
            malformed one is never quoted in an error.
        takes_idempotency_key: the API honours an ``Idempotency-Key`` header
            here (it answers a repeat with the first result): the call's
            ``idempotency_key`` argument is sent as that header, and a
            request that carries one may be repeated like an idempotent one.
    """

    __slots__ = (
        "_structure",
        "carries_secret",
        "idempotent",
        "method",
        "path",
        "path_params",
        "returns",
        "sends_body",
        "takes_idempotency_key",
    )

    def __init__(
        self,
        method: str,
        path: str,
        returns: type[T],
        *,
        idempotent: bool | None = None,
        carries_secret: bool = False,
        takes_idempotency_key: bool = False,
    ) -> None:
        self.method = method
        self.takes_idempotency_key = takes_idempotency_key
        self.carries_secret = carries_secret
        self.path = path
        self.returns = returns
        self.idempotent = method in _IDEMPOTENT_METHODS if idempotent is None else idempotent
        self.path_params = tuple(_PLACEHOLDER.findall(path))
        self.sends_body = method in {"POST", "PUT", "PATCH"}
        self._structure: Callable[[Any, Any], T] | None = None

    def __repr__(self) -> str:
        return f"<Endpoint {self.method} {self.path}>"

    def build_path(self, params: Mapping[str, object]) -> str:
        """The path with every placeholder filled from ``params``, validated."""
        path = self.path
        for name in self.path_params:
            path = path.replace(f"{{{name}}}", path_segment(name, params[name]), 1)
        return path

    def structure(self, data: Any) -> T:
        """``data`` structured into :attr:`returns` (the hook is looked up once)."""
        hook = self._structure
        if hook is None:
            hook = self._structure = converter.get_structure_hook(self.returns)
        return hook(data, self.returns)
