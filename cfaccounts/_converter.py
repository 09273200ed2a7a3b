"""The one cattrs converter, and every wire-name quirk, in one place.

Responses are structured into the attrs classes of :mod:`cfaccounts.models`
by :data:`converter`, built once at import. Its hooks are tolerant where the
API is loose and strict where a silent coercion would lie:

- timestamps such as ``2014-03-01T12:21:02.0000Z`` parse; naive ones are UTC;
- ``Literal`` fields keep values this SDK does not know yet, as plain strings;
- fields the SDK does not know are kept in ``Model.extra``, and written
  back (``to_dict()``, a model sent as an argument) at every depth;
- a field typed ``Model | list[Model]`` (a resource group's ``scope``) takes
  either shape, and writes back the one it was given;
- ``bool`` fields accept only JSON booleans (``bool("false")`` is ``True``).

Python names that differ from the wire (``in_`` ↔ ``in``, ``not_`` ↔ ``not``,
``cf_rayid`` ↔ ``cf_ray_id``, ``raw_cf_rayid`` ↔ ``raw_cf_ray_id``) are
translated by :func:`wire_name`, for models, query strings and bodies alike.
"""

from __future__ import annotations

import keyword
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from types import NoneType, UnionType
from typing import Any, Literal, TypeVar, Union, get_args, get_origin

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from .models._base import Model
from .models.roles import PermissionGrant
from .models.tokens import TokenValue

T = TypeVar("T")

_RENAMED = {"cf_rayid": "cf_ray_id", "raw_cf_rayid": "raw_cf_ray_id"}


def wire_name(name: str) -> str:
    """The name the API uses for the Python name ``name``.

    A trailing underscore that escapes a Python keyword is dropped
    (``in_`` → ``in``, ``not_`` → ``not``); names already in wire form pass
    through unchanged.
    """
    if name in _RENAMED:
        return _RENAMED[name]
    if name.endswith("_") and keyword.iskeyword(name[:-1]):
        return name[:-1]
    return name


def format_datetime(value: date) -> str:
    """RFC 3339 for a datetime (naive ones are taken as UTC), ISO 8601 for a date.

    A datetime is written in UTC (``...Z``), unless UTC cannot hold it
    (``0001-01-01T00:00:00+05:00`` is in year 0 there): then it keeps its
    own offset, the same instant, rather than raising.
    """
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        else:
            try:
                value = value.astimezone(UTC)
            except OverflowError:
                return value.isoformat()
        return value.isoformat().replace("+00:00", "Z")
    return value.isoformat()


def _structure_datetime(value: Any, _: type) -> datetime:
    if not isinstance(value, str):
        raise TypeError(f"expected an RFC 3339 timestamp string, got {type(value).__name__}")
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _structure_bool(value: Any, _: type) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected a boolean, got {type(value).__name__}")
    return value


def _structure_literal(value: Any, literal: Any) -> Any:
    # Cloudflare adds enum values over time; an unknown one is kept, not rejected.
    if not isinstance(value, str) and value not in literal.__args__:
        raise TypeError(f"expected one of {literal.__args__!r}, got {value!r}")
    return value


def _structure_resource_value(value: Any, _: Any) -> str | dict[str, str]:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
        return value
    raise TypeError(f"expected a string or a map of strings, got {type(value).__name__}")


def _structure_token_value(value: Any, _: type) -> TokenValue:
    if not isinstance(value, str):
        raise TypeError(f"expected the token secret as a string, got {type(value).__name__}")
    return TokenValue(value)


_FLAGS = (True, False, None)
#: Every role repeats a read/write grant per area (12 per role), and there
#: are only nine distinct grants: frozen, they are shared.
_GRANTS = {
    (read, write): PermissionGrant(read=read, write=write) for read in _FLAGS for write in _FLAGS
}
_GRANT_KEYS = frozenset({"read", "write"})


def _is_permission_grant(type_: object) -> bool:
    return type_ is PermissionGrant or type_ == PermissionGrant | None


def _permission_grant_hook(type_: Any) -> Callable[[Any, Any], PermissionGrant | None]:
    # Anything but a plain grant (None included) goes the way of every model.
    structure_model = _model_structure_hook(PermissionGrant, optional=type_ is not PermissionGrant)

    def structure(value: Any, _: Any) -> PermissionGrant | None:
        if type(value) is dict and value.keys() <= _GRANT_KEYS:
            read, write = value.get("read"), value.get("write")
            # By identity: 1 == True, but 1 is not a JSON boolean.
            if (read is None or read is True or read is False) and (
                write is None or write is True or write is False
            ):
                return _GRANTS[read, write]
        return structure_model(value, PermissionGrant)  # type: ignore[return-value]

    return structure


def _is_literal(type_: object) -> bool:
    return get_origin(type_) in (Literal,)


