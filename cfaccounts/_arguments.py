"""Arguments checked against the method's annotations, before anything is sent.

Every public method of a resource is wrapped once, when its class is
defined (:func:`checked`). A value of the wrong type raises a
:class:`TypeError` that names the method, the argument and, inside a
structured argument, the key or position (``policies[0].access``):

- ``str``, ``int``, ``float`` (an ``int`` is fine), ``bool`` and ``None``
  exactly: ``True`` is not a number and ``"false"`` is not a boolean;
- ``date`` and ``datetime``; a ``datetime`` must be timezone-aware, since a
  naive one could be local time or UTC (a :class:`ValueError`);
- ``Literal`` by the type of its values: the API adds values over time;
- lists, sequences and mappings element by element; an iterable that is
  not a collection (a generator) is read once into a list, then checked;
- ``TypedDict`` shapes key by key: an unknown key is a typo, not ignored;
- the response models a shape also accepts, by class.
"""

from __future__ import annotations

import collections.abc
import functools
import inspect
import types
import typing
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any, Literal, NotRequired, Required, TypeVar, Union

from ._secrets import conceal_call_headers

F = TypeVar("F", bound=Callable[..., Any])

#: Checks one value and returns it (a generator comes back as a list), or raises.
Check = Callable[[Any, str], Any]


class _Mismatch(TypeError):
    """A value that does not fit; ``where`` says which part of the argument."""

    def __init__(self, where: str, expected: str, value: object) -> None:
        super().__init__(f"{where} must be {expected}, got {type(value).__name__}")
        self.where = where


def _exact(*types_: type, name: str) -> Check:
    def check(value: Any, where: str) -> Any:
        if type(value) in types_:
            return value
        raise _Mismatch(where, name, value)

    return check


def _instance(cls: type) -> Check:
    def check(value: Any, where: str) -> Any:
        if isinstance(value, cls):
            return value
        raise _Mismatch(where, f"a {cls.__name__}", value)

    return check


def _moment(value: Any, where: str) -> Any:
    if not isinstance(value, date):
        raise _Mismatch(where, "a date", value)
    if isinstance(value, datetime) and value.utcoffset() is None:
        raise ValueError(
            f"{where} must be timezone-aware: a naive datetime could be local time or UTC "
            "(use datetime.now(UTC), or a date)"
        )
    return value


def _any_of(checks: list[Check], names: list[str]) -> Check:
    def check(value: Any, where: str) -> Any:
        for each in checks:
            try:
                return each(value, where)
            except _Mismatch as mismatch:
                if mismatch.where != where:  # it fits this shape, but inside is wrong
                    raise
        raise _Mismatch(where, " or ".join(names), value)

    return check


def _items(element: Check, *, collection: str) -> Check:
    def check(value: Any, where: str) -> Any:
        if isinstance(value, (str, bytes, Mapping)) or not isinstance(
            value, collections.abc.Iterable
        ):
            raise _Mismatch(where, collection, value)
        if not isinstance(value, collections.abc.Collection):
            value = list(value)  # a generator: read it once, so it can be sent
        for position, item in enumerate(value):
            element(item, f"{where}[{position}]")
        return value

    return check


def _mapping(values: Check) -> Check:
    def check(value: Any, where: str) -> Any:
        if not isinstance(value, Mapping):
            raise _Mismatch(where, "a mapping", value)
        for key, item in value.items():
            values(item, f"{where}[{key!r}]")
        return value

    return check


def _typed_dict(shape: Any) -> Check:
    fields: dict[str, Check] = {}
    required: set[str] = set()

    def check(value: Any, where: str) -> Any:
        if not isinstance(value, Mapping):
            raise _Mismatch(where, _name(shape), value)
        if not fields:  # built on first use: shapes may refer to each other
            hints = typing.get_type_hints(shape, include_extras=True)
            fields.update({key: checker(_unwrap(hint)) for key, hint in hints.items()})
            # Read here, not from __required_keys__: with postponed annotations
            # Python 3.11 does not see Required[...] and NotRequired[...].
            required.update(key for key, hint in hints.items() if _is_required(shape, hint))
        for key, item in value.items():
            if key not in fields:
                raise TypeError(
                    f"{where} has an unknown key {key!r}; {shape.__name__} has {sorted(fields)}"
                )
            fields[key](item, f"{where}.{key}")
        missing = required - value.keys()
        if missing:
            raise TypeError(f"{where} needs the key {sorted(missing)[0]!r}")
        return value

    return check


