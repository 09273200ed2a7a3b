"""Arguments to wire: query strings and JSON bodies (pure functions).

Query strings follow Cloudflare's conventions: nested objects are joined
with dots and lists repeat their key (``id={"not": ["a", "b"]}`` →
``id.not=a&id.not=b``), booleans are ``true``/``false``, whole floats are
integers (``page=2``), dates and datetimes are ISO 8601 / RFC 3339 in UTC
(the API methods refuse naive datetimes; in ``extra_query`` and ``extra_body``
they are taken as UTC). ``None`` means "not given" and is never sent.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date
from enum import Enum
from typing import Any

import attrs

from ._converter import converter, format_datetime, wire_name

QueryPairs = list[tuple[str, str]]


def _query_scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, date):
        return format_datetime(value)
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, (str, int, float)):
        return str(value)
    raise TypeError(f"cannot send a {type(value).__name__} in a query string")


def _flatten(key: str, value: Any, pairs: QueryPairs) -> None:
    if value is None:
        return
    if isinstance(value, Mapping):
        for sub_key, sub_value in value.items():
            _flatten(f"{key}.{wire_name(sub_key)}", sub_value, pairs)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            _flatten(key, item, pairs)
    else:
        pairs.append((key, _query_scalar(value)))


def encode_query(params: Mapping[str, Any], pairs: QueryPairs | None = None) -> QueryPairs:
    """``params`` as query pairs, appended to ``pairs`` if given.

    Raises:
        TypeError: a value cannot be written in a query string.
    """
    out: QueryPairs = [] if pairs is None else pairs
    for key, value in params.items():
        _flatten(wire_name(key), value, out)
    return out


def to_json_value(value: Any) -> Any:
    """``value`` as plain JSON data: wire names, ``None`` fields dropped.

    Mappings and lists are walked; attrs models (such as a ``Role`` read
    from the API and sent back) are unstructured by the converter.
    """
    if isinstance(value, Mapping):
        return {wire_name(k): to_json_value(v) for k, v in value.items() if v is not None}
    if isinstance(value, Iterable) and not isinstance(value, (str, bytes)):
        # Any iterable, a generator included, as the signatures promise.
        return [to_json_value(item) for item in value]
    if isinstance(value, date):
        return format_datetime(value)
    if isinstance(value, Enum):
        return value.value
    if attrs.has(type(value)):
        return converter.unstructure(value)
    return value


def encode_body(value: Any) -> bytes:
    """``value`` as compact UTF-8 JSON.

    Raises:
        TypeError: ``value`` holds something JSON cannot represent.
    """
    return json.dumps(to_json_value(value), separators=(",", ":"), ensure_ascii=False).encode()
