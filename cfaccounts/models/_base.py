"""The base every response model derives from."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

import attrs


class _NoExtra(Mapping[str, Any]):
    """The empty :attr:`Model.extra` every model shares: unchangeable, and it
    pickles and copies as itself (a ``MappingProxyType`` does not pickle)."""

    __slots__ = ()

    def __getitem__(self, key: str) -> Any:
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0

    def __repr__(self) -> str:
        return "{}"

    def __reduce__(self) -> str:
        return "_NO_EXTRA"


_NO_EXTRA: Mapping[str, Any] = _NoExtra()


@attrs.frozen(kw_only=True)
class Model:
    """A response object decoded from the Cloudflare API.

    Fields the API sent that this version of the SDK does not know are kept,
    untouched, in :attr:`extra`, so that a newer API never loses data.
    """

    extra: Mapping[str, Any] = attrs.field(default=_NO_EXTRA, repr=False, eq=False)

    def to_dict(self) -> dict[str, Any]:
        """This model as the API's JSON data: wire names, unknown fields kept, unset ones left out.

        The JSON it was read from comes back, at every depth, but for this
        normalisation: fields that were ``null`` are left out, and datetimes
        are RFC 3339 in UTC (``...Z``), or with their own offset where UTC
        cannot hold them. A token secret is included as the plain string it is.
        """
        from .._converter import converter  # noqa: PLC0415 - it is built from the models

        data: dict[str, Any] = converter.unstructure(self)
        return data

    def to_json(self, *, indent: int | None = None) -> str:
        """:meth:`to_dict`, as a JSON string."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)