def _is_optional(type_: object) -> bool:
    args = getattr(type_, "__args__", ())
    return get_origin(type_) in (Union, UnionType) and len(args) == 2 and NoneType in args


def _optional_structure_hook(optional: Any) -> Callable[[Any, Any], Any]:
    # cattrs looks up the inner type's hook on every call; per-field, per-item,
    # that lookup was the most expensive step of structuring a listing.
    inner = next(arg for arg in optional.__args__ if arg is not NoneType)
    if inner is str:
        # The commonest field by far: str(value) as cattrs does, but no call for a str.
        return lambda value, _: value if value is None or type(value) is str else str(value)
    if _is_model(inner):
        return _model_structure_hook(inner, optional=True)
    hook = converter.get_structure_hook(inner)
    return lambda value, _: None if value is None else hook(value, inner)


def _one_or_many_model(type_: object) -> type[Model] | None:
    """``M`` when ``type_`` is ``M | list[M]`` for a model ``M``, else ``None``."""
    if get_origin(type_) not in (Union, UnionType):
        return None
    args = get_args(type_)
    models: list[type[Model]] = [arg for arg in args if _is_model(arg)]
    many = [arg for arg in args if get_origin(arg) is list and get_args(arg) == tuple(models)]
    return models[0] if len(args) == 2 and len(models) == 1 and many else None


def _one_or_many_hook(type_: Any) -> Callable[[Any, Any], Any]:
    # The API changed a shape from a list of objects to one object (a
    # resource group's scope): either is structured as it came.
    model = _one_or_many_model(type_)
    structure_one = converter.get_structure_hook(model)

    def structure(value: Any, _: Any) -> Any:
        if type(value) is list:
            return [structure_one(item, model) for item in value]
        return structure_one(value, model)

    return structure


def _is_any(type_: object) -> bool:
    return type_ is Any


def _is_model(cls: Any) -> bool:
    return isinstance(cls, type) and issubclass(cls, Model)


def _renames(cls: type) -> dict[str, str]:
    return {a.name: wire_name(a.name) for a in attrs.fields(cls) if wire_name(a.name) != a.name}


def _model_structure_hook(
    cls: type[Model], *, optional: bool = False
) -> Callable[[Any, Any], Model | None]:
    renames = _renames(cls)
    overrides = {name: override(rename=wire) for name, wire in renames.items()}
    build = make_dict_structure_fn(cls, converter, extra=override(omit=True), **overrides)  # type: ignore[arg-type]
    known = frozenset(wire_name(a.name) for a in attrs.fields(cls) if a.name != "extra")

    def structure(data: Any, _: Any) -> Model | None:
        if type(data) is not dict:
            if data is None and optional:  # ``Model | None``, without a call more
                return None
            if not isinstance(data, Mapping):
                raise TypeError(
                    f"expected a JSON object for {cls.__name__}, got {type(data).__name__}"
                )
        model = build(data, cls)
        if not known.issuperset(data):
            # Frozen models are set once, here, before anyone sees them.
            extra = {key: value for key, value in data.items() if key not in known}
            object.__setattr__(model, "extra", extra)
        return model

    return structure


def _model_unstructure_hook(cls: type[Model]) -> Callable[[Any], dict[str, Any]]:
    overrides = {name: override(rename=wire) for name, wire in _renames(cls).items()}
    unstructure_fields = make_dict_unstructure_fn(
        cls,
        converter,
        _cattrs_omit_if_default=True,
        extra=override(omit=True),
        **overrides,  # type: ignore[arg-type]
    )

    def unstructure(model: Model) -> dict[str, Any]:
        # Here, not in to_dict(): nested models and models sent back as
        # arguments keep the fields the SDK does not know, too.
        data = unstructure_fields(model)
        return {**model.extra, **data} if model.extra else data

    return unstructure


def _build_converter() -> cattrs.Converter:
    conv = cattrs.Converter(detailed_validation=False)
    conv.register_structure_hook(datetime, _structure_datetime)
    conv.register_structure_hook(bool, _structure_bool)
    conv.register_structure_hook(TokenValue, _structure_token_value)
    conv.register_structure_hook(str | dict[str, str], _structure_resource_value)
    conv.register_structure_hook_func(_is_literal, _structure_literal)
    conv.register_structure_hook_func(_is_any, lambda value, _: value)
    conv.register_structure_hook_factory(_is_optional, _optional_structure_hook)
    conv.register_structure_hook_factory(_is_model, _model_structure_hook)
    conv.register_structure_hook_factory(_is_permission_grant, _permission_grant_hook)
    conv.register_structure_hook_factory(
        lambda type_: _one_or_many_model(type_) is not None, _one_or_many_hook
    )
    conv.register_unstructure_hook(datetime, format_datetime)
    conv.register_unstructure_hook(date, format_datetime)
    conv.register_unstructure_hook_factory(_is_model, _model_unstructure_hook)
    return conv


converter = _build_converter()
