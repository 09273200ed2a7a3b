"""The base every response model derives from."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import attrs

_NO_EXTRA: Mapping[str, Any] = MappingProxyType({})


@attrs.frozen(kw_only=True)
class Model:
    """A response object decoded from the Cloudflare API.

    Fields the API sent that this version of the SDK does not know are kept,
    untouched, in :attr:`extra`, so that a newer API never loses data.
    """

    extra: Mapping[str, Any] = attrs.field(default=_NO_EXTRA, repr=False, eq=False)