def _unwrap(hint: Any) -> Any:
    origin = typing.get_origin(hint)
    return typing.get_args(hint)[0] if origin in (Required, NotRequired) else hint


def _is_required(shape: Any, hint: Any) -> bool:
    origin = typing.get_origin(hint)
    return origin is Required or (shape.__total__ and origin is not NotRequired)


def _anything(value: Any, _: str) -> Any:
    return value


_SCALAR_NAMES: dict[object, str] = {
    str: "a str",
    int: "an int",
    float: "a number",
    bool: "a bool",
    type(None): "None",
    date: "a date",
    datetime: "a datetime",
}
_SCALARS: dict[object, Check] = {
    str: _exact(str, name=_SCALAR_NAMES[str]),
    int: _exact(int, name=_SCALAR_NAMES[int]),
    float: _exact(int, float, name=_SCALAR_NAMES[float]),
    bool: _exact(bool, name=_SCALAR_NAMES[bool]),
    type(None): _exact(type(None), name=_SCALAR_NAMES[type(None)]),
    date: _moment,
    datetime: _moment,
    Any: _anything,
    object: _anything,
}
_LISTS = (list, collections.abc.Sequence, collections.abc.Iterable)
_MAPPINGS = (dict, collections.abc.Mapping)


def checker(annotation: Any) -> Check:
    """The check for values annotated ``annotation``."""
    if annotation in _SCALARS:
        return _SCALARS[annotation]
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (Union, types.UnionType):
        return _any_of([checker(arg) for arg in args], [_name(arg) for arg in args])
    if origin is Literal:
        kinds = sorted({type(arg) for arg in args}, key=lambda kind: kind.__name__)
        return _any_of([checker(kind) for kind in kinds], [_name(kind) for kind in kinds])
    if typing.is_typeddict(annotation):
        return _typed_dict(annotation)
    if origin in _LISTS:
        return _items(checker(args[0]) if args else _anything, collection="a list")
    if origin in _MAPPINGS:
        return _mapping(checker(args[1]) if args else _anything)
    if isinstance(annotation, type):
        return _instance(annotation)
    raise TypeError(f"no argument check for {annotation!r}")


def _name(annotation: Any) -> str:
    """How an error message names what fits ``annotation``."""
    if annotation in _SCALAR_NAMES:
        return _SCALAR_NAMES[annotation]
    if typing.is_typeddict(annotation):
        return f"a mapping ({annotation.__name__})"
    origin = typing.get_origin(annotation)
    if origin in _LISTS:
        return "a list"
    if origin in _MAPPINGS:
        return "a mapping"
    return f"a {getattr(annotation, '__name__', annotation)}"


def checked(method: F) -> F:
    """``method``, checking each argument against its annotation on every call."""
    signature = inspect.signature(method)
    names = [
        name
        for name, parameter in signature.parameters.items()
        if parameter.kind is not inspect.Parameter.VAR_KEYWORD
    ][1:]  # not self
    checks: dict[str, Check] = {}
    label = f"{method.__qualname__}()"

    def check(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...]:
        conceal_call_headers(kwargs)
        if not checks:  # annotations resolve once the whole module is loaded
            hints = typing.get_type_hints(method)
            checks.update({name: checker(hints[name]) for name in names})
        try:
            for name, value in kwargs.items():
                check_value = checks.get(name)
                if check_value is not None:
                    kwargs[name] = check_value(value, name)
            if args:
                args = tuple(checks[n](value, n) for n, value in zip(names, args, strict=False))
        except ValueError as error:
            raise ValueError(f"{label}: {error}") from None
        except TypeError as error:
            raise TypeError(f"{label}: {error}") from None
        return args

    # A plain function even for a coroutine method: it checks, then returns the
    # coroutine, with no extra coroutine frame per call. Whether a method is a
    # coroutine function is read from the original (``inspect.unwrap``).
    @functools.wraps(method)
    def checked_call(self: Any, *args: Any, **kwargs: Any) -> Any:
        return method(self, *check(args, kwargs), **kwargs)

    return typing.cast(F, checked_call)
